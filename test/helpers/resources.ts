// Leak checks: every test file calls `checkResourcesReleased()` once at top level. It records the
// process's kernel handle count and OS thread count before the file's tests, and after them
// expects both back where they started. Other code in the process (vitest's own RPC, Node's file
// reads) can hold a handle for a moment, so the check retries briefly before failing.
import { afterAll, beforeAll, expect } from 'vitest';
import { processHandleCount, processThreadCount, winsock } from '../../lib/index.ts';
import { heldStill } from './loop.ts';

export interface Counts {
  handles: number;
  threads: number;
}

/** The process's kernel handle count and OS thread count, now. */
export function counts(): Counts {
  return { handles: processHandleCount(), threads: processThreadCount() };
}

export const sameCounts = (a: Counts, b: Counts): boolean => a.handles === b.handles && a.threads === b.threads;

export async function settle(check: () => boolean, timeoutMs = 5000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (check()) return true;
    if (Date.now() > until) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Winsock opens one handle of its own the first time a socket is bound, and keeps it for the life
 * of the process (measured under Wine: +1 after the first bind, none after later ones). That is
 * start-up, not a leak, so the baseline is taken after one pair was made and closed.
 */
function warmUpWinsock(): void {
  winsock.closeQuietly(...winsock.loopbackPair());
}

/**
 * `startupHandles`: handles the file's first use of some facility keeps for the process's life,
 * each with its reason at the call site, or a function that says so when the file starts (Node's
 * first child-process spawn, libuv's job object, comes once per process: nodeChildStartupHandles).
 * `settleMs`: how long the final check waits for threads and handles that close by themselves.
 */
export function checkResourcesReleased({ startupHandles = 0 as number | (() => number), settleMs = 5000 } = {}): void {
  let before: Counts;
  beforeAll(async () => {
    warmUpWinsock();
    const now = await steadyCounts();
    const startup = typeof startupHandles === 'number' ? startupHandles : startupHandles();
    before = { handles: now.handles + startup, threads: now.threads };
  });
  afterAll(async () => {
    let after = counts();
    // The handle count must come back to the baseline exactly, from above or from below. Under
    // Wine 10 a thread blocked in GetQueuedCompletionStatus(Ex) holds a wait object (one handle)
    // for the port it last blocked on, freed with that port: once a port-mode reactor's port is
    // closed, the thread is one handle short until it next blocks in libuv's port, which the
    // timer between two tries here makes it do.
    await settle(() => {
      after = counts();
      return after.handles === before.handles && after.threads <= before.threads;
    }, settleMs);
    if (after.threads < before.threads && after.handles < before.handles) {
      // A thread that was running when the file started has ended, with its handles: one an
      // earlier file of this process left ending (the files share it, vitest.config.ts), or a
      // Windows thread-pool thread retiring (Wine: after 5 s idle). Its handles cannot be told
      // from the file's, so what is left to check is that the file added none.
      expect(after.handles, 'kernel handles after this file (a thread older than the file ended)').toBeLessThanOrEqual(before.handles);
      return;
    }
    expect(after, 'kernel handles and OS threads after this file').toEqual(before);
  });
}

/**
 * The counts once three readings 20 ms apart agree (at most ~2 s): the baseline is not taken while
 * a thread an earlier file of this process stopped is still ending (a Node Worker's OS thread ends
 * a moment after its 'exit' event).
 */
function steadyCounts(): Promise<Counts> {
  return heldStill(counts, sameCounts, () => new Promise((resolve) => setTimeout(resolve, 20)), { repeats: 2, maxPauses: 100 });
}
