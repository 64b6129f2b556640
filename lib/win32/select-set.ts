// SelectSet: one interest set kept as a Winsock fd_set, updated incrementally.
//
// A Windows fd_set is a count followed by an array of SOCKETs, and `select` reads exactly
// `fd_count` entries: FD_SETSIZE (64) is only the length of the C declaration, so the set is
// allocated at whatever size is needed. `select` rewrites the set it is given to hold the ready
// sockets only, so every call gets a copy ("scratch") of the interest set; the interest set
// itself is never handed to the kernel.
//
// Adding appends; removing moves the last entry into the hole (swap-remove) with an index map, so
// both are O(1) and the work per loop iteration is one memory copy of the set, however many
// sockets sit idle in it.
//
// Entries are 64-bit SOCKETs stored as two 32-bit words: a number holds every valid SOCKET
// (handles are significant in their low 32 bits), and this avoids BigInt on every add and read.
import { FD_SET } from './structs.ts';
import type { Socket } from './winsock.ts';
import { readU64, writeU64 } from '../core/u64.ts';

/**
 * The largest set a SelectSet grows to: 2^20 sockets is an 8 MiB fd_set, and beyond it select's
 * O(n) scan costs far more per call than any loop should pay (use the AFD backend instead).
 */
export const MAX_SELECT_SET_SIZE = 1 << 20;

/** Initial capacity: FD_SETSIZE, the size the C headers would have given. */
const INITIAL_CAPACITY = 64;

const WORDS_PER_ENTRY = FD_SET.ENTRY_SIZE / 4;
const FIRST_ENTRY_WORD = FD_SET.ARRAY / 4;
const COUNT_WORD = FD_SET.COUNT / 4;

export class SelectSet {
  #capacity: number;
  #interest: Uint32Array;
  #scratch: Uint32Array;
  #count = 0;
  readonly #index = new Map<Socket, number>();

  constructor(initialCapacity = INITIAL_CAPACITY) {
    this.#capacity = Math.max(1, initialCapacity);
    this.#interest = SelectSet.#allocate(this.#capacity);
    this.#scratch = SelectSet.#allocate(this.#capacity);
  }

  static #allocate(capacity: number): Uint32Array {
    return new Uint32Array(FIRST_ENTRY_WORD + capacity * WORDS_PER_ENTRY);
  }

  get size(): number {
    return this.#count;
  }

  has(socket: Socket): boolean {
    return this.#index.has(socket);
  }

  /** Adds `socket`; false if it was already there. */
  add(socket: Socket): boolean {
    if (this.#index.has(socket)) return false;
    if (this.#count === this.#capacity) this.#grow();
    const slot = this.#count++;
    this.#write(this.#interest, slot, socket);
    this.#interest[COUNT_WORD] = this.#count;
    this.#index.set(socket, slot);
    return true;
  }

  /** Removes `socket` by moving the last entry into its slot; false if it was not there. */
  remove(socket: Socket): boolean {
    const slot = this.#index.get(socket);
    if (slot === undefined) return false;
    this.#index.delete(socket);
    const last = --this.#count;
    if (slot !== last) {
      const moved = this.#read(this.#interest, last);
      this.#write(this.#interest, slot, moved);
      this.#index.set(moved, slot);
    }
    this.#interest[COUNT_WORD] = this.#count;
    return true;
  }

  /** The sockets in the set, in fd_set order. */
  *sockets(): IterableIterator<Socket> {
    for (let i = 0; i < this.#count; i++) yield this.#read(this.#interest, i);
  }

  /**
   * Copies the interest set into the scratch fd_set and returns the scratch for `select` to
   * rewrite, or null when the set is empty (select accepts a null set).
   */
  prepare(): Uint32Array | null {
    if (this.#count === 0) return null;
    this.#scratch.set(this.#interest.subarray(0, FIRST_ENTRY_WORD + this.#count * WORDS_PER_ENTRY));
    return this.#scratch;
  }

  /** After `select`: how many sockets it left in the scratch set (the ready ones). */
  readyCount(): number {
    return this.#count === 0 ? 0 : this.#scratch[COUNT_WORD]!;
  }

  /** After `select`: the i-th ready socket. */
  readyAt(i: number): Socket {
    return this.#read(this.#scratch, i);
  }

  #grow(): void {
    if (this.#capacity >= MAX_SELECT_SET_SIZE) {
      throw new RangeError(`a select set holds at most ${MAX_SELECT_SET_SIZE} sockets`);
    }
    this.#capacity = Math.min(this.#capacity * 2, MAX_SELECT_SET_SIZE);
    const interest = SelectSet.#allocate(this.#capacity);
    interest.set(this.#interest);
    this.#interest = interest;
    this.#scratch = SelectSet.#allocate(this.#capacity);
  }

  #write(words: Uint32Array, slot: number, socket: Socket): void {
    const at = FIRST_ENTRY_WORD + slot * WORDS_PER_ENTRY;
    writeU64(words, at, socket);
  }

  #read(words: Uint32Array, slot: number): Socket {
    const at = FIRST_ENTRY_WORD + slot * WORDS_PER_ENTRY;
    return readU64(words, at);
  }
}
