// The guest helper's loop (on its own worker_thread; see entry.ts): wait for a request, make the
// one blocking call it names — select over a copy of the reactor's interest sets, or
// GetQueuedCompletionStatusEx on the reactor's port — record the result, and post a message to
// the reactor's thread, which is what wakes Node's loop there. The helper never dispatches
// anything itself: select only says "something is ready" (the reactor polls again with timeout
// 0 on its own thread); dequeued completion entries are handed over in the shared buffer.
import { dwordTimeout } from '../win32/timeouts.ts';
import { parentPort, receiveMessageOnPort } from 'node:worker_threads';
import * as ws from '../win32/ws2_32.ts';
import * as kernel32 from '../win32/kernel32.ts';
import { Timeval } from '../win32/timeval.ts';
import { CONTROL_SLOTS, DEADLINE, ERRNO, EXCEPT_SET, HELPER_ENTRIES, IDLE, READ_SET, REQUEST, RESULT, STOP, WAIT, WRITE_SET, epochNow, type GuestHelperData } from './protocol.ts';


export function runGuestHelper(data: GuestHelperData): void {
  const control = new Int32Array(data.control, 0, CONTROL_SLOTS);
  const deadline = new Float64Array(data.control);
  let sets = data.sets;
  const timeval = new Timeval();
  const removed = new Uint32Array(1);
  if (data.kind === 'select') ws.ensureWinsock();
  // Until this arrives the reactor polls on a Node timer instead of handing waits over.
  parentPort!.postMessage('online');
  // ends: when the reactor writes STOP (close, or the process exiting), or a call throws
  for (;;) {
    Atomics.wait(control, REQUEST, IDLE);
    const request = Atomics.load(control, REQUEST);
    if (request === STOP) return;
    if (request !== WAIT) continue;
    for (let message = receiveMessageOnPort(data.setsPort); message !== undefined; message = receiveMessageOnPort(data.setsPort)) {
      sets = message.message as SharedArrayBuffer;
    }
    // Written before REQUEST (whose Atomics.store/load order the plain read after it).
    const timeout = Math.max(0, deadline[DEADLINE]! - epochNow()); // Infinity: no limit
    let result: number;
    let errno = 0;
    if (data.kind === 'select') {
      const view = (slot: number): Uint8Array | null => {
        const offset = Atomics.load(control, slot);
        return offset < 0 ? null : new Uint8Array(sets, offset);
      };
      result = ws.select(0, view(READ_SET), view(WRITE_SET), view(EXCEPT_SET), timeval.of(timeout));
      if (result === ws.SOCKET_ERROR) errno = ws.WSAGetLastError();
    } else {
      const entries = new Uint8Array(sets);
      const ok = kernel32.GetQueuedCompletionStatusEx(data.port, entries, HELPER_ENTRIES, removed, dwordTimeout(timeout), 0);
      if (ok) {
        result = removed[0]!;
      } else {
        errno = kernel32.GetLastError();
        result = 0;
        if (errno === kernel32.WAIT_TIMEOUT) errno = 0; // nothing came: not a failure
      }
    }
    Atomics.store(control, RESULT, result);
    Atomics.store(control, ERRNO, errno);
    // STOP may have been written while we waited (close, or the process exiting): keep it and
    // end now, without a message — nobody reads it (close awaits the thread's exit and reads
    // RESULT), and at process exit the less this thread does while Node tears workers down, the
    // better (Node has had exit races between the main thread and running workers).
    if (Atomics.compareExchange(control, REQUEST, WAIT, IDLE) === STOP) return;
    parentPort!.postMessage(0);
  }
}
