// Faults: a thread winmux depends on killed natively (TerminateThread) while work is pending on it.
// Node's 'exit' event never fires for such a thread; the owner notices by looking at the OS thread
// (lib/threads/worker-thread.ts). No leak check in this file: the killed threads' Node Workers (their
// libuv loops, isolates and thread handles) can never be torn down — that is the cost of the fault,
// not a winmux leak. The process still exits (the file ending is the proof).
import { afterEach, describe, expect, test } from 'vitest';
import { NamedPipe, NamedPipeServer, Reactor, ThreadExitedError } from '../../lib/index.ts';
import { kCompletionPort, kGuestLoop, kWaitPool } from '../../lib/scheduler/reactor.ts';
import * as kernel32 from '../../lib/win32/kernel32.ts';
import { helperStarted, loopUntil } from '../helpers/loop.ts';
import { killAtBirth, terminateThread, untilBlocked } from '../helpers/kill-thread.ts';
import { track } from '../helpers/track.ts';
import { allowLeft } from '../helpers/loop-empty.ts';

let reactor: Reactor | undefined;
const cleanups: (() => void)[] = [];
afterEach(async () => {
  await reactor?.close();
  reactor = undefined;
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** Kills thread `id` once it is blocked in its native wait, where it holds no lock (test/helpers/kill-thread.ts). */
async function killWaiting(id: number): Promise<void> {
  await untilBlocked(id);
  terminateThread(id);
}

test('the IOCP worker killed with TerminateThread: pending reads and key monitors reject naming it, new work is refused, close() completes', async () => {
  const r = (reactor = new Reactor());
  const name = `winmux-killed-${process.pid}`;
  const outcome = await r.run(async () => {
    const listener = new NamedPipeServer(r, name);
    const accepted = listener.accept();
    const client = await NamedPipe.connect(r, name);
    const server = await accepted;
    cleanups.push(() => {
      void server.close();
      void client.close();
      void listener.close();
    });
    const read = track(server.read(Buffer.alloc(16)));
    const next = track(r.monitorCompletionKey().next());
    const port = r[kCompletionPort];
    expect(await loopUntil(r, () => port.workerThreadId !== 0)).toBe(true);
    await killWaiting(port.workerThreadId);
    expect(await loopUntil(r, () => read.settled && next.settled)).toBe(true);
    return { read: read.error, next: next.error, stats: r.stats(), post: (() => {
      try {
        r.postCompletion(0x2000);
        return undefined;
      } catch (error) {
        return error;
      }
    })() };
  });
  for (const error of [outcome.read, outcome.next, outcome.post]) {
    expect(error).toBeInstanceOf(ThreadExitedError);
    expect((error as Error).message).toMatch(/^the IOCP worker thread \(OS thread \d+\) ended without exiting through Node/);
  }
  expect(outcome.stats.iocpWorker).toBe('failed');
  await r.close();
  expect(r.stats()).toMatchObject({ closed: true, iocpWorker: 'failed' });
});

// Port mode too: there the loop blocks in the port, not in select, and must still look.
test.each([{ name: 'select', mode: {} }, { name: 'port', mode: { readiness: 'afd' as const } }])('a waiter thread killed with TerminateThread (waiting in $name): its waits reject naming it, the next wait gets a new thread', async ({ mode }) => {
  const r = (reactor = new Reactor(mode));
  const event = kernel32.CreateEventW(null, 0, 0, null);
  cleanups.push(() => kernel32.CloseHandle(event));
  const outcome = await r.run(async () => {
    const wait = track(r.waitForObject(event));
    expect(await loopUntil(r, () => r.stats().objectWaits === 1 && r.stats().waiterThreads === 1)).toBe(true);
    expect(await loopUntil(r, () => waiterThreadIds(r).length === 1)).toBe(true);
    await killWaiting(waiterThreadIds(r)[0]!);
    expect(await loopUntil(r, () => wait.settled)).toBe(true);
    const lostStats = r.stats();
    // The pool refused nothing: a new wait starts a new thread, and the event's signal reaches it.
    const again = r.waitForObject(event);
    await r.sleep(20);
    kernel32.SetEvent(event);
    return { error: wait.error, lostStats, again: await again, after: r.stats() };
  });
  expect(outcome.error).toBeInstanceOf(ThreadExitedError);
  expect((outcome.error as Error).message).toMatch(/^a waiter thread \(OS thread \d+\) ended without exiting through Node/);
  expect(outcome.lostStats).toMatchObject({ objectWaits: 0, waiterThreads: 0, waiterThreadsLost: 1 });
  expect(outcome.again).toEqual({ signaled: true, timedOut: false, abandoned: false });
  expect(outcome.after).toMatchObject({ waiterThreadsStarted: 2, waiterThreadsLost: 1 });
  await r.close();
});

// A thread killed before it has reported its OS thread id (while Node starts it: 0.2–1.4 s under
// Wine). Its owner found the thread when it started it; before, nothing looked, and the wait (and
// close(), which joins the thread) hung.
test.each([{ name: 'select', mode: {} }, { name: 'port', mode: { readiness: 'afd' as const } }])('a waiter thread killed while Node starts it, before it reports its OS thread id ($name): its wait rejects naming it, close() completes', async ({ mode }) => {
  const r = (reactor = new Reactor(mode));
  const event = kernel32.CreateEventW(null, 0, 0, null);
  cleanups.push(() => kernel32.CloseHandle(event));
  const outcome = await r.run(async () => {
    const wait = track(killAtBirth(() => r.waitForObject(event), () => r[kWaitPool].startedThreads()[0]!.foundThreadId()));
    expect(r[kWaitPool].startedThreads()[0]!.threadId(), 'it never reported').toBe(0);
    expect(await loopUntil(r, () => wait.settled)).toBe(true);
    return { error: wait.error, stats: r.stats() };
  });
  expect(outcome.error).toBeInstanceOf(ThreadExitedError);
  expect((outcome.error as Error).message).toMatch(/^a waiter thread \(OS thread \d+\) ended without exiting through Node while starting: killed/);
  expect(outcome.stats).toMatchObject({ objectWaits: 0, waiterThreads: 0, waiterThreadsLost: 1 });
  await r.close();
  expect(r.stats()).toMatchObject({ closed: true, waiterThreads: 0 });
});

function waiterThreadIds(r: Reactor): number[] {
  return r[kWaitPool].threadIds();
}

/** Turns of Node's loop (no reactor work) until the guest's helper holds the wait; bounded by turns. */
async function helperWaiting(r: Reactor): Promise<boolean> {
  for (let i = 0; i < 10_000 && r.stats().guestHelper !== 'waiting'; i++) await new Promise((resolve) => setImmediate(resolve));
  return r.stats().guestHelper === 'waiting' && r[kGuestLoop]!.helperThreadId !== 0;
}

// Guest mode: an idle guest makes no iterations, so it looks at its threads from a Node interval
// while its helper waits — at the helper itself and at the reactor's other threads.
describe.each([{ name: 'select', mode: {} }, { name: 'port', mode: { readiness: 'afd' as const } }])('a guest reactor ($name)', ({ mode }) => {
  test('its helper killed while it waits: what waited on the reactor rejects naming the helper, and close() completes', async () => {
    const r = (reactor = new Reactor({ ...mode, guest: true }));
    const sleeping = track(r.sleep(600_000));
    allowLeft(r, { sleeps: 1 }); // the failed guest loop closes the reactor with it pending
    expect(await helperStarted(r)).toBe(true);
    expect(await helperWaiting(r)).toBe(true);
    await killWaiting(r[kGuestLoop]!.helperThreadId);
    const error = await sleeping.promise.then(() => undefined, (e: unknown) => e);
    expect(error, 'the sleep rejected').toBeInstanceOf(Error);
    expect(String((error as Error).cause ?? '') + (error as Error).message).toMatch(/guest reactor's helper thread \(OS thread \d+\) ended without exiting through Node/);
    expect(r.stats()).toMatchObject({ closed: true, guestHelper: 'failed' });
    await r.close();
  });

  test('its helper killed while Node starts it, before it reports its OS thread id: what waited on the reactor rejects naming the helper, and close() completes', async () => {
    const r = (reactor = killAtBirth(() => new Reactor({ ...mode, guest: true }), (made) => made[kGuestLoop]!.helper!.foundThreadId()));
    expect(r[kGuestLoop]!.helperThreadId, 'it never reported').toBe(0);
    const sleeping = track(r.sleep(600_000));
    allowLeft(r, { sleeps: 1 }); // the failed guest loop closes the reactor with it pending
    const error = await sleeping.promise.then(() => undefined, (e: unknown) => e);
    expect(error, 'the sleep rejected').toBeInstanceOf(Error);
    expect(String((error as Error).cause ?? '')).toMatch(/guest reactor's helper thread \(OS thread \d+\) ended without exiting through Node while starting: killed/);
    expect(r.stats()).toMatchObject({ closed: true, guestHelper: 'failed' });
    await r.close();
  });

  // close() joins the helper: it must look at it meanwhile, as the other joins do, or a helper
  // killed before anything noticed is awaited forever (GuestLoop.stop awaited its 'exit').
  test('closed at once after its helper was killed (before anything looked at it): close() completes, the wait rejects as closed', async () => {
    const r = (reactor = new Reactor({ ...mode, guest: true }));
    const sleeping = track(r.sleep(600_000));
    expect(await helperStarted(r)).toBe(true);
    expect(await helperWaiting(r)).toBe(true);
    await killWaiting(r[kGuestLoop]!.helperThreadId);
    allowLeft(r, { sleeps: 1 }); // closed on purpose with the sleep pending
    await r.close();
    expect(r.stats()).toMatchObject({ closed: true });
    const error = await sleeping.promise.then(() => undefined, (e: unknown) => e);
    expect((error as Error).name).toBe('ClosedResourceError');
  });

  test('a thread of the reactor killed while the helper waits (no event, no timer) fails its work naming it', async () => {
    const r = (reactor = new Reactor({ ...mode, guest: true }));
    const event = kernel32.CreateEventW(null, 0, 0, null);
    cleanups.push(() => kernel32.CloseHandle(event));
    const wait = track(r.waitForObject(event));
    expect(await helperStarted(r)).toBe(true);
    expect(await loopUntil(r, () => waiterThreadIds(r).length === 1)).toBe(true);
    expect(await helperWaiting(r)).toBe(true);
    const turns = r.stats().guestTurns!;
    await killWaiting(waiterThreadIds(r)[0]!);
    const error = await wait.promise.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ThreadExitedError);
    expect((error as Error).message).toMatch(/^a waiter thread \(OS thread \d+\) ended without exiting through Node/);
    // Found by looking, not by a turn of the loop: the reactor stays usable.
    expect(r.stats()).toMatchObject({ closed: false, objectWaits: 0, waiterThreadsLost: 1 });
    expect(r.stats().guestTurns! - turns).toBeLessThanOrEqual(2);
    await r.close();
  });
});
