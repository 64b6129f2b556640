// Worker-thread entry of a guest reactor's helper: the thread that blocks for the reactor while
// Node's loop keeps the main thread. The loop itself is in helper-loop.ts.
import { workerData } from 'node:worker_threads';
import { reportThreadId } from '../threads/worker-thread.ts';
import { runGuestHelper } from './helper-loop.ts';
import type { GuestHelperData } from './protocol.ts';

reportThreadId(workerData);
runGuestHelper(workerData as GuestHelperData);
