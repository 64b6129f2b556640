// Worker-thread entry of a guest reactor's helper: the thread that blocks for the reactor while
// Node's loop keeps the main thread. The loop itself is in helper-loop.ts; the blocking call is
// the poller's own module (../loop/guest-wait.ts), imported before the thread reports itself
// started — the owner's exit hook counts on every import of a starting thread being done by then
// (lib/threads/worker-thread.ts).
import { workerData } from 'node:worker_threads';
import { reportThreadId } from '../threads/worker-thread.ts';
import { runGuestHelper } from './helper-loop.ts';
import type { GuestHelperData } from './protocol.ts';
import type { OpenBlockingWait } from '../loop/guest-wait.ts';

const data = workerData as GuestHelperData;
const { openBlockingWait } = (await import(data.waitModule)) as { openBlockingWait?: OpenBlockingWait };
if (typeof openBlockingWait !== 'function') throw new TypeError(`a guest wait's module exports no openBlockingWait function: ${data.waitModule}`);
reportThreadId(data);
runGuestHelper(data, openBlockingWait);
