// select's guest wait (the contract: ../loop/guest-wait.ts): a guest reactor's helper thread blocks
// in select over copies of the backend's fd_sets. Before each wait the reactor's thread copies the
// used part of the three sets (the count, then fd_count SOCKETs) into one shared buffer and writes
// where each starts; the helper selects over views of that buffer. select only says "something
// is ready": nothing is handed over, and the loop's own poll (timeout 0, same sets) finds what.
// The wakeup socket is in the read set, so whatever wakes `run`'s select wakes the helper's.
// A copy does not follow later arms: arming or disarming a socket must redo the wait.
import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { BlockingWait, GuestWait } from '../loop/guest-wait.ts';
import * as ws from '../win32/ws2_32.ts';
import { FD_SET } from '../win32/structs.ts';
import { Timeval } from '../win32/timeval.ts';

/** Int32 slots of the offsets block: the byte offset of each fd_set in the sets buffer, -1 for none. */
const READ_SET = 0;
const WRITE_SET = 1;
const EXCEPT_SET = 2;
const SET_SLOTS = [READ_SET, WRITE_SET, EXCEPT_SET] as const;
const BYTES_PER_WORD = 4;
/** The sets buffer's first size; it doubles (at least) when the sets outgrow it. */
const INITIAL_SETS_BYTES = 1024;

/** Where the helper's select finds its sets: what `forHelper` gives it. */
interface SelectWaitData {
  /** The three offsets (Int32, SET_SLOTS). */
  offsets: SharedArrayBuffer;
  /** The fd_sets, replaced through `setsPort` when they outgrow it. */
  sets: SharedArrayBuffer;
  /** Where a larger sets buffer arrives (read with receiveMessageOnPort before each wait). */
  setsPort: MessagePort;
}

/** What a backend that keeps fd_sets gives: SelectBackend, or AfdBackend waiting in select (its wakeup socket). */
export interface SelectSetsSource {
  /** The read, write and except fd_sets (null for an empty one), valid until the next call. */
  selectSets(): readonly (Uint32Array | null)[];
}

/** The reactor's side: copies `source`'s sets before each wait. */
export function selectGuestWait(source: SelectSetsSource): GuestWait {
  const offsets = new Int32Array(new SharedArrayBuffer(SET_SLOTS.length * BYTES_PER_WORD));
  let sets = new SharedArrayBuffer(INITIAL_SETS_BYTES);
  let channel: MessageChannel | undefined;
  return {
    armRedoesWait: true,
    forHelper() {
      channel = new MessageChannel();
      channel.port1.unref();
      const data: SelectWaitData = { offsets: offsets.buffer as SharedArrayBuffer, sets, setsPort: channel.port2 };
      return { module: import.meta.url, data, transfer: [channel.port2] };
    },
    prepare() {
      const current = source.selectSets();
      const words = current.map((set) => (set === null ? 0 : FD_SET.ARRAY / BYTES_PER_WORD + set[FD_SET.COUNT / BYTES_PER_WORD]! * (FD_SET.ENTRY_SIZE / BYTES_PER_WORD)));
      let bytes = 0;
      for (const n of words) bytes += n * BYTES_PER_WORD;
      if (bytes > sets.byteLength) {
        sets = new SharedArrayBuffer(Math.max(bytes, sets.byteLength * 2));
        channel!.port1.postMessage(sets);
      }
      let offset = 0;
      for (const slot of SET_SLOTS) {
        const set = current[slot] ?? null;
        if (set === null) {
          Atomics.store(offsets, slot, -1);
          continue;
        }
        const n = words[slot]!;
        new Uint32Array(sets, offset, n).set(set.subarray(0, n));
        Atomics.store(offsets, slot, offset);
        offset += n * BYTES_PER_WORD;
      }
    },
    handedOver: () => undefined,
    close() {
      channel?.port1.close();
    },
  };
}

/** The helper thread's side (OpenBlockingWait): select over the sets the reactor copied. */
export function openBlockingWait(data: unknown): BlockingWait {
  const { offsets: offsetsBuffer, setsPort } = data as SelectWaitData;
  let sets = (data as SelectWaitData).sets;
  const offsets = new Int32Array(offsetsBuffer);
  const timeval = new Timeval();
  // At the thread's start, not at its first wait: Wine's per-thread socket event (ws2_32.ts).
  ws.ensureWinsock();
  const view = (slot: number): Uint8Array | null => {
    const offset = Atomics.load(offsets, slot);
    return offset < 0 ? null : new Uint8Array(sets, offset);
  };
  const blocking = {
    errno: 0,
    wait(timeoutMs: number): number {
      for (let message = receiveMessageOnPort(setsPort); message !== undefined; message = receiveMessageOnPort(setsPort)) {
        sets = message.message as SharedArrayBuffer;
      }
      const result = ws.select(0, view(READ_SET), view(WRITE_SET), view(EXCEPT_SET), timeval.of(timeoutMs));
      blocking.errno = result === ws.SOCKET_ERROR ? ws.WSAGetLastError() : 0;
      return result;
    },
  };
  return blocking;
}
