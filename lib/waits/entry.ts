// Worker-thread entry of a waiter thread. Why a thread: WaitForMultipleObjects blocks, and the
// reactor thread blocks in one place only (select, or its completion port in port mode). The loop
// is in waiter-loop.ts.
import { workerData } from 'node:worker_threads';
import { reportThreadId } from '../threads/worker-thread.ts';
import { runWaiter } from './waiter-loop.ts';
import type { WaiterData } from './protocol.ts';

reportThreadId(workerData);
runWaiter(workerData as WaiterData);
