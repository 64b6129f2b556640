// Worker-thread entry of the IOCP worker. Why a thread: GetQueuedCompletionStatusEx blocks, and
// the reactor thread may block only in select. The loop itself is in worker-loop.ts.
import { workerData } from 'node:worker_threads';
import { runIocpWorker } from './worker-loop.ts';
import type { IocpWorkerData } from './protocol.ts';

runIocpWorker(workerData as IocpWorkerData);
