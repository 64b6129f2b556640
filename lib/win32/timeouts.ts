// Milliseconds → the timeout each blocking call takes, with one rule for all of them: Infinity
// blocks without limit; a fraction rounds up, so a sub-millisecond wait does not make the loop
// spin; a negative wait is 0; a wait beyond what the call can take (or beyond a day) is cut to
// its longest, and the scheduler waits again if it needs more.
import { INFINITE } from './kernel32.ts';

/** The longest single wait any blocking call here makes: a day, far beyond any real loop's wait. */
export const MAX_WAIT_MS = 86_400_000;

/** `timeoutMs` as whole milliseconds in [0, MAX_WAIT_MS] (finite `timeoutMs` only). */
export function wholeMs(timeoutMs: number): number {
  return Math.min(Math.max(Math.ceil(timeoutMs), 0), MAX_WAIT_MS);
}

/** A DWORD of ms for GetQueuedCompletionStatusEx and the WaitFor* calls: INFINITE blocks. */
export function dwordTimeout(timeoutMs: number): number {
  return timeoutMs === Infinity ? INFINITE : wholeMs(timeoutMs);
}

/** WSAPoll's INT timeout: -1 blocks. */
export function pollTimeout(timeoutMs: number): number {
  return timeoutMs === Infinity ? -1 : wholeMs(timeoutMs);
}
