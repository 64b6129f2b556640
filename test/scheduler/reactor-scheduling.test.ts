// Scheduler logic with a fake readiness backend and a virtual clock: what the loop asks the
// backend for (timeouts), in what order it fires timers and callbacks, and how it treats backend
// events and failures. Time is virtual, so every figure here is exact.
import { afterEach, describe, expect, test } from 'vitest';
import v8 from 'node:v8';
import vm from 'node:vm';
import {
  ClosedResourceError, READABLE, Reactor, WRITABLE, WinError,
  type Direction, type ReadinessBackend, type ReadinessSink, type ReadinessStats,
} from '../../lib/index.ts';
import { checkResourcesReleased } from '../helpers/resources.ts';
import { MAX_INLINE_ITERATIONS, MAX_INLINE_ITERATIONS_CAP } from '../../lib/loop/inline-budget.ts';
import { track } from '../helpers/track.ts';
import { allowLeft } from '../helpers/loop-empty.ts';

checkResourcesReleased();

/** V8's gc() without a command-line flag: the flag set at run time, the function taken from a fresh context. */
function collector(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

type Script = (sink: ReadinessSink) => void;

/** Records what the scheduler asks; `wait` advances the virtual clock by the timeout it is given. */
class FakeBackend implements ReadinessBackend {
  readonly name = 'fake';
  readonly armed = new Set<string>();
  readonly timeouts: number[] = [];
  readonly script: Script[] = [];
  time = 0;
  closed = false;

  arm(socket: number, direction: Direction): void {
    this.armed.add(`${socket}:${direction}`);
  }

  disarm(socket: number, direction: Direction): void {
    this.armed.delete(`${socket}:${direction}`);
  }

  wait(timeoutMs: number, sink: ReadinessSink): number {
    this.timeouts.push(timeoutMs);
    const step = this.script.shift();
    if (step !== undefined) {
      step(sink);
      return 1;
    }
    if (timeoutMs === Infinity) throw new Error('the fake backend would block forever');
    this.time += timeoutMs;
    return 0;
  }

  stats(): ReadinessStats {
    return { backend: this.name, readArmed: 0, writeArmed: 0, armed: this.armed.size };
  }

  close(): void {
    this.closed = true;
  }
}

describe('Reactor scheduling (fake backend, virtual clock)', () => {
  let backend: FakeBackend;
  let reactor: Reactor;
  const make = (maxBlockMs = 1000): Reactor => {
    backend = new FakeBackend();
    return (reactor = new Reactor({ readiness: backend, clock: () => backend.time, maxBlockMs }));
  };

  afterEach(async () => {
    await reactor?.close();
  });

  test('the backend is asked to block until the next deadline, and timers fire in order', async () => {
    make();
    const fired: string[] = [];
    await reactor.run(async () => {
      await Promise.all([
        reactor.sleep(300).then(() => fired.push(`c@${backend.time}`)),
        reactor.sleep(100).then(() => fired.push(`a@${backend.time}`)),
        reactor.sleep(100).then(() => fired.push(`b@${backend.time}`)),
      ]);
    });
    expect(fired).toEqual(['a@100', 'b@100', 'c@300']);
    expect(backend.timeouts).toEqual([100, 200]);
  });

  test('maxBlockMs caps every wait', async () => {
    make(200);
    await reactor.run(() => reactor.sleep(500));
    expect(backend.timeouts).toEqual([200, 200, 100]);
  });

  test('queued call-soon work makes the next wait a poll', async () => {
    make();
    const order: string[] = [];
    await reactor.run(async () => {
      reactor.callSoon(() => order.push('soon 1'));
      reactor.callSoon(() => order.push('soon 2'));
      await reactor.sleep(50);
      order.push('slept');
    });
    expect(order).toEqual(['soon 1', 'soon 2', 'slept']);
    // The call-soon iteration found work, so the next ran inline and blocked only for the rest of
    // the fairness slice (4 ms on this clock; lib/loop/inline-budget.ts); then Node's loop turned.
    expect(backend.timeouts).toEqual([0, 4, 46]);
  });

  test('call-soon work queued by a main task that then throws still runs before run() returns', async () => {
    make();
    const ran: string[] = [];
    const outcome = await reactor
      .run(() => {
        reactor.callSoon(() => ran.push('queued before the throw'));
        throw new Error('the main task failed');
      })
      .catch((error: Error) => error.message);
    expect(outcome).toBe('the main task failed');
    expect(ran).toEqual(['queued before the throw']);
    expect(reactor.stats().callbacks).toBe(0);
  });

  test('backend events resolve their waiters and disarm; failures reject both directions', async () => {
    make();
    await reactor.run(async () => {
      const reader = track(reactor.waitReadable(7));
      const writer = track(reactor.waitWritable(7));
      const other = reactor.waitReadable(8);
      expect([...backend.armed].sort()).toEqual(['7:1', '7:2', '8:1', `${wakeupKey()}`].sort());
      backend.script.push((sink) => sink.ready(7, WRITABLE));
      await reactor.sleep(1);
      expect([reader.settled, writer.settled]).toEqual([false, true]);
      expect(backend.armed.has('7:2')).toBe(false);
      const notSocket = new WinError('select', 10038);
      backend.script.push((sink) => {
        backend.disarm(8, READABLE);
        sink.failed(8, notSocket);
      });
      await expect(other).rejects.toBe(notSocket);
      backend.script.push((sink) => sink.ready(7, READABLE));
      await reader.promise;
      expect([...backend.armed]).toEqual([wakeupKey()]);
    });
  });

  test('every promise continuation runs before the next poll', async () => {
    // A task resumed by the loop may go through many microtasks before it queues its next piece
    // of work. If the loop polled in the middle of that, the poll would block (here: ask for
    // maxBlockMs) with work about to be queued.
    make();
    await reactor.run(async () => {
      for (let i = 0; i < 20; i++) {
        await new Promise<void>((resolve) => reactor.callSoon(resolve));
        for (let j = 0; j < 50; j++) await Promise.resolve();
      }
    });
    expect(backend.timeouts.length).toBeGreaterThanOrEqual(20);
    expect(backend.timeouts.every((t) => t === 0)).toBe(true);
  });

  test("regression: when the tasks an iteration resumed use up the slice, Node's loop turns before the next iteration", async () => {
    make();
    await reactor.run(async () => {
      for (let i = 0; i < 20; i++) {
        await new Promise<void>((resolve) => reactor.callSoon(resolve));
        backend.time += 5; // this task's work after the iteration took 5 ms (more than SLICE_MS)
      }
    });
    const { iterations, nodeTurns } = reactor.stats();
    expect(iterations).toBeGreaterThanOrEqual(20);
    // The inline slot is taken as an iteration ends, before its tasks run; the budget is looked at
    // again after them. Before, the next iteration ran inline anyway: Node waited through the work
    // of two iterations (at 512 echo connections its timer was ~240 ms late, the reactor's ~27).
    expect(nodeTurns).toBeGreaterThanOrEqual(iterations);
  });

  test("Node's own loop gets a turn at least every MAX_INLINE_ITERATIONS + 1 iterations, even when no poll blocks", async () => {
    make();
    let nodeTurns = 0;
    let ticking = true;
    const tick = (): void => {
      nodeTurns++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    await reactor.run(async () => {
      // Busy: call-soon work every iteration, so every poll is a zero-timeout one.
      for (let i = 0; i < 200; i++) await new Promise<void>((resolve) => reactor.callSoon(resolve));
    });
    ticking = false;
    const { iterations } = reactor.stats();
    expect(iterations).toBeGreaterThanOrEqual(200);
    expect(backend.timeouts.every((t) => t === 0)).toBe(true);
    // Every iteration finds work (a call-soon callback), so after each turn of Node's loop up to
    // MAX_INLINE_ITERATIONS more run inline (lib/loop/inline-budget.ts), but never more: the
    // ticker, whose setImmediate shares Node's turns with the loop's, counts at least one turn
    // per MAX_INLINE_ITERATIONS + 1 iterations.
    const yields = reactor.stats().nodeTurns;
    expect(yields).toBeLessThan(iterations); // some iterations ran inline
    expect(yields).toBeGreaterThanOrEqual(Math.floor(iterations / (MAX_INLINE_ITERATIONS + 1)));
    expect(nodeTurns).toBeGreaterThanOrEqual(yields - 2);
  });

  test("when a turn of Node's loop is costly, more iterations run between turns (up to MAX_INLINE_ITERATIONS_CAP): turns stay a small share of the time", async () => {
    make();
    // Every turn of Node's loop costs 1 ms of the virtual clock: this immediate chain runs in each
    // turn before the loop's own immediate (it was queued first, and each re-queues itself).
    let ticking = true;
    const tick = (): void => {
      backend.time += 1;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    await reactor.run(async () => {
      for (let i = 0; i < 400; i++) await new Promise<void>((resolve) => reactor.callSoon(resolve));
    });
    ticking = false;
    const { iterations, nodeTurns } = reactor.stats();
    expect(iterations).toBeGreaterThanOrEqual(400);
    // A 1 ms turn asks for a 100 ms slice: capped at MAX_INLINE_SLICE_MS and MAX_INLINE_ITERATIONS_CAP
    // inline iterations per turn (the first turn, not yet timed, allows MAX_INLINE_ITERATIONS).
    expect(nodeTurns).toBeLessThan(Math.floor(iterations / (MAX_INLINE_ITERATIONS + 1)));
    expect(nodeTurns).toBeGreaterThanOrEqual(Math.floor(iterations / (MAX_INLINE_ITERATIONS_CAP + 1)));
  });

  test('deadlineSignal aborts on the reactor clock with a TimeoutError', async () => {
    make();
    await reactor.run(async () => {
      const signal = reactor.deadlineSignal(250);
      await expect(reactor.waitReadable(5, { signal })).rejects.toMatchObject({ name: 'TimeoutError' });
      expect(backend.time).toBe(250);
    });
  });

  test("a deadline signal nobody holds any more takes its timer out of the heap (one held still fires)", async () => {
    make();
    const made = (n: number): void => {
      for (let i = 0; i < n; i++) reactor.timeoutSignal(600_000);
    };
    made(200);
    const kept = reactor.timeoutSignal(100);
    expect(reactor.stats().timers).toBe(201);
    // Collected signals' timers leave at the FinalizationRegistry's next callbacks: GC, then turns.
    const gc = collector();
    for (let round = 0; round < 20 && reactor.stats().timers > 1; round++) {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(reactor.stats().timers).toBe(1);
    await reactor.run(async () => {
      await expect(reactor.waitReadable(5, { signal: kept })).rejects.toMatchObject({ name: 'TimeoutError' });
    });
    expect(backend.time).toBe(100);
  });

  test('a backend failure ends run() with that error and closes the reactor', async () => {
    make();
    const broken = new WinError('select', 10050);
    let pending: Promise<unknown> | undefined;
    await expect(
      reactor.run(async () => {
        pending = reactor.waitReadable(9).catch((e: unknown) => e);
        allowLeft(reactor, { readWaiters: 1, sleeps: 1 }); // the failing loop closes the reactor with these and the sleep below
        backend.script.push(() => {
          throw broken;
        });
        await reactor.sleep(10_000);
      }),
    ).rejects.toBe(broken);
    expect(await pending).toBeInstanceOf(ClosedResourceError);
    expect(reactor.stats().closed).toBe(true);
    expect(backend.closed).toBe(true);
  });

  test('options are validated', () => {
    expect(() => new Reactor({ maxBlockMs: -1 })).toThrow(RangeError);
    expect(() => new Reactor({ readiness: 'epoll' as never })).toThrow(TypeError);
  });

  /** The wakeup socket's read end is armed for reading for the reactor's whole life. */
  function wakeupKey(): string {
    return [...backend.armed].find((k) => !/^[78]:/.test(k))!;
  }
});
