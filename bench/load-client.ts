// The load client of the echo benchmark: ping-pong on C connections to an echo server for a
// fixed time, and the figures that tell throughput from fairness.
//
// On Linux, bench/launch.mjs starts bench/loadgen/echo-load.c (native, epoll) and passes its
// control address in WINMUX_LOAD_CLIENT: the load then comes from outside Wine, so the client
// does not share the wineserver with the server it measures. Without that variable (on Windows,
// or when the native client could not be built) the load comes from Node `net` sockets in this
// process. Both compute the same figures the same way:
//   - connect everything first (10 s at most for that);
//   - warm-up, not measured: every connection sends its first ping at once and ping-pong goes
//     on; it lasts until every open connection has had its first echo, or 30 s. A server under
//     Wine can take seconds to accept hundreds of connections: that is not its loop's fairness.
//     `warmupMs`: from "every connect settled" to the last first echo (or the limit);
//     `noFirstEcho`: connections still open without a first echo at the limit. Those count as
//     starved, their wait (the limit) counts in longestWaitMs, and they take no further part;
//   - then the measured phase, `seconds` long, which everything else covers: a round trip
//     counts when its echo is complete before the deadline; a ping outstanding at the switch
//     from warm-up waits from the switch; longestWaitMs includes a connection still waiting at
//     the deadline (deadline − its send), so a starved connection shows there;
//   - per-connection figures and `starved` are over the connections that connected;
//   - `errors`: connections the server reset or closed during the run (warm-up included).
import net from 'node:net';
import { once } from 'node:events';
import { percentile } from './stats.ts';

export interface EchoLoad {
  client: string;
  connections: number;
  connected: number;
  roundTrips: number;
  rate: number;
  perConnMin: number;
  perConnMedian: number;
  perConnMax: number;
  starved: number;
  longestWaitMs: number;
  p50us: number;
  p99us: number;
  errors: number;
  warmupMs: number;
  noFirstEcho: number;
}

const NATIVE = 'Linux-native C (epoll)';
const IN_PROCESS = 'Node net (in-process)';
const CONNECT_TIMEOUT_MS = 10_000;
/** The longest warm-up: past it, connections without their first echo are given up. */
const WARMUP_LIMIT_MS = 30_000;
/** How much longer than the measured phase we wait for the native client's reply. */
const REPLY_GRACE_MS = CONNECT_TIMEOUT_MS + WARMUP_LIMIT_MS + 20_000;

/** The control address of the native client (`host:port`), if bench/launch.mjs started one. */
function controlAddress(): { host: string; port: number } | undefined {
  const value = process.env.WINMUX_LOAD_CLIENT;
  if (value === undefined || value === '') return undefined;
  const match = /^(.+):(\d+)$/.exec(value);
  if (!match) throw new Error(`WINMUX_LOAD_CLIENT must be host:port, got ${JSON.stringify(value)}`);
  return { host: match[1]!, port: Number(match[2]) };
}

export function loadClientName(): string {
  return controlAddress() === undefined ? IN_PROCESS : NATIVE;
}

export async function driveEcho(port: number, connections: number, seconds: number, size = 64): Promise<EchoLoad> {
  const control = controlAddress();
  return control === undefined
    ? driveInProcess(port, connections, seconds, size)
    : driveNative(control, port, connections, seconds, size);
}

// ---------- the native client, over its control connection ----------

const FIELDS = ['connections', 'connected', 'roundTrips', 'rate', 'perConnMin', 'perConnMedian', 'perConnMax',
  'starved', 'longestWaitMs', 'p50us', 'p99us', 'errors', 'warmupMs', 'noFirstEcho'] as const;

async function driveNative(control: { host: string; port: number }, port: number, connections: number, seconds: number, size: number): Promise<EchoLoad> {
  const where = `${control.host}:${control.port}`;
  const socket = net.connect({ host: control.host, port: control.port, noDelay: true });
  const reply = await new Promise<string>((resolve, reject) => {
    let text = '';
    let connected = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`native load client at ${where} sent no result within ${seconds + REPLY_GRACE_MS / 1000} s`));
    }, seconds * 1000 + REPLY_GRACE_MS);
    socket.setEncoding('utf8');
    socket.on('connect', () => {
      connected = true;
      // No end(): the client takes a half-close for "the controller went away" and stops.
      socket.write(`run ${port} ${connections} ${seconds} ${size}\n`);
    });
    socket.on('data', (chunk: string) => {
      text += chunk;
      const newline = text.indexOf('\n');
      if (newline >= 0) {
        clearTimeout(timer);
        socket.destroy();
        resolve(text.slice(0, newline));
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(connected
        ? `native load client at ${where} failed: ${error.message}`
        : `cannot reach the native load client at ${where} (WINMUX_LOAD_CLIENT; is bench/launch.mjs running echo-load?): ${error.message}`));
    });
    socket.on('close', () => {
      clearTimeout(timer);
      reject(new Error(`native load client at ${where} closed the control connection without a result`));
    });
  });
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(reply) as Record<string, unknown>;
  } catch {
    throw new Error(`native load client at ${where} sent an unreadable result: ${reply}`);
  }
  if (typeof parsed.error === 'string') throw new Error(`native load client: ${parsed.error}`);
  const result = { client: NATIVE } as EchoLoad;
  for (const field of FIELDS) {
    const value = parsed[field];
    if (typeof value !== 'number') throw new Error(`native load client at ${where}: no number "${field}" in ${reply}`);
    result[field] = value;
  }
  return result;
}

// ---------- the in-process client (Node net) ----------

interface Connection {
  socket: net.Socket;
  received: number;
  waiting: boolean;
  sentAt: number;
  /** Round trips in the measured phase. */
  roundTrips: number;
  firstEcho: boolean;
  /** No first echo by the warm-up limit: starved, out of the run. */
  givenUp: boolean;
  dead: boolean;
}

async function connectAll(port: number, count: number): Promise<{ sockets: net.Socket[]; failures: number; firstError: string | undefined }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), CONNECT_TIMEOUT_MS);
  const results = await Promise.allSettled(Array.from({ length: count }, async () => {
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
    try {
      await once(socket, 'connect', { signal: controller.signal });
      // Until driveInProcess takes over the socket (after every connect settled), an error must
      // not be unhandled; the socket is then found destroyed and counted as an error.
      socket.on('error', () => {});
      return socket;
    } catch (error) {
      socket.destroy();
      throw error;
    }
  }));
  clearTimeout(timer);
  const sockets: net.Socket[] = [];
  let firstError: string | undefined;
  for (const result of results) {
    if (result.status === 'fulfilled') sockets.push(result.value);
    else firstError ??= controller.signal.aborted && (result.reason as Error).name === 'AbortError'
      ? `not connected within ${CONNECT_TIMEOUT_MS / 1000} s`
      : String((result.reason as Error).message ?? result.reason);
  }
  return { sockets, failures: count - sockets.length, firstError };
}

async function driveInProcess(port: number, connections: number, seconds: number, size: number): Promise<EchoLoad> {
  const { sockets, failures, firstError } = await connectAll(port, connections);
  if (failures > 0) console.error(`load client: ${failures} of ${connections} connections to 127.0.0.1:${port} failed (${firstError})`);
  const message = Buffer.alloc(size, 7);
  const samples: number[] = [];
  let errors = 0;
  let longestWait = 0; // measured phase only
  let warming = true;
  let awaitingFirst = 0;
  let wakeWarmup = (): void => {};
  const connectsDone = performance.now();
  let lastFirstEcho = connectsDone;
  let deadline = Infinity;
  let over = false;

  const send = (c: Connection): void => {
    c.received = 0;
    c.waiting = true;
    c.sentAt = performance.now();
    c.socket.write(message);
  };
  const fail = (c: Connection): void => {
    if (c.dead || over) return;
    c.dead = true;
    errors++;
    if (warming && !c.firstEcho && --awaitingFirst === 0) wakeWarmup();
    if (!warming && c.waiting) longestWait = Math.max(longestWait, Math.min(performance.now(), deadline) - c.sentAt);
    c.waiting = false;
    c.socket.destroy();
  };
  const conns: Connection[] = sockets.map((socket) => {
    const c: Connection = { socket, received: 0, waiting: false, sentAt: 0, roundTrips: 0, firstEcho: false, givenUp: false, dead: false };
    awaitingFirst++; // until its first echo; fail() takes it back
    socket.on('data', (chunk: Buffer) => {
      if (over || c.givenUp || !c.waiting) return;
      c.received += chunk.length;
      if (c.received < size) return;
      const now = performance.now();
      c.waiting = false;
      if (warming) {
        if (!c.firstEcho) {
          c.firstEcho = true;
          lastFirstEcho = now;
          if (--awaitingFirst === 0) wakeWarmup();
        }
      } else {
        if (now > deadline) return; // late: the run is over
        const wait = now - c.sentAt;
        longestWait = Math.max(longestWait, wait);
        samples.push(wait * 1000);
        c.roundTrips++;
      }
      send(c);
    });
    socket.on('error', () => fail(c));
    socket.on('close', () => fail(c));
    if (socket.destroyed) fail(c);
    return c;
  });

  // Warm-up: every connection sends its first ping now; ping-pong goes on, not counted.
  for (const c of conns) if (!c.dead) send(c);
  if (awaitingFirst > 0) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, WARMUP_LIMIT_MS);
      wakeWarmup = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  // The switch: the measured phase starts now.
  const start = performance.now();
  warming = false;
  deadline = start + seconds * 1000;
  let warmupMs = lastFirstEcho - connectsDone;
  let noFirstEcho = 0;
  if (awaitingFirst > 0) {
    warmupMs = WARMUP_LIMIT_MS;
    longestWait = WARMUP_LIMIT_MS;
    for (const c of conns) {
      if (c.dead || c.firstEcho) continue;
      c.givenUp = true;
      c.waiting = false;
      noFirstEcho++;
    }
  }
  for (const c of conns) if (c.waiting) c.sentAt = start;

  // The deadline is a timer, not a check in each connection's loop: a connection whose echo
  // never comes must not hold the run open.
  await new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, deadline - performance.now())));
  over = true;
  for (const c of conns) {
    if (c.waiting && !c.dead) longestWait = Math.max(longestWait, deadline - c.sentAt);
    c.socket.destroy();
  }

  const counts = conns.map((c) => c.roundTrips).sort((a, b) => a - b);
  const roundTrips = counts.reduce((a, b) => a + b, 0);
  const sorted = samples.sort((a, b) => a - b);
  const orZero = (x: number): number => (Number.isNaN(x) ? 0 : x);
  return {
    client: IN_PROCESS,
    connections,
    connected: conns.length,
    roundTrips,
    rate: roundTrips / seconds,
    perConnMin: counts[0] ?? 0,
    perConnMedian: orZero(percentile(counts, 50)),
    perConnMax: counts[counts.length - 1] ?? 0,
    starved: counts.filter((n) => n === 0).length,
    longestWaitMs: longestWait,
    p50us: orZero(percentile(sorted, 50)),
    p99us: orZero(percentile(sorted, 99)),
    errors,
    warmupMs,
    noFirstEcho,
  };
}
