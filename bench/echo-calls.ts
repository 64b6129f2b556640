// Native calls per echo round trip at one connection, counted (not timed): a winmux echo server on
// this thread serves a Node `net` client on a worker_thread (its own libuv loop, so its calls are
// not this thread's and it needs no turn of this thread's loop), 64-byte ping-pong. After a
// warm-up, the differences of `reactor.stats()` over N round trips give native calls by function,
// loop iterations and Node turns per round trip. Load does not change counts, only how long they
// take; test/net/call-count.test.ts asserts an upper bound per mode with this.
//
// The same for HTTP: Node's http.Server fed by serveHttp from a winmux listener (as bench/http.ts
// serves it), GET requests one after another on one keep-alive connection from a Node http client
// on a worker_thread: native calls per request.
//
//   npm run bench -- echo-calls [roundTrips=200]
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import http from 'node:http';
import { Reactor, TcpListener, serveHttp, type ReactorOptions, type ReactorStats } from '../lib/index.ts';

const MESSAGE_SIZE = 64;
/** Round trips before counting starts: the connection's first reads and arms are start-up, not the steady state. */
const WARM_UP = 20;

/** The modes the counts are given for (as test/helpers/modes.ts names them). */
export const COUNT_MODES: { name: string; mode: ReactorOptions }[] = [
  { name: 'select', mode: {} },
  { name: 'port', mode: { readiness: 'afd' } },
  { name: 'guest select', mode: { guest: true } },
  { name: 'guest port', mode: { guest: true, readiness: 'afd' } },
];

export interface EchoCounts {
  roundTrips: number;
  /** Native calls on the server's thread per round trip, and by function. */
  callsPerRoundTrip: number;
  byFunction: Record<string, number>;
  iterationsPerRoundTrip: number;
  nodeTurnsPerRoundTrip: number;
}

/** The client: Node net, `total` round trips of MESSAGE_SIZE bytes, then it ends the connection. */
const CLIENT = `
const { parentPort, workerData } = require('node:worker_threads');
const net = require('node:net');
const { port, total, size } = workerData;
const socket = net.connect(port, '127.0.0.1');
socket.setNoDelay(true);
const message = Buffer.alloc(size, 0x61);
let done = 0, got = 0;
socket.on('connect', () => socket.write(message));
socket.on('data', (chunk) => {
  got += chunk.length;
  while (got >= size) {
    got -= size;
    if (++done === total) { socket.end(); return; }
    socket.write(message);
  }
});
socket.on('close', () => parentPort.postMessage(done));
socket.on('error', (error) => parentPort.postMessage(String(error)));
`;

/** `after` − `before` by name, the names that grew only (two snapshots of per-function counters). */
export const difference = (after: Record<string, number>, before: Record<string, number>): Record<string, number> =>
  Object.fromEntries(Object.entries(after).map(([name, n]) => [name, n - (before[name] ?? 0)]).filter(([, n]) => (n as number) > 0));

/** Serves `roundTrips` (+ the warm-up) echo round trips at one connection on a new reactor in `mode`, counting. */
export async function countEchoCalls(mode: ReactorOptions, roundTrips = 200): Promise<EchoCounts> {
  const reactor = new Reactor(mode);
  let before: ReactorStats | undefined;
  let after: ReactorStats | undefined;
  const worker: { current?: Worker } = {};
  try {
    await reactor.run(async () => {
      const listener = await TcpListener.listen(reactor, { port: 0, host: '127.0.0.1' });
      try {
        const accepted = listener.accept();
        worker.current = new Worker(CLIENT, { eval: true, workerData: { port: listener.address.port, total: WARM_UP + roundTrips, size: MESSAGE_SIZE } });
        const finished = once(worker.current, 'message');
        const conn = await accepted;
        try {
          const buffer = new Uint8Array(65536);
          let echoed = 0;
          for (let n = await conn.read(buffer); n > 0; n = await conn.read(buffer)) {
            await conn.write(buffer.subarray(0, n));
            echoed += n;
            if (echoed === WARM_UP * MESSAGE_SIZE) before = reactor.stats();
            if (echoed === (WARM_UP + roundTrips) * MESSAGE_SIZE) after = reactor.stats();
          }
        } finally {
          conn.close();
        }
        const [done] = await finished as [unknown];
        if (done !== WARM_UP + roundTrips) throw new Error(`echo client: ${String(done)}`);
      } finally {
        listener.close();
      }
    });
  } finally {
    await worker.current?.terminate();
    await reactor.close();
  }
  if (before === undefined || after === undefined) throw new Error('echo-calls: a read did not end on a message boundary, so the counts have no start or end');
  return perUnit(before, after, roundTrips);
}

/** The HTTP client: `total` GETs one after another on one keep-alive connection. */
const HTTP_CLIENT = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
let done = 0;
const next = () => {
  if (done === workerData.total) { agent.destroy(); parentPort.postMessage(done); return; }
  http.get({ host: '127.0.0.1', port: workerData.port, path: '/', agent }, (res) => {
    res.resume();
    res.on('end', () => { done++; next(); });
  }).on('error', (error) => parentPort.postMessage(String(error)));
};
next();
`;

/** Serves `requests` (+ the warm-up) GETs at one keep-alive connection on a new reactor in `mode`, counting. */
export async function countHttpCalls(mode: ReactorOptions, requests = 200): Promise<EchoCounts> {
  const reactor = new Reactor(mode);
  let before: ReactorStats | undefined;
  let after: ReactorStats | undefined;
  let served = 0;
  const server = http.createServer((_req, res) => {
    served++;
    if (served === WARM_UP + 1) before = reactor.stats();
    if (served === WARM_UP + requests + 1) after = reactor.stats();
    res.end('hello, world!');
  });
  let worker: Worker | undefined;
  try {
    await reactor.run(async () => {
      const listener = TcpListener.listen(reactor, { port: 0, host: '127.0.0.1' });
      const serving = serveHttp(listener, server).catch(() => {});
      try {
        worker = new Worker(HTTP_CLIENT, { eval: true, workerData: { port: listener.address.port, total: WARM_UP + requests + 1 } });
        const [done] = await once(worker, 'message') as [unknown];
        if (done !== WARM_UP + requests + 1) throw new Error(`http client: ${String(done)}`);
      } finally {
        listener.close();
        server.closeAllConnections();
        await serving;
      }
    });
  } finally {
    await worker?.terminate();
    await reactor.close();
  }
  return perUnit(before, after, requests);
}

function perUnit(before: ReactorStats | undefined, after: ReactorStats | undefined, units: number): EchoCounts {
  if (before === undefined || after === undefined) throw new Error('echo-calls: the counts have no start or end');
  const byFunction = difference(after.nativeCalls, before.nativeCalls);
  const calls = Object.values(byFunction).reduce((a, b) => a + b, 0);
  return {
    roundTrips: units,
    callsPerRoundTrip: calls / units,
    byFunction: Object.fromEntries(Object.entries(byFunction).map(([name, n]) => [name, n / units])),
    iterationsPerRoundTrip: (after.iterations - before.iterations) / units,
    nodeTurnsPerRoundTrip: (after.nodeTurns - before.nodeTurns) / units,
  };
}

const describeCounts = (name: string, c: EchoCounts): string => {
  const functions = Object.entries(c.byFunction).sort((a, b) => b[1] - a[1]).map(([f, n]) => `${f} ${n.toFixed(2)}`).join(', ');
  return `${name.padEnd(13)} ${c.callsPerRoundTrip.toFixed(2)} calls (${functions}); ${c.iterationsPerRoundTrip.toFixed(2)} iterations, ${c.nodeTurnsPerRoundTrip.toFixed(2)} Node turns`;
};

export async function main(args: string[]): Promise<void> {
  const roundTrips = Number(args[0] ?? 200);
  console.log(`native calls per 64-byte echo round trip at one connection (server thread), ${roundTrips} round trips after ${WARM_UP} of warm-up`);
  for (const { name, mode } of COUNT_MODES) console.log(describeCounts(name, await countEchoCalls(mode, roundTrips)));
  console.log(`native calls per HTTP GET at one keep-alive connection (Node's http.Server over serveHttp), ${roundTrips} requests`);
  for (const { name, mode } of COUNT_MODES) console.log(describeCounts(name, await countHttpCalls(mode, roundTrips)));
}
