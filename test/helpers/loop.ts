// Waiting, inside `reactor.run`, for a state the reactor reaches only after asynchronous work has
// drained: cancelled polls' packets coming back through the IOCP worker, a waiter thread retiring.
// The bound is a number of loop iterations, not a time: on a busy 2-core machine the thread that
// delivers the packet can be starved for a long while, and a short clock bound then fails a
// correct reactor (issue: the AFD stats() test that failed under a CPU hog).
import type { Reactor } from '../../lib/index.ts';

/**
 * Turns the loop — each turn blocks until an event or `stepMs` — until `condition()` holds or
 * `maxIterations` loop iterations have gone by. Returns the condition's last value: assert on it.
 */
export async function loopUntil(reactor: Reactor, condition: () => boolean, { maxIterations = 1000, stepMs = 10 } = {}): Promise<boolean> {
  const start = reactor.stats().iterations;
  while (!condition()) {
    if (reactor.stats().iterations - start >= maxIterations) return false;
    await reactor.sleep(stepMs);
  }
  return true;
}

/**
 * For tests that count handles or threads: a guest reactor's helper thread starts with the
 * reactor and makes its handles as it comes up (0.1–1 s under Wine). Resolves once it is up (at
 * once for a host-mode reactor); bounded by loop iterations like `loopUntil`.
 */
export async function helperStarted(reactor: Reactor): Promise<boolean> {
  if (!reactor.guest) return true;
  return loopUntil(reactor, () => reactor.stats().guestHelper !== 'starting', { maxIterations: 2000, stepMs: 5 });
}

/**
 * The process's handle count once it holds still over a few loop turns: threads winmux starts
 * (a guest helper, the IOCP worker, whose OS thread handle its owner opens when the thread
 * reports in) make handles a moment after the call that started them. Bounded by iterations.
 */
export async function settledHandleCount(reactor: Reactor, count: () => number): Promise<number> {
  await helperStarted(reactor);
  let last = count();
  for (let i = 0, same = 0; i < 200 && same < 3; i++) {
    await reactor.sleep(10);
    const now = count();
    same = now === last ? same + 1 : 0;
    last = now;
  }
  return last;
}
