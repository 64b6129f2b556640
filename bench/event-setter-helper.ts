// Helper thread for bench/object-waits.ts: on each "go", SetEvent on the event it was given, or
// (mode 1) post on a reactor channel — the select-only wakeup baseline.
import { workerData } from 'node:worker_threads';
import { RemoteWaker, WinEvent, type ChannelHandle } from '../lib/index.ts';

const { control, event, channel } = workerData as { control: SharedArrayBuffer; event: number; channel: ChannelHandle };
const slots = new Int32Array(control); // [go, mode]
const target = WinEvent.fromHandle(event);
const waker = new RemoteWaker(channel);
for (let round = 0; ; round++) {
  Atomics.wait(slots, 0, 0);
  Atomics.store(slots, 0, 0);
  const mode = Atomics.load(slots, 1);
  if (mode === 2) break;
  if (mode === 1) waker.post(round);
  else target.set();
}
waker.close();
