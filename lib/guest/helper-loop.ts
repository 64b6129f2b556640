// The guest helper's loop (on its own worker_thread; see entry.ts): wait for a request, make the
// poller's blocking call (../loop/guest-wait.ts: select over copies of the interest sets, or
// GetQueuedCompletionStatusEx on the port), record the result, and post a message to the
// reactor's thread, which is what wakes Node's loop there. The helper never dispatches anything
// itself: the reactor's next iteration, on its own thread, settles what the wait found.
import { parentPort } from 'node:worker_threads';
import type { OpenBlockingWait } from '../loop/guest-wait.ts';
import { CONTROL_SLOTS, DEADLINE, ERRNO, IDLE, REQUEST, RESULT, STOP, WAIT, epochNow, type GuestHelperData } from './protocol.ts';

export function runGuestHelper(data: GuestHelperData, openBlockingWait: OpenBlockingWait): void {
  const control = new Int32Array(data.control, 0, CONTROL_SLOTS);
  const deadline = new Float64Array(data.control);
  const blocking = openBlockingWait(data.waitData);
  // Until this arrives the reactor polls on a Node timer instead of handing waits over.
  parentPort!.postMessage('online');
  // ends: when the reactor writes STOP (close, or the process exiting), or a call throws
  for (;;) {
    Atomics.wait(control, REQUEST, IDLE);
    const request = Atomics.load(control, REQUEST);
    if (request === STOP) return;
    if (request !== WAIT) continue;
    // Written before REQUEST (whose Atomics.store/load order the plain read after it).
    const result = blocking.wait(Math.max(0, deadline[DEADLINE]! - epochNow())); // Infinity: no limit
    Atomics.store(control, RESULT, result);
    Atomics.store(control, ERRNO, blocking.errno);
    // STOP may have been written while we waited (close, or the process exiting): keep it and
    // end now, without a message — nobody reads it (close awaits the thread's exit and reads
    // RESULT), and at process exit the less this thread does while Node tears workers down, the
    // better (Node has had exit races between the main thread and running workers).
    if (Atomics.compareExchange(control, REQUEST, WAIT, IDLE) === STOP) return;
    parentPort!.postMessage(0);
  }
}
