// Worker-thread entry of the IOCP worker. Why a thread: GetQueuedCompletionStatusEx blocks, and
// the reactor thread may block only in select. The loop itself is in worker-loop.ts.
import { workerData } from 'node:worker_threads';
import { reportThreadId } from '../../threads/worker-thread.ts';
import { runIocpWorker } from './worker-loop.ts';
import type { IocpWorkerData } from '../protocol.ts';

reportThreadId(workerData);
runIocpWorker(workerData as IocpWorkerData);
