// requestWake: the one function every thread uses to wake a reactor (see protocol.ts for the
// order of the Atomics operations and why it loses no wake).
import * as ws from '../win32/ws2_32.ts';
import { ERROR, WinError } from '../win32/errors.ts';
import { CLOSED, SENDERS, SLEEPING, WAKE_REQUESTED } from './protocol.ts';

const WAKE_BYTE = new Uint8Array([1]);

/**
 * Makes the reactor's `select` return, from any thread. Returns false if the reactor is closed.
 * Cheap when a wake is already pending: one atomic swap, no system call.
 */
export function requestWake(state: Int32Array, socket: number): boolean {
  if (Atomics.load(state, CLOSED) !== 0) return false;
  if (Atomics.exchange(state, WAKE_REQUESTED, 1) !== 0) return true;
  Atomics.add(state, SENDERS, 1);
  try {
    if (Atomics.load(state, CLOSED) !== 0) return false;
    ws.ensureWinsock();
    if (ws.send(socket, WAKE_BYTE, 1, 0) === ws.SOCKET_ERROR) {
      const errno = ws.WSAGetLastError();
      // A full send buffer means unread wake bytes: the reactor will wake anyway.
      if (errno !== ERROR.WSAEWOULDBLOCK) throw new WinError('send', errno);
    }
    return true;
  } finally {
    Atomics.sub(state, SENDERS, 1);
    Atomics.notify(state, SENDERS);
  }
}

/**
 * For producers that publish work in shared memory: wakes the reactor only if it may be asleep
 * (see SLEEPING in protocol.ts). Call after publishing.
 */
export function wakeIfSleeping(state: Int32Array, socket: number): boolean {
  if (Atomics.load(state, SLEEPING) === 0) return true;
  return requestWake(state, socket);
}
