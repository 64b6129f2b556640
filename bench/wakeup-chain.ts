// Wakeup latency: another thread makes a waiting reactor task resume.
//
//   baseline  select-only: the thread posts on a reactor channel (one byte on the wakeup socket)
//   chain     the thread posts a completion to the reactor's IOCP; the IOCP worker dequeues it,
//             puts it in the ring and sends the wake byte; the loop drains the ring
//
// Both run in this process, interleaved round by round so machine noise hits them alike. Each
// round: the reactor task notes the time, releases the helper thread (Atomics.notify), and awaits
// the wake; the latency is the time until the task runs again.
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import { Reactor, wineVersion } from '../lib/index.ts';
import { GO, MODE, MODE_COMPLETION, MODE_STOP, MODE_WAKE, type HelperData } from './wakeup-protocol.ts';
import { printTable, summarize } from './stats.ts';

export async function main(args: string[]): Promise<void> {
  const rounds = Number(args[0] ?? 2000);
  const warmup = 100;
  const reactor = new Reactor({ maxBlockMs: 1000 });
  const channel = reactor.openChannel<number>();
  const monitor = reactor.monitorCompletionKey();
  const control = new Int32Array(new SharedArrayBuffer(8));
  const data: HelperData = { control: control.buffer as SharedArrayBuffer, channel: channel.handle, target: reactor.completionTarget(), key: monitor.key };
  const helper = new Worker(new URL('./wakeup-helper.ts', import.meta.url), { workerData: data, transferList: [channel.handle.port] });
  await once(helper, 'online');

  const samples: Record<'baseline' | 'chain', number[]> = { baseline: [], chain: [] };
  await reactor.run(async () => {
    for (let round = 0; round < rounds + warmup; round++) {
      for (const kind of round % 2 === 0 ? (['baseline', 'chain'] as const) : (['chain', 'baseline'] as const)) {
        Atomics.store(control, MODE, kind === 'chain' ? MODE_COMPLETION : MODE_WAKE);
        await reactor.sleep(0.5); // let the loop settle into select before the wake
        const started = performance.now();
        Atomics.store(control, GO, 1);
        Atomics.notify(control, GO);
        if (kind === 'chain') await monitor.next();
        else await channel.receive();
        if (round >= warmup) samples[kind].push((performance.now() - started) * 1000);
      }
    }
  });
  Atomics.store(control, MODE, MODE_STOP);
  Atomics.store(control, GO, 1);
  Atomics.notify(control, GO);
  await once(helper, 'exit');
  await reactor.close();

  const baseline = summarize(samples.baseline);
  const chain = summarize(samples.chain);
  console.log(`wakeup chain — ${rounds} rounds each, Node ${process.version}, ${wineVersion() ? `Wine ${wineVersion()}` : 'Windows'}`);
  printTable(
    ['path', 'p50 µs', 'p99 µs', 'mean µs', 'p50 ratio', 'p99 ratio'],
    [
      ['select wakeup (baseline)', baseline.p50, baseline.p99, baseline.mean, 1, 1],
      ['IOCP completion chain', chain.p50, chain.p99, chain.mean, chain.p50 / baseline.p50, chain.p99 / baseline.p99],
    ],
  );
  console.log(`target: chain p50 ≤ 1.5 × baseline p50 → ${chain.p50 / baseline.p50 <= 1.5 ? 'met' : 'NOT met'}`);
}
