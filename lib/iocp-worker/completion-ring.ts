// CompletionRing: the single-producer, single-consumer ring of OVERLAPPED_ENTRY records between
// the IOCP worker (producer) and the reactor (consumer). Layout and ordering: protocol.ts. Pure
// shared-memory logic: unit-tested without Windows.
import { CONTROL_SLOTS, ENTRY_SIZE, HEAD, RING_CAPACITY, TAIL } from './protocol.ts';
import { OVERLAPPED_ENTRY } from '../win32/structs.ts';
import { readU64, writeU64 } from '../core/u64.ts';


/** One completion, as the reactor sees it. Addresses and keys fit a JS number (user space is 47 bits). */
export interface Completion {
  key: number;
  overlapped: number;
  status: number;
  bytes: number;
}

/**
 * Decodes the OVERLAPPED_ENTRY at `index` of `words` into `into` (reused by the caller): the one
 * place that knows the entry layout on the reading side, for the ring and for a reactor that
 * dequeues from its port directly.
 */
export function readEntry(words: Uint32Array, index: number, into: Completion): Completion {
  const at = (index * ENTRY_SIZE) / 4;
  into.key = readU64(words, at + OVERLAPPED_ENTRY.KEY / 4);
  into.overlapped = readU64(words, at + OVERLAPPED_ENTRY.OVERLAPPED / 4);
  into.status = words[at + OVERLAPPED_ENTRY.STATUS / 4]!;
  into.bytes = words[at + OVERLAPPED_ENTRY.BYTES / 4]!;
  return into;
}

export class CompletionRing {
  readonly capacity: number;
  readonly bytes: Uint8Array;
  readonly control: Int32Array;
  readonly #words: Uint32Array;

  constructor(ring?: SharedArrayBuffer, control?: SharedArrayBuffer, capacity = RING_CAPACITY) {
    if ((capacity & (capacity - 1)) !== 0) throw new RangeError('ring capacity must be a power of two');
    this.capacity = capacity;
    const ringBuffer = ring ?? new SharedArrayBuffer(capacity * ENTRY_SIZE);
    this.bytes = new Uint8Array(ringBuffer);
    this.#words = new Uint32Array(ringBuffer);
    this.control = new Int32Array(control ?? new SharedArrayBuffer(CONTROL_SLOTS * 4));
  }

  /** Entries published and not yet consumed. */
  backlog(): number {
    return (Atomics.load(this.control, HEAD) - Atomics.load(this.control, TAIL)) | 0;
  }

  // ---- producer side (the worker) ----

  /**
   * Where the producer may write next: the slot index and how many contiguous free slots follow
   * (≤ `limit`). 0 means the ring is full: wait with `waitForSpace`.
   */
  reserve(limit: number): { slot: number; count: number } {
    const head = Atomics.load(this.control, HEAD);
    const free = this.capacity - ((head - Atomics.load(this.control, TAIL)) | 0);
    const slot = head & (this.capacity - 1);
    return { slot, count: Math.min(free, this.capacity - slot, limit) };
  }

  /** Makes `count` entries written at the reserved slot visible to the consumer. */
  publish(count: number): void {
    Atomics.add(this.control, HEAD, count);
  }

  /** Blocks the producer until the consumer frees a slot (or `timeoutMs` passes). */
  waitForSpace(timeoutMs: number): void {
    const tail = Atomics.load(this.control, TAIL);
    if (((Atomics.load(this.control, HEAD) - tail) | 0) < this.capacity) return;
    Atomics.wait(this.control, TAIL, tail, timeoutMs);
  }

  /** Index (0-based, from `slot`) of the first of `count` entries whose key is `key`, or -1. */
  findKey(slot: number, count: number, key: number): number {
    for (let i = 0; i < count; i++) {
      const at = ((slot + i) * ENTRY_SIZE) / 4;
      if (this.#words[at + OVERLAPPED_ENTRY.KEY / 4] === key && this.#words[at + OVERLAPPED_ENTRY.KEY / 4 + 1] === 0) return i;
    }
    return -1;
  }

  /** Writes one entry (for tests and for producers that do not let the kernel write). */
  writeEntry(slot: number, entry: Completion): void {
    const at = (slot * ENTRY_SIZE) / 4;
    writeU64(this.#words, at + OVERLAPPED_ENTRY.KEY / 4, entry.key);
    writeU64(this.#words, at + OVERLAPPED_ENTRY.OVERLAPPED / 4, entry.overlapped);
    this.#words[at + OVERLAPPED_ENTRY.STATUS / 4] = entry.status >>> 0;
    this.#words[at + OVERLAPPED_ENTRY.STATUS / 4 + 1] = 0;
    this.#words[at + OVERLAPPED_ENTRY.BYTES / 4] = entry.bytes >>> 0;
  }

  // ---- consumer side (the reactor) ----

  /**
   * Hands every entry published *now* to `handle` (one reused object: copy what you keep) (entries published meanwhile wait for the next
   * call), frees their slots, and wakes a producer waiting for space. Returns how many.
   */
  drain(handle: (entry: Completion) => void): number {
    const head = Atomics.load(this.control, HEAD);
    let tail = Atomics.load(this.control, TAIL);
    const count = (head - tail) | 0;
    const entry: Completion = { key: 0, overlapped: 0, status: 0, bytes: 0 };
    for (let i = 0; i < count; i++, tail = (tail + 1) | 0) {
      handle(readEntry(this.#words, tail & (this.capacity - 1), entry));
    }
    if (count > 0) {
      Atomics.store(this.control, TAIL, tail);
      Atomics.notify(this.control, TAIL);
    }
    return count;
  }
}
