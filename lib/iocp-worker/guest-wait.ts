// The completion port's guest wait (the contract: ../loop/guest-wait.ts), for port mode: a guest
// reactor's helper thread blocks in GetQueuedCompletionStatusEx on the reactor's port and leaves
// what it dequeued in a shared buffer; the reactor's next iteration settles those entries first
// (PortDequeue.dispatch), as its own wait's. AFD polls, overlapped I/O and wakes (KEY_WAKE) all
// complete on the port, so the wait sees arms and disarms by itself.
import type { BlockingWait, GuestWait } from '../loop/guest-wait.ts';
import type { HandedOver } from '../loop/loop-part.ts';
import * as kernel32 from '../win32/kernel32.ts';
import { dwordTimeout } from '../win32/timeouts.ts';
import { ENTRY_SIZE } from './protocol.ts';
import type { Handle } from './handle-registry.ts';

/** Completion entries one helper wait may dequeue from the port. */
const HELPER_ENTRIES = 256;

/** Where the helper's wait dequeues into: what `forHelper` gives it. */
interface PortWaitData {
  port: Handle;
  /** HELPER_ENTRIES OVERLAPPED_ENTRYs. */
  entries: SharedArrayBuffer;
}

/** The reactor's side: the entries the helper dequeued from `port` are handed over. */
export function portGuestWait(port: Handle): GuestWait {
  const entries = new SharedArrayBuffer(HELPER_ENTRIES * ENTRY_SIZE);
  const batch = new Uint32Array(entries);
  return {
    armRedoesWait: false,
    forHelper: () => ({ module: import.meta.url, data: { port, entries } satisfies PortWaitData, transfer: [] }),
    prepare() {},
    handedOver: (result): HandedOver | undefined => (result > 0 ? { batch, count: result } : undefined),
    close() {},
  };
}

/** The helper thread's side (OpenBlockingWait): GetQueuedCompletionStatusEx into the shared entries. */
export function openBlockingWait(data: unknown): BlockingWait {
  const { port, entries: buffer } = data as PortWaitData;
  const entries = new Uint8Array(buffer);
  const removed = new Uint32Array(1);
  const blocking = {
    errno: 0,
    wait(timeoutMs: number): number {
      if (kernel32.GetQueuedCompletionStatusEx(port, entries, HELPER_ENTRIES, removed, dwordTimeout(timeoutMs), 0)) {
        blocking.errno = 0;
        return removed[0]!;
      }
      const errno = kernel32.GetLastError();
      blocking.errno = errno === kernel32.WAIT_TIMEOUT ? 0 : errno; // nothing came: not a failure
      return 0;
    },
  };
  return blocking;
}
