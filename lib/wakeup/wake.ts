// requestWake: the one function every thread uses to wake a reactor (see protocol.ts for the
// order of the Atomics operations and why it loses no wake). A reactor sleeping in select gets a
// byte on its wakeup socket; one sleeping in its completion port gets a KEY_WAKE packet.
import * as ws from '../win32/ws2_32.ts';
import * as kernel32 from '../win32/kernel32.ts';
import { ERROR, WinError } from '../core/windows-errors.ts';
import { CLOSED, SENDERS, SLEEPING, WAKE_REQUESTED, type WakeTarget } from './protocol.ts';
import { KEY_WAKE } from '../loop/reserved-keys.ts';

const WAKE_BYTE = new Uint8Array([1]);

/** Where a wake goes: the wake target without its shared state. */
export type WakeDestination = Pick<WakeTarget, 'socket' | 'completionPort'>;

/**
 * Makes the reactor's wait return, from any thread. Returns false if the reactor is closed.
 * Cheap when a wake is already pending: one atomic swap, no system call.
 */
export function requestWake(state: Int32Array, to: WakeDestination): boolean {
  if (Atomics.load(state, CLOSED) !== 0) return false;
  if (Atomics.exchange(state, WAKE_REQUESTED, 1) !== 0) return true;
  return whileOpen(state, () => {
    if (to.completionPort !== 0) {
      if (!kernel32.PostQueuedCompletionStatus(to.completionPort, 0, KEY_WAKE, null)) {
        throw new WinError('PostQueuedCompletionStatus', kernel32.GetLastError());
      }
      return;
    }
    ws.ensureWinsock();
    if (ws.send(to.socket, WAKE_BYTE, 1, 0) === ws.SOCKET_ERROR) {
      const errno = ws.WSAGetLastError();
      // A full send buffer means unread wake bytes: the reactor will wake anyway.
      if (errno !== ERROR.WSAEWOULDBLOCK) throw new WinError('send', errno);
    }
  });
}

/**
 * Runs `send` — a call that reaches the reactor's socket or port — only while the reactor has not
 * started closing, and counted in SENDERS so that its close waits for it (`refuseWakes`) before
 * the handle can be closed and its value reused. Returns false, without calling `send`, once the
 * reactor is closing. Every cross-thread call into a reactor's handles goes through here: wakes,
 * and `postCompletion` to a CompletionTarget.
 */
export function whileOpen(state: Int32Array, send: () => void): boolean {
  Atomics.add(state, SENDERS, 1);
  try {
    if (Atomics.load(state, CLOSED) !== 0) return false;
    send();
    return true;
  } finally {
    Atomics.sub(state, SENDERS, 1);
    Atomics.notify(state, SENDERS);
  }
}

/**
 * Call when a thread that will wake `to` starts: whatever its first wake needs is made now
 * (Winsock and the thread's socket state, see ensureWinsock), so the thread's handles are all
 * there once it has started and not one more at its first wake.
 */
export function prepareWaker(to: WakeDestination): void {
  if (to.completionPort === 0) ws.ensureWinsock();
}

/**
 * For producers that publish work in shared memory: wakes the reactor only if it may be asleep
 * (see SLEEPING in protocol.ts). Call after publishing.
 */
export function wakeIfSleeping(state: Int32Array, to: WakeDestination): boolean {
  if (Atomics.load(state, SLEEPING) === 0) return true;
  return requestWake(state, to);
}

/**
 * How long `refuseWakes` waits for wakers already sending. A send or a post takes microseconds; a
 * count still held after this belongs to a thread that died between its increment and its
 * decrement — a worker terminated there skips its `finally` — and will never send. Waiting for it
 * would block the reactor's thread (close runs there) forever.
 */
const REFUSE_WAKES_MAX_MS = 2000;

/**
 * The reactor is closing: no waker may send from now on. Sets CLOSED, then waits until no waker
 * is between its CLOSED check and the end of its send (for at most REFUSE_WAKES_MAX_MS); after
 * this the destination (socket or port) can be closed without a late wake reaching a reused
 * handle value.
 */
export function refuseWakes(state: Int32Array): void {
  Atomics.store(state, CLOSED, 1);
  const deadline = Date.now() + REFUSE_WAKES_MAX_MS;
  for (let senders = Atomics.load(state, SENDERS); senders !== 0 && Date.now() < deadline; senders = Atomics.load(state, SENDERS)) {
    Atomics.wait(state, SENDERS, senders, 10);
  }
}
