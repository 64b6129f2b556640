// EmulatedEvents: the events that emulated-mode operations carry. A handle bound for life to a
// port this reactor does not own (handle-registry.ts) sends its packets there, so each of its
// operations gets a manual-reset event in its OVERLAPPED instead, with the low bit of hEvent set:
// that bit tells the kernel not to queue a packet to the port the handle is bound to (documented
// for GetQueuedCompletionStatus). The call resets the event when it starts and sets it when done,
// and the OVERLAPPED's Internal and InternalHigh then hold the NTSTATUS and byte count the packet
// would have carried. The event is waited on through the object-wait family (completion-port.ts).
// Events are reused; all of them are closed with the port.
import * as kernel32 from '../win32/kernel32.ts';
import { WinError } from '../core/windows-errors.ts';
import { OVERLAPPED } from '../win32/structs.ts';
import { setU64 } from '../core/u64.ts';
import type { Handle } from './handle-registry.ts';

export class EmulatedEvents {
  readonly #free: Handle[] = [];
  readonly #all = new Set<Handle>();
  #acquired = 0;

  /** Operations started in emulated mode so far. */
  get acquired(): number {
    return this.#acquired;
  }

  /** An event for the operation whose OVERLAPPED is `overlapped`, written into its hEvent (low bit set). */
  acquire(overlapped: Uint8Array): Handle {
    let event = this.#free.pop();
    if (event === undefined) {
      const created = kernel32.CreateEventW(null, 1, 0, null);
      if (kernel32.isNullHandle(created)) throw new WinError('CreateEventW', kernel32.GetLastError());
      event = Number(created);
      this.#all.add(event);
    }
    const view = new DataView(overlapped.buffer, overlapped.byteOffset, OVERLAPPED.SIZE);
    setU64(view, OVERLAPPED.EVENT, event + 1); // event handles are multiples of 4: +1 sets the low bit
    this.#acquired++;
    return event;
  }

  /** The operation is over (or never started): its event can serve the next one. */
  release(event: Handle): void {
    this.#free.push(event);
  }

  /** Closes every event. Call once no operation can set one any more. */
  close(): void {
    for (const event of this.#all) kernel32.CloseHandle(event);
    this.#all.clear();
  }
}

/** What the kernel wrote into a completed emulated operation's OVERLAPPED: the packet's status and byte count. */
export function emulatedResult(overlapped: Uint8Array): { status: number; bytes: number } {
  const view = new DataView(overlapped.buffer, overlapped.byteOffset, OVERLAPPED.SIZE);
  return { status: view.getUint32(OVERLAPPED.INTERNAL, true), bytes: view.getUint32(OVERLAPPED.INTERNAL_HIGH, true) };
}
