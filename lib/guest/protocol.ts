// The guest helper's shared state: what the reactor (on Node's thread) asks its helper thread to
// wait for, and what the helper found. One request at a time; the reactor writes a request,
// sets REQUEST to WAIT and notifies; the helper blocks, writes RESULT/ERRNO, sets REQUEST back
// to IDLE and posts a message (which is what wakes Node's loop). What it blocks in is the
// poller's own call (../loop/guest-wait.ts), with shared buffers of that poller's.

/** Int32 slots of the control block. */
export const REQUEST = 0; // IDLE, WAIT or STOP
export const RESULT = 1; // what the blocking call counted (ready sockets, entries dequeued)
export const ERRNO = 2; // the Win32/WSA error when the wait failed, else 0
export const CONTROL_SLOTS = 4;
/**
 * Float64 slot (after the Int32 slots): when the wait must end, in ms since the Unix epoch
 * (performance.timeOrigin + performance.now(), comparable across threads); Infinity for no limit.
 * A deadline rather than a timeout, so a helper that starts late does not wait too long.
 */
export const DEADLINE = CONTROL_SLOTS / 2;
export const CONTROL_BYTES = CONTROL_SLOTS * 4 + 8;

/** Now, on the clock the deadline is written in. */
export const epochNow = (): number => performance.timeOrigin + performance.now();

export const IDLE = 0;
export const WAIT = 1;
export const STOP = 2;

export interface GuestHelperData {
  control: SharedArrayBuffer;
  /** The poller's blocking call: the module exporting `openBlockingWait`, and its data (GuestWait.forHelper). */
  waitModule: string;
  waitData: unknown;
}
