// Children alive at once, each awaited (issue #25): the waiter path (plain spawnProcess, its exit
// waited for on a pooled waiter thread, 63 a thread) against the job path (`tree: true`, its exit a
// packet on the port). Per path: waiter threads started, this process's resident memory added
// while every child runs and is awaited, spawn time per child, and the time from ending them all
// to every wait resolved. The waiter path is the baseline, measured in the same run.
//
// The child is `cmd.exe /q /k` with a piped stdin: it waits for commands and costs far less than
// a Node child (under Wine each process also gets a conhost.exe). `npm run bench -- children [N]`
// (default 1000; under load, try 50).
import { Reactor, spawnProcess, wineVersion, type ChildProcess } from '../lib/index.ts';
import { printTable } from './stats.ts';

async function measure(tree: boolean, count: number): Promise<(string | number)[]> {
  const reactor = new Reactor();
  const rssBefore = process.memoryUsage().rss;
  const children: ChildProcess[] = [];
  let spawnMs = 0;
  let rssAdded = 0;
  let endMs = 0;
  try {
    await reactor.run(async () => {
      const started = performance.now();
      for (let i = 0; i < count; i++) children.push(spawnProcess(reactor, 'cmd.exe /q /k', { stdin: 'pipe', tree }));
      spawnMs = performance.now() - started;
      const waits = children.map((child) => child.wait());
      await reactor.sleep(500); // the waiter threads (waiter path) have started and taken their handles
      rssAdded = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
      const ending = performance.now();
      for (const child of children) child.kill(tree ? { tree: true } : 1);
      await Promise.all(waits);
      endMs = performance.now() - ending;
    });
    return [tree ? 'job (tree: true)' : 'waiter thread (baseline)', count, reactor.stats().waiterThreadsStarted, rssAdded, rssAdded / count, spawnMs / count, endMs];
  } finally {
    for (const child of children) await child[Symbol.asyncDispose]();
    await reactor.close();
  }
}

export async function main(args: string[]): Promise<void> {
  const count = Number(args[0] ?? 1000);
  console.log(`children — ${count} alive at once, each awaited — Node ${process.version}, ${wineVersion() ? `Wine ${wineVersion()}` : 'Windows'}`);
  // A first, discarded round of each path: the first spawn and the first reactor load code and
  // allocate for the process's life, which would count against whichever path ran first.
  await measure(false, 2);
  await measure(true, 2);
  const rows = [await measure(false, count), await measure(true, count)];
  printTable(['path', 'children', 'waiter threads started', 'RSS added MiB', 'MiB per child', 'spawn ms per child', 'all ended ms'], rows);
  const [waiter, job] = rows as number[][];
  console.log(`job ÷ waiter: memory per child ${(job![4]! / waiter![4]!).toFixed(2)}×, spawn time per child ${(job![5]! / waiter![5]!).toFixed(2)}×, end-to-resolved ${(job![6]! / waiter![6]!).toFixed(2)}×`);
}
