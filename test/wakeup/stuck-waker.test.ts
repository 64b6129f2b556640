// A waker that never finishes its wake — a worker terminated between whileOpen's count and its
// release skips its `finally` — must not keep close() waiting forever (refuseWakes, lib/wakeup/wake.ts):
// close() runs on the reactor's thread, and the wait for wakers blocks it.
import { afterEach, describe, expect, test } from 'vitest';
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import { Reactor } from '../../lib/index.ts';
import { SENDERS } from '../../lib/wakeup/protocol.ts';
import { checkResourcesReleased } from '../helpers/resources.ts';
import { LOOP_MODES } from '../helpers/modes.ts';

checkResourcesReleased();

/** Far beyond close's wait for wakers: a close that waits for this waker ends only when it gives its count back. */
const PARK_MS = 60_000;

// The two ways a wake travels (a byte to the wakeup socket, a packet to the port); a guest reactor closes its wake the same way.
describe.each(LOOP_MODES.filter(({ mode }) => mode.guest !== true))('a stuck waker (waiting in $name)', ({ mode }) => {
  let waker: Worker | undefined;
  afterEach(async () => {
    await waker?.terminate();
  });

  test('close() returns while a waker is still counted in the middle of a wake', async () => {
    const reactor = new Reactor(mode);
    const state = reactor.wakeTarget().state;
    waker = new Worker(new URL('../fixtures/stuck-waker.ts', import.meta.url), { workerData: { state, parkMs: PARK_MS } });
    await once(waker, 'message');
    expect(Atomics.load(new Int32Array(state), SENDERS)).toBe(1);
    await reactor.close();
    // Still counted: close went on without it (before the fix it waited until the count came back).
    expect(Atomics.load(new Int32Array(state), SENDERS)).toBe(1);
    expect(reactor.stats().closed).toBe(true);
  });
});
