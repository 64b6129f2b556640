// A waiter thread's loop: WaitForMultipleObjects over its control event plus up to 63 waited
// handles; report each signalled handle once and drop it from the set; apply the reactor's
// requests whenever the control event fires. Protocol and states: protocol.ts.
import * as kernel32 from '../win32/kernel32.ts';
import { prepareWaker, wakeIfSleeping } from '../wakeup/wake.ts';
import {
  ABANDONED, ADD, CANCEL, CANCELLED, FAILED, RESULTS, SIGNALED, SLOT_ERRNO, SLOT_HANDLE_HIGH, SLOT_HANDLE_LOW,
  SLOT_STATE, STOP, WAITING, slotBase, type WaiterData,
} from './protocol.ts';
import { WinError } from '../core/windows-errors.ts';
import { InternalStateError } from '../core/errors.ts';
import { readU64, writeU64 } from '../core/u64.ts';

export function runWaiter(data: WaiterData): void {
  const shared = new Int32Array(data.shared);
  const wakeState = new Int32Array(data.wake.state);
  prepareWaker(data.wake);
  const handles = new Uint8Array(kernel32.MAXIMUM_WAIT_OBJECTS * 8);
  const words = new Uint32Array(handles.buffer);
  /** members[i] is the slot whose handle sits at array index i + 1 (index 0: the control event). */
  const members: number[] = [];
  let finished = false;

  writeU64(words, 0, data.control);

  const handleOf = (slot: number): number =>
    readU64(shared, slotBase(slot) + SLOT_HANDLE_LOW);

  const finish = (slot: number, state: number, errno = 0): void => {
    shared[slotBase(slot) + SLOT_ERRNO] = errno;
    // exchange, not store: a CANCEL the reactor wrote meanwhile is overridden by a real result.
    Atomics.exchange(shared, slotBase(slot) + SLOT_STATE, state);
    finished = true;
  };

  const drop = (slot: number): void => {
    members.splice(members.indexOf(slot), 1);
  };

  /** Applies ADD and CANCEL requests. */
  const sync = (): void => {
    for (let slot = 0; slot < data.capacity; slot++) {
      const at = slotBase(slot) + SLOT_STATE;
      const state = Atomics.load(shared, at);
      if (state === ADD) {
        if (Atomics.compareExchange(shared, at, ADD, WAITING) === ADD) members.push(slot);
        else finish(slot, CANCELLED); // cancelled before it was ever waited on
      } else if (state === CANCEL) {
        if (members.includes(slot)) drop(slot);
        finish(slot, CANCELLED);
      }
    }
  };

  const publish = (): void => {
    if (!finished) return;
    finished = false;
    Atomics.store(shared, RESULTS, 1);
    wakeIfSleeping(wakeState, data.wake);
  };

  /** WaitForMultipleObjects failed: find which handles are bad by waiting on each with no timeout. */
  const probe = (): void => {
    for (const slot of [...members]) {
      const result = kernel32.WaitForSingleObject(handleOf(slot), 0);
      if (result === kernel32.WAIT_FAILED) {
        drop(slot);
        finish(slot, FAILED, kernel32.GetLastError());
      } else if (result === kernel32.WAIT_OBJECT_0 || result === kernel32.WAIT_ABANDONED_0) {
        // The probe itself satisfied the wait (and consumed the signal): report it, never retry.
        drop(slot);
        finish(slot, result === kernel32.WAIT_OBJECT_0 ? SIGNALED : ABANDONED);
      }
    }
  };

  // ends: when the pool sets STOP (and the control event), or a failed wait that no probe explains throws
  for (;;) {
    if (Atomics.load(shared, STOP) !== 0) {
      members.length = 0;
      for (let slot = 0; slot < data.capacity; slot++) {
        const state = Atomics.load(shared, slotBase(slot) + SLOT_STATE);
        if (state === ADD || state === WAITING || state === CANCEL) finish(slot, CANCELLED);
      }
      publish();
      return;
    }
    sync();
    publish();
    members.forEach((slot, i) => {
      words[2 * (i + 1)] = shared[slotBase(slot) + SLOT_HANDLE_LOW]! >>> 0;
      words[2 * (i + 1) + 1] = shared[slotBase(slot) + SLOT_HANDLE_HIGH]! >>> 0;
    });
    const result = kernel32.WaitForMultipleObjects(members.length + 1, handles, 0, kernel32.INFINITE);
    if (result === kernel32.WAIT_OBJECT_0) continue; // the control event: requests to apply
    if (result > kernel32.WAIT_OBJECT_0 && result <= members.length) {
      const slot = members[result - 1]!;
      drop(slot);
      finish(slot, SIGNALED);
    } else if (result > kernel32.WAIT_ABANDONED_0 && result <= kernel32.WAIT_ABANDONED_0 + members.length) {
      const slot = members[result - kernel32.WAIT_ABANDONED_0 - 1]!;
      drop(slot);
      finish(slot, ABANDONED);
    } else if (result === kernel32.WAIT_FAILED) {
      const errno = kernel32.GetLastError();
      const before = members.length;
      probe();
      if (members.length === before) throw new WinError('WaitForMultipleObjects', errno, { detail: 'on the waiter thread\'s control event' });
    } else {
      throw new InternalStateError(`WaitForMultipleObjects returned ${result}`);
    }
    publish();
  }
}
