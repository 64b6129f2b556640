// Waking a reactor from other worker_threads: the reactor is blocked in select with no timeout
// (maxBlockMs: Infinity), so nothing but the wakeup socket can make these tests finish.
import { afterEach, describe, expect, test } from 'vitest';
import { Worker, type Transferable } from 'node:worker_threads';
import { once } from 'node:events';
import { ClosedResourceError, Reactor, RemoteWaker } from '../../lib/index.ts';
import { checkResourcesReleased } from '../helpers/resources.ts';
import { loopUntil } from '../helpers/loop.ts';
import { LOOP_MODES, runsOnce } from '../helpers/modes.ts';

checkResourcesReleased();

const posterUrl = new URL('../fixtures/remote-poster.ts', import.meta.url);

function startPoster(target: unknown, delayMs: number, messages: unknown[] = [], transfer: Transferable[] = []): Worker {
  return new Worker(posterUrl, { workerData: { target, delayMs, messages }, transferList: transfer });
}

describe.each(LOOP_MODES)('remote wakes (waiting in $name)', ({ name, mode }) => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor?.close();
  });

  // Long enough that only a wake explains a prompt return; short enough that a broken wake fails
  // the test instead of hanging it (the test timeout cannot fire while select blocks).
  const maxBlockMs = 30_000;

  test('a worker_thread wakes a loop blocked in select', async () => {
    reactor = new Reactor({ ...mode, maxBlockMs });
    const channel = reactor.openChannel<{ n: number }>();
    const worker = startPoster(channel.handle, 100, [{ n: 1 }], [channel.handle.port]);
    const exited = once(worker, 'exit');
    const started = reactor.now();
    const message = await reactor.run(() => channel.receive());
    expect(message).toEqual({ n: 1 });
    expect(reactor.now() - started).toBeLessThan(maxBlockMs / 2);
    expect(reactor.stats().wakeups).toBeGreaterThanOrEqual(1);
    expect(await exited).toEqual([0]);
  });

  test('a bare wake makes a blocked select return', async () => {
    reactor = new Reactor({ ...mode, maxBlockMs });
    const worker = startPoster(reactor.wakeTarget(), 100);
    const exited = once(worker, 'exit');
    const started = reactor.now();
    const [reply] = await reactor.run(() => once(worker, 'message'));
    expect(reply).toEqual({ waking: true });
    expect(reactor.now() - started).toBeLessThan(maxBlockMs / 2);
    // A guest reactor's loop turns beside the task: the wake may be drained just after the message.
    // There `wakeups` also counts the wakes that end its helper's wait early (docs/api.md, stats),
    // and the loop's own timers (loopUntil's sleeps) may make one: at least the bare wake, then.
    // (Fresh-clone CI, Wine 10, guest select, once: 2; an earlier Wine 10 run, guest port: not 1.)
    // A host reactor's count is exactly the one drain.
    await loopUntil(reactor, () => reactor.stats().wakeups >= 1);
    if (mode.guest === true) expect(reactor.stats().wakeups).toBeGreaterThanOrEqual(1);
    else expect(reactor.stats().wakeups).toBe(1);
    expect(await exited).toEqual([0]);
  });

  test('a burst of posts arrives complete and in order, with merged wakeups', async () => {
    reactor = new Reactor(mode);
    const channel = reactor.openChannel<number>();
    const messages = Array.from({ length: 2000 }, (_, i) => i);
    const poster = startPoster(channel.handle, 0, messages, [channel.handle.port]);
    const exited = once(poster, 'exit');
    const received = await reactor.run(async () => {
      const got: number[] = [];
      for await (const value of channel) {
        got.push(value);
        if (got.length === messages.length) break;
      }
      return got;
    });
    expect(received).toEqual(messages);
    expect(reactor.stats().wakeups).toBeLessThan(messages.length);
    expect(await exited).toEqual([0]);
  });

  test('regression: a wake racing the drain is never lost (the merge flag stuck at 1)', async () => {
    reactor = new Reactor({ ...mode, maxBlockMs: 5 });
    const channel = reactor.openChannel<number>();
    const control = new Int32Array(new SharedArrayBuffer(8));
    const rounds = 20_000;
    const poster = new Worker(new URL('../fixtures/ping-poster.ts', import.meta.url), {
      workerData: { channel: channel.handle, control: control.buffer, rounds },
      transferList: [channel.handle.port],
    });
    const exited = once(poster, 'exit');
    await reactor.run(async () => {
      for (let i = 1; i <= rounds; i++) {
        expect(await channel.receive()).toBe(i);
        Atomics.store(control, 0, i);
        Atomics.notify(control, 0);
      }
    });
    expect(await exited).toEqual([0]);
    expect(Atomics.load(control, 1)).toBe(0); // stalls: wakes that never arrived
  });

  test('after close, a remote wake reports false and a post throws ClosedResourceError', async () => {
    reactor = new Reactor(mode);
    const channel = reactor.openChannel();
    const waker = new RemoteWaker(channel.handle);
    await reactor.close();
    expect(waker.wake()).toBe(false);
    expect(() => waker.post('late')).toThrow(ClosedResourceError);
    await expect(channel.receive()).rejects.toBeInstanceOf(ClosedResourceError);
    waker.close();
  });

  // Mode-independent (test/helpers/modes.ts): an already-aborted signal is refused at the call,
  // before the channel is looked at, in every mode alike.
  if (runsOnce(name)) {
    test('regression: a receive with an already-aborted signal rejects with its reason and takes no queued message', async () => {
      reactor = new Reactor(mode);
      const channel = reactor.openChannel<string>();
      const waker = new RemoteWaker(channel.handle);
      const reason = new Error('already aborted');
      const got = await reactor.run(async () => {
        waker.post('queued');
        expect(await loopUntil(reactor, () => channel.queued === 1)).toBe(true);
        const aborted = await channel.receive({ signal: AbortSignal.abort(reason) }).catch((error: unknown) => error);
        const queued = channel.queued;
        return { aborted, queued, next: queued === 1 ? await channel.receive() : undefined };
      });
      expect(got).toEqual({ aborted: reason, queued: 1, next: 'queued' });
      waker.close();
      channel.close();
    });
  }
});
