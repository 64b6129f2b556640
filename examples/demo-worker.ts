// Worker side of examples/demo.ts: posts one message into the reactor's channel.
import { workerData } from 'node:worker_threads';
import { RemoteWaker } from '../lib/index.ts';

const waker = new RemoteWaker(workerData);
waker.post({ from: 'worker', at: new Date().toISOString() });
waker.close();
