// OverlappedPool: OVERLAPPED structures in memory that never moves.
//
// The kernel writes an OVERLAPPED (its Internal/InternalHigh fields) when the operation completes,
// and the completion names the operation by the OVERLAPPED's address, so the memory must stay
// put and alive from the call until the completion is dequeued — whatever the caller does in
// between (abort included). Slots are carved out of 64 KiB ArrayBuffers: buffers that large always
// live outside V8's heap, so the garbage collector never moves them, and the pool keeps every slab
// referenced for its own lifetime.
import { addressOf } from '../win32/ffi.ts';
import { OVERLAPPED } from '../win32/structs.ts';
import { setU64 } from '../core/u64.ts';

/** 2048 OVERLAPPEDs per slab: 64 KiB, far above V8's on-heap typed-array limit. */
const SLOTS_PER_SLAB = 2048;

export interface OverlappedSlot {
  /** The 32-byte OVERLAPPED, to pass to the Win32 call. */
  readonly view: Uint8Array;
  /** Its address, as completions report it. */
  readonly address: number;
}

export class OverlappedPool {
  readonly #slabs: Uint8Array[] = [];
  readonly #free: OverlappedSlot[] = [];

  /** A zeroed OVERLAPPED (hEvent 0: the completion goes to the port), file offset set. */
  acquire(fileOffset = 0): OverlappedSlot {
    if (this.#free.length === 0) this.#addSlab();
    const slot = this.#free.pop()!;
    slot.view.fill(0);
    const view = new DataView(slot.view.buffer, slot.view.byteOffset, OVERLAPPED.SIZE);
    setU64(view, OVERLAPPED.OFFSET, fileOffset); // Offset, then OffsetHigh
    return slot;
  }

  /** Returns a slot once its completion has been dequeued (never earlier). */
  release(slot: OverlappedSlot): void {
    this.#free.push(slot);
  }

  #addSlab(): void {
    const slab = new Uint8Array(new ArrayBuffer(SLOTS_PER_SLAB * OVERLAPPED.SIZE));
    const base = Number(addressOf(slab));
    this.#slabs.push(slab);
    for (let i = SLOTS_PER_SLAB - 1; i >= 0; i--) {
      this.#free.push({ view: slab.subarray(i * OVERLAPPED.SIZE, (i + 1) * OVERLAPPED.SIZE), address: base + i * OVERLAPPED.SIZE });
    }
  }
}
