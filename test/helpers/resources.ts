// Leak checks: every test file calls `checkResourcesReleased()` once at top level. It records the
// process's kernel handle count and OS thread count before the file's tests, and after them
// expects both back where they started. Other code in the process (vitest's own RPC, Node's file
// reads) can hold a handle for a moment, so the check retries briefly before failing.
import { afterAll, beforeAll, expect } from 'vitest';
import { processHandleCount, processThreadCount, winsock } from '../../lib/index.ts';

interface Counts {
  handles: number;
  threads: number;
}

function counts(): Counts {
  return { handles: processHandleCount(), threads: processThreadCount() };
}

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
 * each with its reason at the call site (Node's first child-process spawn: libuv's job object).
 * `settleMs`: how long the final check waits for threads and handles that close by themselves.
 */
export function checkResourcesReleased({ startupHandles = 0, settleMs = 5000 } = {}): void {
  let before: Counts;
  beforeAll(() => {
    warmUpWinsock();
    const now = counts();
    before = { handles: now.handles + startupHandles, threads: now.threads };
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
    expect(after, 'kernel handles and OS threads after this file').toEqual(before);
  });
}
