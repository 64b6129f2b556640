// select against AFD polls, on the same work in one run:
//
// 1. N idle sockets armed (N = 64, 512, 4096, 16384) plus one active pair:
//    - iteration: the cost of one loop iteration that finds nothing (reactor.sleep(0));
//    - wake: one byte sent on the active pair until its waiter runs (send → ready → resume).
// 2. echo round trips/s at 1, 64 and 512 connections (client and server on one reactor).
// Ratios are AFD ÷ select (below 1 for time: AFD faster; above 1 for round trips: AFD faster).
import { Reactor, wineVersion, winsock, type ReactorOptions } from '../lib/index.ts';
import { runEcho } from '../examples/multi-reactor-echo.ts';
import { printTable, summarize } from './stats.ts';

type Backend = 'select' | 'afd';

async function idleSockets(backend: Backend, count: number): Promise<{ iterationMs: number; wakeMs: number; armMs: number }> {
  const reactor = new Reactor({ readiness: backend });
  const sockets: number[] = [];
  const [a, b] = winsock.loopbackPair();
  try {
    for (let i = 0; i < count; i++) {
      const s = winsock.createSocket(winsock.AF_INET, winsock.SOCK_DGRAM, winsock.IPPROTO_UDP);
      sockets.push(s);
      winsock.bindSocket(s, '127.0.0.1', 0);
      winsock.setNonBlocking(s);
    }
    // Few rounds where each select is slow, enough rounds where it is fast.
    const rounds = Math.max(5, Math.min(300, Math.floor(200_000 / count)));
    let result = { iterationMs: 0, wakeMs: 0, armMs: 0 };
    await reactor.run(async () => {
      const idle = new AbortController();
      const armed = performance.now();
      const waits = sockets.map((s) => reactor.waitReadable(s, { signal: idle.signal }).catch(() => {}));
      await reactor.sleep(0);
      const armMs = performance.now() - armed;
      const iterations: number[] = [];
      for (let i = 0; i < rounds; i++) {
        const t = performance.now();
        await reactor.sleep(0);
        iterations.push(performance.now() - t);
      }
      const wakes: number[] = [];
      const buffer = new Uint8Array(8);
      for (let i = 0; i < rounds; i++) {
        const waiting = reactor.waitReadable(a);
        await reactor.sleep(0);
        const t = performance.now();
        winsock.sendSome(b, buffer.subarray(0, 1));
        await waiting;
        wakes.push(performance.now() - t);
        winsock.recvSome(a, buffer);
      }
      idle.abort();
      await Promise.all(waits);
      result = { iterationMs: summarize(iterations).p50, wakeMs: summarize(wakes).p50, armMs };
    });
    return result;
  } finally {
    await reactor.close();
    winsock.closeQuietly(a, b, ...sockets);
  }
}

export async function main(args: string[]): Promise<void> {
  const sizes = (args[0] ?? '64,512,4096,16384').split(',').map(Number);
  const seconds = Number(args[1] ?? 2);
  console.log(`readiness backends — Node ${process.version}, ${wineVersion() ? `Wine ${wineVersion()}` : 'Windows'}`);

  console.log('\n1. N idle sockets armed + one active pair (p50, ms)');
  const rows: (string | number)[][] = [];
  for (const n of sizes) {
    const s = await idleSockets('select', n);
    const a = await idleSockets('afd', n);
    rows.push([n, s.iterationMs, a.iterationMs, a.iterationMs / s.iterationMs, s.wakeMs, a.wakeMs, a.wakeMs / s.wakeMs, s.armMs, a.armMs]);
  }
  printTable(['idle sockets', 'iteration select', 'iteration afd', 'ratio', 'wake select', 'wake afd', 'ratio', 'arm all select', 'arm all afd'], rows);

  console.log(`\n2. echo, 64-byte ping-pong, ${seconds} s each, client and server on one reactor (round trips/s)`);
  const echo: (string | number)[][] = [];
  for (const connections of [1, 64, 512]) {
    const options = (readiness: Backend): ReactorOptions => ({ readiness });
    const s = (await runEcho(0, connections, seconds, options('select'))).clientRoundTrips / seconds;
    const a = (await runEcho(0, connections, seconds, options('afd'))).clientRoundTrips / seconds;
    echo.push([connections, Math.round(s), Math.round(a), a / s]);
  }
  printTable(['connections', 'select', 'afd', 'ratio'], echo);
}
