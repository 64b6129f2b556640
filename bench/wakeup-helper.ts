// Helper thread for bench/wakeup-chain.ts: on each "go" it wakes the reactor one of two ways.
//   mode WAKE:       RemoteWaker.post → wakeup socket → select returns (the select-only path)
//   mode COMPLETION: PostQueuedCompletionStatus → IOCP worker → ring → wakeup socket (the chain)
import { workerData } from 'node:worker_threads';
import { RemoteWaker } from '../lib/index.ts';
import { postCompletion } from '../lib/iocp-worker/completion-port.ts';
import { GO, MODE, MODE_COMPLETION, MODE_STOP, type HelperData } from './wakeup-protocol.ts';

const { control, channel, target, key } = workerData as HelperData;
const slots = new Int32Array(control);
const waker = new RemoteWaker(channel);
for (let round = 0; ; round++) {
  Atomics.wait(slots, GO, 0);
  Atomics.store(slots, GO, 0);
  const mode = Atomics.load(slots, MODE);
  if (mode === MODE_STOP) break;
  if (mode === MODE_COMPLETION) postCompletion(target, key, round);
  else waker.post(round);
}
waker.close();
