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
