// The IOCP worker's loop (runs on its own worker_thread; see entry.ts).
//
// Dequeue completions straight into the ring's free slots with GetQueuedCompletionStatusEx
// (blocking, INFINITE), publish them, and wake the reactor if it may be asleep. A full ring makes
// the worker wait for the reactor to consume (backpressure: the kernel keeps queueing in the
// port meanwhile, nothing is dropped). The private KEY_STOP completion ends the loop; any failure
// is recorded in the control block and wakes the reactor before the thread dies, so pending
// operations fail instead of hanging.
import * as kernel32 from '../../win32/kernel32.ts';
import { CompletionRing } from '../completion-ring.ts';
import { ERRNO, EXITING, FAILED, MAX_ENTRIES_PER_DEQUEUE, RUNNING, STATE, STOPPED, ENTRY_SIZE, type IocpWorkerData } from '../protocol.ts';
import { KEY_STOP } from '../../loop/reserved-keys.ts';
import { prepareWaker, requestWake, wakeIfSleeping } from '../../wakeup/wake.ts';
import { WinError } from '../../core/windows-errors.ts';

/** How long a worker facing a full ring sleeps between checks (it is also woken by the reactor). */
const FULL_RING_RECHECK_MS = 1000;

export function runIocpWorker(data: IocpWorkerData): void {
  const ring = new CompletionRing(data.ring, data.control);
  const wakeState = new Int32Array(data.wake.state);
  const removed = new Uint32Array(1);
  prepareWaker(data.wake);
  Atomics.store(ring.control, STATE, RUNNING);
  try {
    // ends: at the KEY_STOP packet the reactor posts when it closes, at EXITING, or when a dequeue fails (throws)
    for (;;) {
      if (Atomics.load(ring.control, EXITING) !== 0) return;
      const { slot, count } = ring.reserve(MAX_ENTRIES_PER_DEQUEUE);
      if (count === 0) {
        ring.waitForSpace(FULL_RING_RECHECK_MS);
        continue;
      }
      const entries = ring.bytes.subarray(slot * ENTRY_SIZE, (slot + count) * ENTRY_SIZE);
      if (!kernel32.GetQueuedCompletionStatusEx(data.port, entries, count, removed, kernel32.INFINITE, 0)) {
        Atomics.store(ring.control, ERRNO, kernel32.GetLastError());
        throw new WinError('GetQueuedCompletionStatusEx', Atomics.load(ring.control, ERRNO));
      }
      let published = removed[0]!;
      const stopAt = ring.findKey(slot, published, KEY_STOP);
      if (stopAt >= 0) {
        // Close the gap the stop entry leaves, so the reactor sees only real completions.
        entries.copyWithin(stopAt * ENTRY_SIZE, (stopAt + 1) * ENTRY_SIZE, published * ENTRY_SIZE);
        published--;
      }
      if (published > 0) {
        ring.publish(published);
        wakeIfSleeping(wakeState, data.wake);
      }
      if (stopAt >= 0) {
        Atomics.store(ring.control, STATE, STOPPED);
        return;
      }
    }
  } catch (error) {
    Atomics.store(ring.control, STATE, FAILED);
    requestWake(wakeState, data.wake);
    throw error;
  }
}
