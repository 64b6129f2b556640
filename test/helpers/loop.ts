// Waiting, inside `reactor.run`, for a state the reactor reaches only after asynchronous work has
// drained: cancelled polls' packets coming back through the IOCP worker, a waiter thread retiring.
// The bound is a number of loop iterations, not a time: on a busy 2-core machine the thread that
// delivers the packet can be starved for a long while, and a short clock bound then fails a
// correct reactor (issue: the AFD stats() test that failed under a CPU hog).
import { processHandleCount, type Reactor } from '../../lib/index.ts';
import { yieldToNode } from '../../lib/loop/inline-budget.ts';

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
 * `read()` once it holds still over a few loop turns (three equal readings 5 ms apart), for tests
 * that count handles or threads: threads winmux starts (a guest helper, the IOCP worker, whose OS
 * thread handle its owner opens when the thread reports in) make handles a moment after the call
 * that started them. Bounded by iterations.
 *
 * `acrossNodeTurns`: each pause also waits for a turn of Node's loop. A host reactor may run its
 * iterations inline for up to 16 ms when Node's turns are costly (Wine; lib/loop/inline-budget.ts),
 * and readings taken with no turn between them miss what Node's own callbacks (a Worker's
 * messages, its start) are about to do: for a baseline taken while a Worker has just started (a
 * fresh-clone CI's waker-handles test took it a handle early under both Wines). Not the default:
 * each pause then waits for Node's next turn, and the bad-input tables took ~2× as long.
 */
export async function settled<T>(
  reactor: Reactor, read: () => T, same: (a: T, b: T) => boolean = Object.is, { acrossNodeTurns = false } = {},
): Promise<T> {
  await helperStarted(reactor);
  const pause = acrossNodeTurns ? () => reactor.sleep(5).then(yieldToNode) : () => reactor.sleep(5);
  return heldStill(read, same, pause, { repeats: 3, maxPauses: 400 });
}

/**
 * `read()` once `repeats` readings in a row, each after a `pause()`, have equalled the one before
 * (by `same`), or its last reading after `maxPauses` pauses. `settled` inside a reactor; the leak
 * check's baseline outside one (test/helpers/resources.ts).
 */
export async function heldStill<T>(read: () => T, same: (a: T, b: T) => boolean, pause: () => Promise<unknown>, { repeats, maxPauses }: { repeats: number; maxPauses: number }): Promise<T> {
  let last = read();
  for (let i = 0, equal = 0; i < maxPauses && equal < repeats; i++) {
    await pause();
    const now = read();
    equal = same(now, last) ? equal + 1 : 0;
    last = now;
  }
  return last;
}

/**
 * The process's handle count once it is back at `expected`, or its last reading after 500 pauses
 * (5 s and more): assert on it. A leak stays; a handle another thread holds for a while does not
 * (Node's and vitest's own file reads, and under Wine 10 the wait object of a thread blocked on a
 * completion port, which that thread swaps when it next blocks). A handle a thread keeps for its
 * life is not such a case: one made late is a real difference (as the per-thread socket event was,
 * see test/wakeup/waker-handles.test.ts). `pause` is `() => reactor.sleep(10)` inside
 * `reactor.run`; outside, a 10 ms Node timer.
 */
export async function handleCountBackTo(
  expected: number,
  pause: () => Promise<unknown> = () => new Promise((resolve) => setTimeout(resolve, 10)),
): Promise<number> {
  let count = processHandleCount();
  for (let i = 0; i < 500 && count !== expected; i++) {
    await pause();
    count = processHandleCount();
  }
  return count;
}
