// PollSet: the interest of a WSAPoll backend as one WSAPOLLFD array, updated incrementally.
//
// One entry per socket, its `events` holding the read and write interest together. WSAPoll
// rewrites only `revents` (WSAPoll docs: the array is "[in, out]", and every entry that matches
// nothing has its `revents` set to 0), so unlike an fd_set for select the array is handed to the
// kernel as it is: no copy per call.
//
// Adding appends; removing moves the last entry into the hole (swap-remove) with an index map,
// so arming and disarming are O(1). What WSAPoll found is read by scanning every entry's
// `revents`: its return value is not trusted as a count (under Wine a POLLNVAL entry next to a
// ready one returned 1 with both entries set; see docs/wine.md).
import { WSAPOLLFD } from '../win32/structs.ts';
import type { Socket } from '../win32/winsock.ts';
import { readU64, writeU64 } from '../core/u64.ts';

/** The largest array a PollSet grows to: 2^20 sockets, 16 MiB — the same bound as a SelectSet. */
export const MAX_POLL_SET_SIZE = 1 << 20;

const INITIAL_CAPACITY = 64;
const WORDS = WSAPOLLFD.SIZE / 4;
const SHORTS = WSAPOLLFD.SIZE / 2;
const FD_WORD = WSAPOLLFD.FD / 4;
const EVENTS_SHORT = WSAPOLLFD.EVENTS / 2;
const REVENTS_SHORT = WSAPOLLFD.REVENTS / 2;

export class PollSet {
  #capacity: number;
  #bytes!: Uint8Array;
  #words!: Uint32Array;
  #shorts!: Int16Array;
  #count = 0;
  readonly #index = new Map<Socket, number>();

  constructor(initialCapacity = INITIAL_CAPACITY) {
    this.#capacity = Math.max(1, initialCapacity);
    this.#allocate(this.#capacity);
  }

  /** Entries (sockets) in the array. */
  get size(): number {
    return this.#count;
  }

  /** The `events` bits `socket` is polled for; 0 if it is not in the set. */
  eventsOf(socket: Socket): number {
    const slot = this.#index.get(socket);
    return slot === undefined ? 0 : this.#shorts[slot * SHORTS + EVENTS_SHORT]! & 0xffff;
  }

  /** Adds `bits` to `socket`'s events, appending an entry for it if it has none. */
  add(socket: Socket, bits: number): void {
    let slot = this.#index.get(socket);
    if (slot === undefined) {
      if (this.#count === this.#capacity) this.#grow();
      slot = this.#count++;
      this.#index.set(socket, slot);
      writeU64(this.#words, slot * WORDS + FD_WORD, socket);
      this.#shorts[slot * SHORTS + EVENTS_SHORT] = 0;
      this.#shorts[slot * SHORTS + REVENTS_SHORT] = 0;
    }
    const at = slot * SHORTS + EVENTS_SHORT;
    this.#shorts[at] = this.#shorts[at]! | bits;
  }

  /**
   * Takes `bits` off `socket`'s events; an entry left with none is removed (the last entry moves
   * into its slot). No effect if `socket` is not in the set.
   */
  remove(socket: Socket, bits: number): void {
    const slot = this.#index.get(socket);
    if (slot === undefined) return;
    const at = slot * SHORTS + EVENTS_SHORT;
    this.#shorts[at] = this.#shorts[at]! & ~bits;
    if (this.#shorts[at] !== 0) return;
    this.#index.delete(socket);
    const last = --this.#count;
    if (slot !== last) {
      // A whole entry is 16 bytes: fd, events, revents (and padding) move together.
      this.#bytes.copyWithin(slot * WSAPOLLFD.SIZE, last * WSAPOLLFD.SIZE, (last + 1) * WSAPOLLFD.SIZE);
      this.#index.set(this.socketAt(slot), slot);
    }
  }

  /** The array to hand to WSAPoll (its first `size` entries are the set). */
  get array(): Uint8Array {
    return this.#bytes;
  }

  socketAt(slot: number): Socket {
    return readU64(this.#words, slot * WORDS + FD_WORD);
  }

  eventsAt(slot: number): number {
    return this.#shorts[slot * SHORTS + EVENTS_SHORT]! & 0xffff;
  }

  /** After WSAPoll: what it reported for the entry in `slot`. */
  reventsAt(slot: number): number {
    return this.#shorts[slot * SHORTS + REVENTS_SHORT]! & 0xffff;
  }

  /** The sockets in the set, in array order. */
  *sockets(): IterableIterator<Socket> {
    for (let i = 0; i < this.#count; i++) yield this.socketAt(i);
  }

  #grow(): void {
    if (this.#capacity >= MAX_POLL_SET_SIZE) throw new RangeError(`a WSAPoll set holds at most ${MAX_POLL_SET_SIZE} sockets`);
    const old = this.#bytes;
    this.#capacity = Math.min(this.#capacity * 2, MAX_POLL_SET_SIZE);
    this.#allocate(this.#capacity);
    this.#bytes.set(old);
  }

  #allocate(capacity: number): void {
    const buffer = new ArrayBuffer(capacity * WSAPOLLFD.SIZE);
    this.#bytes = new Uint8Array(buffer);
    this.#words = new Uint32Array(buffer);
    this.#shorts = new Int16Array(buffer);
  }
}
