// The object-wait family under Wine/Windows: waiter threads, coalescing, cancellation, timeouts,
// failure of one wait, events and semaphores (child processes: test/objects/child-process.test.ts).
import { afterEach, describe, expect, test } from 'vitest';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { ClosedResourceError, Reactor, WinEvent, processHandleCount, type ReactorOptions } from '../../lib/index.ts';
import * as kernel32 from '../../lib/win32/kernel32.ts';
import { checkResourcesReleased } from '../helpers/resources.ts';
import { LOOP_MODES, runsOnce } from '../helpers/modes.ts';
import { track } from '../helpers/track.ts';
import { helperStarted, loopUntil, settled } from '../helpers/loop.ts';
import { allowLeft } from '../helpers/loop-empty.ts';

checkResourcesReleased();

describe.each(LOOP_MODES)('object waits (waiting in $name)', ({ name, mode }) => {
  let reactor: Reactor;
  const cleanups: (() => void)[] = [];
  const event = (options?: Parameters<typeof WinEvent.create>[0]): WinEvent => {
    const e = WinEvent.create(options);
    cleanups.push(() => e.close());
    return e;
  };
  const make = (options: ReactorOptions = {}): Reactor => (reactor = new Reactor({ ...mode, ...options }));

  afterEach(async () => {
    await reactor?.close();
    for (const cleanup of cleanups.splice(0).reverse()) cleanup();
  });

  test('an already-signalled handle resolves at once, without starting a thread', async () => {
    make();
    const ready = event({ signaled: true, manualReset: true });
    expect(await reactor.run(() => reactor.waitForObject(ready.handle))).toEqual({ signaled: true, timedOut: false, abandoned: false });
    expect(reactor.stats()).toMatchObject({ waiterThreadsStarted: 0, objectWaits: 0 });
  });

  test('of two waited handles, the second signalled wakes only its waiter, then the first', async () => {
    make();
    const [first, second] = [event(), event()];
    await reactor.run(async () => {
      const a = track(reactor.waitForObject(first.handle));
      const b = track(reactor.waitForObject(second.handle));
      await reactor.sleep(30);
      second.set();
      await b.promise;
      await reactor.sleep(30);
      expect(a.settled).toBe(false);
      first.set();
      expect(await a.promise).toMatchObject({ signaled: true });
    });
    expect(reactor.stats()).toMatchObject({ waiterThreadsStarted: 1, objectWaits: 0 });
  });

  test('an event set by another thread after T ms wakes the waiter no earlier than T', async () => {
    make();
    const e = event();
    const delayMs = 150;
    const started = reactor.now();
    const setter = new Worker(new URL('../fixtures/event-setter.ts', import.meta.url), { workerData: { handle: e.handle, delayMs } });
    const exited = once(setter, 'exit');
    const result = await reactor.run(() => reactor.waitForObject(e.handle));
    expect(result.signaled).toBe(true);
    expect(reactor.now() - started).toBeGreaterThanOrEqual(delayMs);
    await setter.terminate();
    await exited;
  });

  test('abort returns promptly with the reason and the thread stays in the pool', async () => {
    make();
    const e = event();
    await reactor.run(async () => {
      const controller = new AbortController();
      const waiting = reactor.waitForObject(e.handle, { signal: controller.signal });
      await reactor.sleep(30);
      const reason = new Error('stop waiting');
      controller.abort(reason);
      await expect(waiting).rejects.toBe(reason);
      expect(reactor.stats()).toMatchObject({ objectWaits: 0, waiterThreads: 1 });
      const again = reactor.waitForObject(e.handle);
      e.set();
      await again;
    });
    expect(reactor.stats().waiterThreadsStarted).toBe(1);
  });

  test('timeoutMs elapses with { timedOut: true }', async () => {
    make();
    const e = event();
    await reactor.run(async () => {
      const started = reactor.now();
      expect(await reactor.waitForObject(e.handle, { timeoutMs: 80 })).toEqual({ signaled: false, timedOut: true, abandoned: false });
      expect(reactor.now() - started).toBeGreaterThanOrEqual(80);
      expect(await reactor.waitForObject(e.handle, { timeoutMs: 0 })).toMatchObject({ timedOut: true });
    });
  });

  test('WinEvent.close() during a wait: the wait rejects with ClosedResourceError, then the handle closes and the count is back', async () => {
    make({ waiterIdleMs: 60_000 }); // the waiter thread stays, with its handles, for the whole test
    await reactor.run(async () => {
      // A wait that blocks starts the waiter thread; the baseline is taken with it there.
      const warm = WinEvent.create();
      const warming = warm.wait(reactor);
      expect(await loopUntil(reactor, () => reactor.stats().objectWaits === 1)).toBe(true);
      warm.set();
      expect(await warming).toMatchObject({ signaled: true });
      warm.close();
      const before = await settled(reactor, processHandleCount);

      const e = WinEvent.create();
      const waiting = e.wait(reactor).catch((x: unknown) => x);
      expect(await loopUntil(reactor, () => reactor.stats().objectWaits === 1)).toBe(true);
      e.close();
      // Still open while a waiter thread may hold it: a zero-timeout wait sees an unset event.
      expect(kernel32.WaitForSingleObject(e.handle, 0), 'the handle stays open while waited on').toBe(kernel32.WAIT_TIMEOUT);
      expect(await waiting).toBeInstanceOf(ClosedResourceError);
      await e[Symbol.asyncDispose](); // resolves once the handle is really closed
      expect(reactor.stats().objectWaits).toBe(0);
      expect(await settled(reactor, processHandleCount), 'kernel handles after close').toBe(before);
      await expect(e.wait(reactor)).rejects.toBeInstanceOf(ClosedResourceError);
    });
  });

  test('WinEvent.fromHandle(h).close() ends its own waits but leaves the handle, which is not its, open', async () => {
    make();
    const owner = event();
    await reactor.run(async () => {
      const view = WinEvent.fromHandle(owner.handle);
      const waiting = view.wait(reactor, { timeoutMs: 60_000 }).catch((x: unknown) => x);
      expect(await loopUntil(reactor, () => reactor.stats().objectWaits === 1)).toBe(true);
      view.close();
      expect(await waiting).toBeInstanceOf(ClosedResourceError);
      await view[Symbol.asyncDispose]();
      // The owner's handle is open and works: a new wait on it completes when it is set.
      const again = owner.wait(reactor);
      owner.set();
      expect(await again).toMatchObject({ signaled: true });
    });
  });

  test('close() rejects pending waits with ClosedResourceError and joins the threads', async () => {
    make();
    const e = event();
    const outcome = await reactor.run(async () => {
      const waiting = reactor.waitForObject(e.handle).catch((x: unknown) => x);
      await reactor.sleep(20);
      allowLeft(reactor, { objectWaits: 1 });
      await reactor.close();
      return waiting;
    });
    expect(outcome).toBeInstanceOf(ClosedResourceError);
    expect(reactor.stats()).toMatchObject({ waiterThreads: 0, objectWaits: 0 });
    await expect(reactor.waitForObject(e.handle)).rejects.toBeInstanceOf(ClosedResourceError);
  });

  // Mode-independent (test/helpers/modes.ts): the waiter pool's own bookkeeping (threads per
  // wait, reuse, retirement, one count of a semaphore, a bad handle's failure on the waiter
  // thread) is the same code in every mode; how a finished wait reaches the loop, which the mode
  // changes, is the cases above. Child processes as waited objects: test/objects/child-process.test.ts.
  if (runsOnce(name)) {
    test('a closed handle fails that wait with ERROR_INVALID_HANDLE; a non-handle is a TypeError', async () => {
      make();
      // A guest reactor's helper thread starts with it and makes handles as it starts: once it is
      // up, no thread of ours makes one that could reuse the closed value.
      expect(await helperStarted(reactor)).toBe(true);
      const closed = WinEvent.create();
      closed.close();
      await expect(reactor.waitForObject(closed.handle)).rejects.toMatchObject({ name: 'WinError', winCode: 'ERROR_INVALID_HANDLE', winErrno: 6 });
      await expect(reactor.waitForObject('12' as never)).rejects.toBeInstanceOf(TypeError);
      await expect(reactor.waitForObject(-4)).rejects.toBeInstanceOf(TypeError);
      expect(reactor.stats().waiterThreadsStarted).toBe(0);
    });

    test('1,000 concurrent waits are served by at most 17 threads and all resolve, set in random order', async () => {
      make();
      const events = Array.from({ length: 1000 }, () => event());
      await reactor.run(async () => {
        const waits = events.map((e) => track(reactor.waitForObject(e.handle)));
        expect(reactor.stats().waiterThreads).toBeLessThanOrEqual(17);
        const order = events.map((_, i) => i).sort(() => Math.random() - 0.5);
        for (const [n, i] of order.entries()) {
          events[i]!.set();
          if (n % 100 === 99) await reactor.sleep(1);
        }
        const results = await Promise.all(waits.map((w) => w.promise));
        expect(results.every((r) => r.signaled)).toBe(true);
      });
      expect(reactor.stats()).toMatchObject({ objectWaits: 0 });
      expect(reactor.stats().waiterThreadsStarted).toBeLessThanOrEqual(17);
    });

    test('maxWaitsPerThread: 1 gives a thread per wait, and threads are reused', async () => {
      make({ maxWaitsPerThread: 1 });
      const events = Array.from({ length: 4 }, () => event());
      await reactor.run(async () => {
        const waits = events.map((e) => reactor.waitForObject(e.handle));
        expect(reactor.stats().waiterThreads).toBe(4);
        for (const e of events) e.set();
        await Promise.all(waits);
        const again = events.map((e) => reactor.waitForObject(e.handle));
        for (const e of events) e.set();
        await Promise.all(again);
      });
      expect(reactor.stats().waiterThreadsStarted).toBe(4);
    });

    test('idle waiter threads retire after waiterIdleMs', async () => {
      make({ waiterIdleMs: 50 });
      const e = event();
      await reactor.run(async () => {
        const waiting = reactor.waitForObject(e.handle);
        await reactor.sleep(20);
        e.set();
        await waiting;
        expect(reactor.stats().waiterThreads).toBe(1);
        expect(await loopUntil(reactor, () => reactor.stats().waiterThreads === 0)).toBe(true);
      });
    });

    test('a satisfied semaphore wait takes exactly one count', async () => {
      make();
      const semaphore = kernel32.CreateSemaphoreW(null, 0, 10, null);
      cleanups.push(() => kernel32.CloseHandle(semaphore));
      await reactor.run(async () => {
        const waiting = reactor.waitForObject(Number(semaphore));
        await reactor.sleep(20);
        expect(kernel32.ReleaseSemaphore(semaphore, 1, null)).toBe(1);
        await waiting;
        expect(await reactor.waitForObject(Number(semaphore), { timeoutMs: 0 })).toMatchObject({ timedOut: true });
      });
    });
  }
});
