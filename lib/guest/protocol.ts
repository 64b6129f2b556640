// The guest helper's shared state: what the reactor (on Node's thread) asks its helper thread to
// wait for, and what the helper found. One request at a time; the reactor writes a request,
// sets REQUEST to WAIT and notifies; the helper blocks, writes RESULT/ERRNO, sets REQUEST back
// to IDLE and posts a message (which is what wakes Node's loop).
import type { MessagePort } from 'node:worker_threads';

/** Int32 slots of the control block. */
export const REQUEST = 0; // IDLE, WAIT or STOP
export const READ_SET = 2; // byte offsets of the three fd_sets in the sets buffer, -1 for none
export const WRITE_SET = 3;
export const EXCEPT_SET = 4;
export const RESULT = 5; // select's result, or the count of entries dequeued from the port
export const ERRNO = 6; // the Win32/WSA error when the wait failed, else 0
export const CONTROL_SLOTS = 8;
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

/** Completion entries one helper wait may dequeue from the port (port mode). */
export const HELPER_ENTRIES = 256;

export interface GuestHelperData {
  /** 'select': select over the fd_sets in `sets`; 'port': GetQueuedCompletionStatusEx on `port`. */
  kind: 'select' | 'port';
  control: SharedArrayBuffer;
  /** select: the fd_sets (replaced through `setsPort` when they outgrow it); port: the dequeued entries. */
  sets: SharedArrayBuffer;
  port: number;
  /** Where a larger sets buffer arrives (read with receiveMessageOnPort before each wait). */
  setsPort: MessagePort;
}
