// PortDequeue: how packets leave the port in port mode — no worker and no ring: the reactor
// thread itself blocks in GetQueuedCompletionStatusEx on its port (cross-thread wakes arrive
// there too, as KEY_WAKE packets: wakeup/port-wakeup.ts). Also decodes the entries a guest
// reactor's helper thread dequeued from the same port on the loop's behalf (lib/guest/). Every
// entry, wakes included, goes to one `deliver`: the key table's dispatch (completion-keys.ts).
import { dwordTimeout } from '../win32/timeouts.ts';
import * as kernel32 from '../win32/kernel32.ts';
import { WinError } from '../core/windows-errors.ts';
import { readEntry, type Completion } from './completion-ring.ts';
import { ENTRY_SIZE, MAX_ENTRIES_PER_DEQUEUE, RING_CAPACITY } from './protocol.ts';
import type { Handle } from './handle-registry.ts';

/** Packets one port-mode wait dequeues: the same batch bound as the worker's, for the same reason. */
const MAX_ENTRIES_PER_WAIT = MAX_ENTRIES_PER_DEQUEUE;

export class PortDequeue {
  readonly #port: Handle;
  /** The entries one GetQueuedCompletionStatusEx call writes, and its count out-parameter. */
  readonly #entries = new Uint8Array(new ArrayBuffer(MAX_ENTRIES_PER_WAIT * ENTRY_SIZE));
  readonly #entryWords = new Uint32Array(this.#entries.buffer);
  readonly #removed = new Uint32Array(1);
  readonly #entry: Completion = { key: 0, overlapped: 0, status: 0, bytes: 0 };
  #moreQueued = false;

  constructor(port: Handle) {
    this.#port = port;
  }

  /** The last wait stopped at its cap with full batches: more packets may be queued. */
  get moreQueued(): boolean {
    return this.#moreQueued;
  }

  /**
   * Blocks in GetQueuedCompletionStatusEx for up to `timeoutMs` (0 polls; Infinity waits without
   * limit) and dispatches what it dequeued; while batches come back full it dequeues again
   * without waiting, up to RING_CAPACITY packets — the most the worker's ring hands the loop in
   * select mode. Fewer (one batch) let a thread posting without pause outrun the loop, and then
   * socket readiness (AFD packets on the same first-in-first-out port) waited behind an ever
   * longer queue. Returns the packet count, wakes included.
   */
  wait(timeoutMs: number, deliver: (entry: Completion) => void): number {
    let ms = dwordTimeout(timeoutMs);
    let total = 0;
    while (total < RING_CAPACITY) {
      if (!kernel32.GetQueuedCompletionStatusEx(this.#port, this.#entries, MAX_ENTRIES_PER_WAIT, this.#removed, ms, 0)) {
        const errno = kernel32.GetLastError();
        if (errno === kernel32.WAIT_TIMEOUT) break;
        throw new WinError('GetQueuedCompletionStatusEx', errno);
      }
      const count = this.#removed[0]!;
      this.dispatch(this.#entryWords, count, deliver);
      total += count;
      if (count < MAX_ENTRIES_PER_WAIT) break;
      ms = 0;
    }
    // The loop stops when the port ran dry (a partial batch, or the wait timed out) or when it
    // reached the cap with full batches — then more packets may wait.
    this.#moreQueued = total >= RING_CAPACITY;
    return total;
  }

  /**
   * Hands `count` OVERLAPPED_ENTRYs that GetQueuedCompletionStatusEx wrote into `words` — this
   * thread's own wait, or a guest reactor's helper thread's — to `deliver`, in order.
   */
  dispatch(words: Uint32Array, count: number, deliver: (entry: Completion) => void): void {
    for (let i = 0; i < count; i++) deliver(readEntry(words, i, this.#entry));
  }
}
