// One process, several event loops, as servers such as Kestrel run them: an acceptor reactor on
// the main thread accepts TCP connections and hands them round-robin to N serving reactors, each
// on its own worker_thread (examples/echo-reactor-worker.ts). Sockets move between reactors by
// value: select needs no binding, so the acceptor just lets go (`release`) and sends the number.
//
//   node scripts/winnode.mjs exec examples/multi-reactor-echo.ts [reactors=cores] [connections=64] [seconds=3]
//
// A built-in client load (ping-pong on every connection, from the acceptor's own reactor) runs
// for a few seconds, then each serving reactor reports its connections and round trips.
import os from 'node:os';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { Reactor, RemoteWaker, winsock, type ChannelHandle, type ReactorOptions } from '../lib/index.ts';
import type { ServeReport } from './echo-reactor-worker.ts';
import { echoConnection, type EchoCounts } from './echo-connection.ts';

export interface EchoRun {
  reports: ServeReport[];
  clientRoundTrips: number;
  seconds: number;
}

/** Starts `count` serving reactors; resolves with their workers and wakers once each is ready. */
export async function startServingReactors(count: number): Promise<{ workers: Worker[]; wakers: RemoteWaker[] }> {
  const workers = Array.from({ length: count }, () => new Worker(new URL('./echo-reactor-worker.ts', import.meta.url)));
  const handles = await Promise.all(workers.map(async (w) => (await once(w, 'message'))[0] as ChannelHandle));
  return { workers, wakers: handles.map((h) => new RemoteWaker(h)) };
}

/** Stops serving reactors: each finishes its connections, reports, closes its reactor and exits. */
export async function stopServingReactors(workers: Worker[], wakers: RemoteWaker[]): Promise<ServeReport[]> {
  // A worker that dies instead of reporting rejects with its error (once() rejects on 'error').
  const reports = workers.map(async (w) => (await once(w, 'message'))[0] as ServeReport);
  const exits = workers.map((w) => once(w, 'exit'));
  reports.forEach((r) => r.catch(() => {}));
  for (const waker of wakers) {
    waker.post({ stop: true });
    waker.close();
  }
  const result = await Promise.all(reports);
  await Promise.all(exits);
  return result;
}

/** Accepts `connections` connections on `listener` (non-blocking, TCP_NODELAY) and passes each on. */
async function acceptEach(reactor: Reactor, listener: number, connections: number, onSocket: (socket: number, index: number) => void): Promise<void> {
  for (let i = 0; i < connections; ) {
    const socket = winsock.acceptSocket(listener);
    if (socket === null) {
      await reactor.waitReadable(listener);
      continue;
    }
    winsock.setNonBlocking(socket);
    winsock.setIntOption(socket, winsock.IPPROTO_TCP, winsock.TCP_NODELAY, 1);
    onSocket(socket, i++);
  }
}

/** Accepts `connections` connections on `listener` and hands them out round-robin. */
export function acceptAndHandOff(reactor: Reactor, listener: number, connections: number, wakers: RemoteWaker[]): Promise<void> {
  return acceptEach(reactor, listener, connections, (socket, i) => wakers[i % wakers.length]!.post({ socket: reactor.release(socket) }));
}

/** A non-blocking TCP listener on 127.0.0.1 with an ephemeral port. */
export function listen(): { listener: number; port: number } {
  const listener = winsock.createSocket(winsock.AF_INET, winsock.SOCK_STREAM, winsock.IPPROTO_TCP);
  winsock.bindSocket(listener, '127.0.0.1', 0);
  winsock.listenSocket(listener, 512);
  winsock.setNonBlocking(listener);
  return { listener, port: winsock.localAddress(listener).port };
}

/** Connects a non-blocking client socket (waiting through the reactor). */
export async function connect(reactor: Reactor, port: number): Promise<number> {
  const socket = winsock.createSocket(winsock.AF_INET, winsock.SOCK_STREAM, winsock.IPPROTO_TCP);
  winsock.setNonBlocking(socket);
  winsock.setIntOption(socket, winsock.IPPROTO_TCP, winsock.TCP_NODELAY, 1);
  if (!winsock.connectSocket(socket, '127.0.0.1', port)) {
    await reactor.waitWritable(socket);
    const errno = winsock.socketError(socket);
    if (errno !== 0) {
      winsock.closeQuietly(socket);
      throw new Error(`connect failed with Winsock error ${errno}`);
    }
  }
  return socket;
}

/** Sends `data` and reads back exactly as many bytes. */
export async function roundTrip(reactor: Reactor, socket: number, data: Uint8Array, into: Uint8Array): Promise<void> {
  for (let sent = 0; sent < data.length; ) {
    const n = winsock.sendSome(socket, data.subarray(sent));
    if (n === null) await reactor.waitWritable(socket);
    else sent += n;
  }
  for (let got = 0; got < data.length; ) {
    const n = winsock.recvSome(socket, into.subarray(got, data.length));
    if (n === null) await reactor.waitReadable(socket);
    else if (n === 0) throw new Error('the server closed the connection');
    else got += n;
  }
}

/** Accepts `connections` connections and echoes them on this same reactor (the single-loop baseline). */
function acceptAndServe(reactor: Reactor, listener: number, connections: number, counts: EchoCounts, serving: Promise<void>[]): Promise<void> {
  return acceptEach(reactor, listener, connections, (socket) => serving.push(echoConnection(reactor, socket, counts).catch(() => {})));
}

/**
 * `reactorCount` serving reactors on worker threads behind an acceptor; 0 serves on the acceptor's
 * own reactor (one loop does everything). The client load always runs on the main reactor.
 */
export async function runEcho(reactorCount: number, connections: number, seconds: number, options: ReactorOptions = {}): Promise<EchoRun> {
  const { listener, port } = listen();
  const { workers, wakers } = await startServingReactors(reactorCount);
  const reactor = new Reactor(options);
  const local: ServeReport = { threadId: 0, connections, roundTrips: 0, bytes: 0 };
  const serving: Promise<void>[] = [];
  let clientRoundTrips = 0;
  try {
    await reactor.run(async () => {
      const accepting = reactorCount === 0
        ? acceptAndServe(reactor, listener, connections, local, serving)
        : acceptAndHandOff(reactor, listener, connections, wakers);
      const sockets = await Promise.all(Array.from({ length: connections }, () => connect(reactor, port)));
      await accepting;
      const until = reactor.now() + seconds * 1000;
      const message = new Uint8Array(64).fill(7);
      await Promise.all(sockets.map(async (socket) => {
        const reply = new Uint8Array(64);
        while (reactor.now() < until) {
          await roundTrip(reactor, socket, message, reply);
          clientRoundTrips++;
        }
        reactor.notifyClosing(socket);
        winsock.closeQuietly(socket);
      }));
      await Promise.all(serving);
    });
  } finally {
    await reactor.close();
    winsock.closeQuietly(listener);
  }
  const reports = reactorCount === 0 ? [local] : await stopServingReactors(workers, wakers);
  return { reports, clientRoundTrips, seconds };
}

if (process.argv[1]?.endsWith('multi-reactor-echo.ts')) {
  const reactors = Number(process.argv[2] ?? os.availableParallelism());
  const connections = Number(process.argv[3] ?? 64);
  const seconds = Number(process.argv[4] ?? 3);
  const run = await runEcho(reactors, connections, seconds);
  console.log(`1 acceptor + ${reactors} serving reactors, ${connections} connections, ${seconds} s of 64-byte ping-pong`);
  for (const r of run.reports) console.log(`  reactor on thread ${r.threadId}: ${r.connections} connections, ${r.roundTrips} round trips`);
  console.log(`  total: ${(run.clientRoundTrips / seconds).toFixed(0)} round trips/s`);
}
