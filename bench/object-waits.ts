// Object waits, coalesced (63 waits per thread, the default) against one thread per wait:
//
// 1. wake latency — another thread calls SetEvent; how long until the waiting task runs again.
//    Printed next to the select-only wakeup (a channel post) measured in the same run.
// 2. the cost of N concurrent waits (default 1,000) — threads started, resident memory added,
//    time to set them up, time for all to resolve once every event is set. One thread per wait
//    is measured at M waits (default 200) only: at ~23 MiB and ~150 ms of start-up per thread
//    under Wine, 1,000 of them would need ~23 GiB, the whole machine. Per-wait figures compare.
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import { Reactor, WinEvent, wineVersion } from '../lib/index.ts';
import { printTable, summarize } from './stats.ts';

async function latency(maxWaitsPerThread: number, rounds: number): Promise<{ event: number[]; baseline: number[] }> {
  const reactor = new Reactor({ maxWaitsPerThread, maxBlockMs: 1000 });
  const event = WinEvent.create();
  const channel = reactor.openChannel<number>();
  const control = new Int32Array(new SharedArrayBuffer(8));
  const helper = new Worker(new URL('./event-setter-helper.ts', import.meta.url), {
    workerData: { control: control.buffer, event: event.handle, channel: channel.handle },
    transferList: [channel.handle.port],
  });
  await once(helper, 'online');
  const samples = { event: [] as number[], baseline: [] as number[] };
  await reactor.run(async () => {
    for (let round = 0; round < rounds + 50; round++) {
      for (const kind of ['event', 'baseline'] as const) {
        Atomics.store(control, 1, kind === 'event' ? 0 : 1);
        const waiting = kind === 'event' ? reactor.waitForObject(event.handle) : channel.receive();
        await reactor.sleep(1); // the waiter thread has taken the handle into its set
        const started = performance.now();
        Atomics.store(control, 0, 1);
        Atomics.notify(control, 0);
        await waiting;
        if (round >= 50) samples[kind].push((performance.now() - started) * 1000);
      }
    }
  });
  Atomics.store(control, 1, 2);
  Atomics.store(control, 0, 1);
  Atomics.notify(control, 0);
  await once(helper, 'exit');
  await reactor.close();
  event.close();
  return samples;
}

async function cost(maxWaitsPerThread: number, count: number): Promise<(string | number)[]> {
  const rssBefore = process.memoryUsage().rss;
  const reactor = new Reactor({ maxWaitsPerThread });
  const events = Array.from({ length: count }, () => WinEvent.create());
  let setupMs = 0;
  let resolveMs = 0;
  let rssAdded = 0;
  await reactor.run(async () => {
    const started = performance.now();
    const waits = events.map((e) => reactor.waitForObject(e.handle));
    // Set-up is done when every thread has started and taken its handles: probe with one wait.
    const probe = WinEvent.create();
    const probed = reactor.waitForObject(probe.handle);
    await reactor.sleep(1);
    probe.set();
    await probed;
    probe.close();
    setupMs = performance.now() - started;
    rssAdded = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
    const released = performance.now();
    for (const e of events) e.set();
    await Promise.all(waits);
    resolveMs = performance.now() - released;
  });
  const threads = reactor.stats().waiterThreadsStarted;
  await reactor.close();
  for (const e of events) e.close();
  return [maxWaitsPerThread === 1 ? 'one thread per wait' : `coalesced (${maxWaitsPerThread}/thread)`, count, threads, rssAdded, rssAdded / count, setupMs, setupMs / count, resolveMs];
}

export async function main(args: string[]): Promise<void> {
  const count = Number(args[0] ?? 1000);
  const onePerWaitCount = Number(args[1] ?? 200);
  const rounds = Number(args[2] ?? 1000);
  console.log(`object waits — Node ${process.version}, ${wineVersion() ? `Wine ${wineVersion()}` : 'Windows'}`);

  console.log(`\n1. wake latency, ${rounds} rounds (SetEvent in another thread → the waiting task runs)`);
  const rows: (string | number)[][] = [];
  for (const mode of [63, 1]) {
    const { event, baseline } = await latency(mode, rounds);
    const e = summarize(event);
    const b = summarize(baseline);
    rows.push([mode === 1 ? 'one thread per wait' : 'coalesced (63/thread)', e.p50, e.p99, b.p50, e.p50 / b.p50]);
  }
  printTable(['mode', 'p50 µs', 'p99 µs', 'select wakeup p50 µs (baseline)', 'p50 ratio'], rows);

  console.log(`\n2. concurrent waits (one thread per wait measured at ${onePerWaitCount}: see the comment at the top)`);
  const costs = [await cost(63, count), await cost(1, onePerWaitCount)];
  printTable(['mode', 'waits', 'threads', 'RSS added MiB', 'MiB per wait', 'set-up ms', 'set-up ms per wait', 'all resolved ms'], costs);
  const [coalesced, single] = costs as number[][];
  console.log(`per wait, one-per-wait ÷ coalesced: memory ${(single![4]! / coalesced![4]!).toFixed(1)}×, set-up time ${(single![6]! / coalesced![6]!).toFixed(1)}×`);
}
