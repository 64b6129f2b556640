// The waiter threads' shared-memory protocol: what a waiter thread and the reactor's WaitPool
// both know. Nothing here imports koffi.
//
// Each waiter thread has one Int32Array (over a SharedArrayBuffer): a header, then one record
// per wait slot. The reactor writes a handle into a FREE slot and moves it to ADD, or moves an
// ADD/WAITING slot to CANCEL (compareExchange, so it never overwrites the thread's result), then
// sets the thread's control event. The thread moves ADD → WAITING when it takes the handle into
// its WaitForMultipleObjects set, and ends every wait with exactly one terminal state:
// SIGNALED, ABANDONED, FAILED (with ERRNO) or CANCELLED. A wait that was signalled while the
// reactor was cancelling it ends SIGNALED — the signal was consumed (an auto-reset event reset, a
// semaphore decremented), so the reactor must not pretend it was cancelled. After writing
// terminal states the thread sets RESULTS and wakes the reactor if it may be asleep; the reactor
// swaps RESULTS to 0, reads the terminal slots and returns them to FREE.
import type { WakeTarget } from '../wakeup/protocol.ts';

// Header slots.
export const STOP = 0;
export const RESULTS = 1;
export const HEADER_SLOTS = 2;

// Per-wait record: STATE, the handle as two 32-bit words, the Win32 error for FAILED.
export const SLOT_STATE = 0;
export const SLOT_HANDLE_LOW = 1;
export const SLOT_HANDLE_HIGH = 2;
export const SLOT_ERRNO = 3;
export const SLOT_WORDS = 4;

export const FREE = 0;
export const ADD = 1;
export const WAITING = 2;
export const CANCEL = 3;
export const SIGNALED = 4;
export const ABANDONED = 5;
export const FAILED = 6;
export const CANCELLED = 7;

/** WaitForMultipleObjects takes 64 handles; one is the thread's control event. */
export const MAX_WAITS_PER_THREAD = 63;

export interface WaiterData {
  /** The thread's control event (auto-reset): set after every request. */
  control: number;
  shared: SharedArrayBuffer;
  capacity: number;
  wake: WakeTarget;
}

export function slotBase(slot: number): number {
  return HEADER_SLOTS + slot * SLOT_WORDS;
}

export function sharedSize(capacity: number): number {
  return (HEADER_SLOTS + capacity * SLOT_WORDS) * 4;
}
