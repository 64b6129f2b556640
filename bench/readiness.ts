// select against AFD polls and WSAPoll, on the same work in one run:
//
// `npm run bench -- readiness [sizes=64,512,4096,16384] [seconds=2] [sections=1,2,3]`
//
// 1. N idle sockets armed (N = 64, 512, 4096, 16384) plus one active pair:
//    - iteration: the cost of one loop iteration that finds nothing (reactor.sleep(0));
//    - wake: one byte sent on the active pair until its waiter runs (send → ready → resume).
// 2. echo round trips/s at 1, 64 and 512 connections (client and server on one reactor).
// 3. the OS call alone, no loop: one select and one WSAPoll with timeout 0 over the same N idle
//    sockets (select with its fd_set copy, WSAPoll with its revents scan, as the backends make them).
// Ratios are X ÷ select (below 1 for time: X faster; above 1 for round trips: X faster).
// The figures also go to .cache/bench/results/readiness.json (bench/results.ts), for the charts.
import { Reactor, wineVersion, winsock, type ReactorOptions } from '../lib/index.ts';
import { runEcho } from '../examples/multi-reactor-echo.ts';
import { printTable, summarize } from './stats.ts';
import { writeResults } from './results.ts';
import { SelectSet } from '../lib/win32/select-set.ts';
import { Timeval } from '../lib/win32/timeval.ts';
import { PollSet } from '../lib/wsapoll/poll-set.ts';
import * as ws from '../lib/win32/ws2_32.ts';

type Backend = 'select' | 'afd' | 'wsapoll';

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

/** p50 µs of one select and one WSAPoll, timeout 0, over `count` idle UDP sockets. */
function rawCalls(count: number): { selectUs: number; pollUs: number } {
  const sockets: number[] = [];
  try {
    const set = new SelectSet();
    const poll = new PollSet();
    for (let i = 0; i < count; i++) {
      const s = winsock.createSocket(winsock.AF_INET, winsock.SOCK_DGRAM, winsock.IPPROTO_UDP);
      sockets.push(s);
      winsock.bindSocket(s, '127.0.0.1', 0);
      set.add(s);
      poll.add(s, ws.POLLRDNORM | ws.POLLRDBAND);
    }
    const timeval = new Timeval().of(0);
    const rounds = Math.max(5, Math.min(500, Math.floor(200_000 / count)));
    const selects: number[] = [];
    const polls: number[] = [];
    for (let i = 0; i < rounds; i++) {
      let t = performance.now();
      if (ws.select(0, set.prepare(), null, null, timeval) === ws.SOCKET_ERROR) throw new Error(`select failed: ${ws.WSAGetLastError()}`);
      selects.push(performance.now() - t);
      t = performance.now();
      if (ws.WSAPoll(poll.array, poll.size, 0) === ws.SOCKET_ERROR) throw new Error(`WSAPoll failed: ${ws.WSAGetLastError()}`);
      let ready = 0;
      for (let slot = 0; slot < poll.size; slot++) if (poll.reventsAt(slot) !== 0) ready++;
      polls.push(performance.now() - t);
      if (ready !== 0) throw new Error('an idle socket was reported ready');
    }
    return { selectUs: summarize(selects).p50 * 1000, pollUs: summarize(polls).p50 * 1000 };
  } finally {
    winsock.closeQuietly(...sockets);
  }
}

export async function main(args: string[]): Promise<void> {
  const sizes = (args[0] ?? '64,512,4096,16384').split(',').map(Number);
  const seconds = Number(args[1] ?? 2);
  const sections = new Set((args[2] ?? '1,2,3').split(',').map(Number));
  console.log(`readiness backends — Node ${process.version}, ${wineVersion() ? `Wine ${wineVersion()}` : 'Windows'}`);

  const data: Record<string, unknown> = { sizes, seconds };
  if (sections.has(1)) data.idle = await idleSection(sizes);
  if (sections.has(2)) data.echo = await echoSection(seconds);
  if (sections.has(3)) data.raw = rawSection(sizes);
  writeResults('readiness', data);
}

type Idle = Awaited<ReturnType<typeof idleSockets>>;

async function idleSection(sizes: number[]): Promise<{ sockets: number; select: Idle; afd: Idle; wsapoll: Idle }[]> {
  console.log('\n1. N idle sockets armed + one active pair (p50, ms)');
  const rows: (string | number)[][] = [];
  const data: { sockets: number; select: Idle; afd: Idle; wsapoll: Idle }[] = [];
  for (const n of sizes) {
    const s = await idleSockets('select', n);
    const a = await idleSockets('afd', n);
    const w = await idleSockets('wsapoll', n);
    data.push({ sockets: n, select: s, afd: a, wsapoll: w });
    rows.push([n, s.iterationMs, a.iterationMs, a.iterationMs / s.iterationMs, w.iterationMs, w.iterationMs / s.iterationMs,
      s.wakeMs, a.wakeMs, a.wakeMs / s.wakeMs, w.wakeMs, w.wakeMs / s.wakeMs, s.armMs, a.armMs, w.armMs]);
  }
  printTable(['idle sockets', 'iteration select', 'iteration afd', 'ratio', 'iteration wsapoll', 'ratio',
    'wake select', 'wake afd', 'ratio', 'wake wsapoll', 'ratio', 'arm all select', 'arm all afd', 'arm all wsapoll'], rows);
  return data;
}

async function echoSection(seconds: number): Promise<{ connections: number; select: number; afd: number; wsapoll: number }[]> {
  console.log(`\n2. echo, 64-byte ping-pong, ${seconds} s each, client and server on one reactor (round trips/s)`);
  const echo: (string | number)[][] = [];
  const data: { connections: number; select: number; afd: number; wsapoll: number }[] = [];
  for (const connections of [1, 64, 512]) {
    const options = (readiness: Backend): ReactorOptions => ({ readiness });
    const s = (await runEcho(0, connections, seconds, options('select'))).clientRoundTrips / seconds;
    const a = (await runEcho(0, connections, seconds, options('afd'))).clientRoundTrips / seconds;
    const w = (await runEcho(0, connections, seconds, options('wsapoll'))).clientRoundTrips / seconds;
    echo.push([connections, Math.round(s), Math.round(a), a / s, Math.round(w), w / s]);
    data.push({ connections, select: s, afd: a, wsapoll: w });
  }
  printTable(['connections', 'select', 'afd', 'ratio', 'wsapoll', 'ratio'], echo);
  return data;
}

function rawSection(sizes: number[]): { sockets: number; selectUs: number; pollUs: number }[] {
  console.log('\n3. one call over N idle sockets, timeout 0, no loop (p50, µs)');
  const raw: (string | number)[][] = [];
  const data: { sockets: number; selectUs: number; pollUs: number }[] = [];
  for (const n of sizes) {
    const { selectUs, pollUs } = rawCalls(n);
    raw.push([n, selectUs, pollUs, pollUs / selectUs]);
    data.push({ sockets: n, selectUs, pollUs });
  }
  printTable(['idle sockets', 'select', 'WSAPoll', 'ratio'], raw);
  return data;
}
