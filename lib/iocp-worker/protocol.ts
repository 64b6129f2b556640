// The IOCP worker's shared-memory protocol: what the worker thread and the reactor both know.
// Nothing here imports koffi.
//
// The ring is a SharedArrayBuffer of RING_CAPACITY OVERLAPPED_ENTRY records (32 bytes each: key,
// OVERLAPPED address, NTSTATUS, bytes). The worker lets GetQueuedCompletionStatusEx write the
// entries straight into the free slots, then publishes them by advancing HEAD; the reactor reads
// up to the HEAD it loaded and advances TAIL. HEAD and TAIL are free-running 32-bit counters
// (positions are counter mod capacity; differences are taken with `| 0`, so they wrap safely).
//
// Control slots (Int32Array over its own SharedArrayBuffer):
// HEAD     entries published by the worker (written by the worker only)
// TAIL     entries consumed by the reactor (written by the reactor only). A worker that finds the
//          ring full waits on TAIL (Atomics.wait): backpressure, never an overwrite or a drop.
// STATE    RUNNING, then STOPPED (saw the stop key) or FAILED (see ERRNO); set by the worker.
// ERRNO    the Win32 error that made the worker fail, when it failed in a Windows call.
// EXITING  1 once the process (or the thread owning the reactor) is exiting: the worker returns at
//          once, without publishing what it holds (lib/threads/worker-thread.ts, stopAtExit).
import type { WakeTarget } from '../wakeup/protocol.ts';

export const HEAD = 0;
export const TAIL = 1;
export const STATE = 2;
export const ERRNO = 3;
export const EXITING = 4;
export const CONTROL_SLOTS = 5;

export const RUNNING = 1;
export const STOPPED = 2;
export const FAILED = 3;

/**
 * Ring size in entries (a power of two): 4096 × 32 bytes = 128 KiB. A burst larger than this waits
 * in the port (the kernel queues without limit) while the reactor catches up.
 */
export const RING_CAPACITY = 4096;
export const ENTRY_SIZE = 32;

/**
 * Entries one GetQueuedCompletionStatusEx call may remove: a batch big enough to amortise the
 * call and the wake, small enough that one batch never hogs the ring.
 */
export const MAX_ENTRIES_PER_DEQUEUE = 256;

// The reserved completion keys (KEY_OVERLAPPED, KEY_STOP, KEY_WAKE, USER_KEY_BASE) live in
// ../loop/reserved-keys.ts, below both this family and the wake that posts KEY_WAKE.

/** What the worker thread is started with (workerData). */
export interface IocpWorkerData {
  port: number;
  ring: SharedArrayBuffer;
  control: SharedArrayBuffer;
  wake: WakeTarget;
}
