// Helper thread for the soak (bench/soak-load.ts): sets each of its auto-reset events again as soon
// as the reactor has consumed the previous set (handshake through shared counters), so every set is
// accounted for: one the reactor never sees is a lost event, not a merged one.
//
// shared: [stop, generation, set0, ack0, set1, ack1, …]
import { workerData } from 'node:worker_threads';
import { WinEvent } from '../lib/index.ts';

const { shared, events } = workerData as { shared: SharedArrayBuffer; events: number[] };
const words = new Int32Array(shared);
const targets = events.map((handle) => WinEvent.fromHandle(handle));
while (Atomics.load(words, 0) === 0) {
  const generation = Atomics.load(words, 1);
  for (let i = 0; i < targets.length; i++) {
    if (Atomics.load(words, 2 + 2 * i) === Atomics.load(words, 3 + 2 * i)) {
      Atomics.add(words, 2 + 2 * i, 1);
      targets[i]!.set();
    }
  }
  Atomics.wait(words, 1, generation, 100); // the reactor bumps the generation after each consumed set
}
