// Coexist: how well does the host application's own Node loop keep running while winmux runs in
// the same process? Three probes run in this process for the whole benchmark:
//   - timer:  a Node setInterval(5): how late each tick comes (ms);
//   - net:    a Node `net` echo server in this process, pinged every 20 ms (64 bytes) by a Node
//             `net` client in this process: round trip (ms);
//   - worker: a worker_threads Worker that echoes postMessage, pinged every 10 ms: round trip (ms).
// A ping is sent only when the previous one has come back: a stalled loop gives one long round
// trip, not a queue of them.
//
// Phases, each `seconds` long (the busy ones add the load client's connects and warm-up):
//   1. no winmux                          nothing else runs;
//   2. Node net serving N busy            a second Node `net` echo server (noDelay) in this process,
//                                         driven by bench/load-client.ts (N connections, ping-pong);
//   3. winmux host mode, idle             a Reactor (default maxBlockMs) runs `sleep(seconds)`: it
//                                         owns the thread with nothing to do. Node's callbacks run
//                                         only between its selects;
//   4. winmux host mode serving N busy    a winmux echo server (one task per connection) inside
//                                         reactor.run, driven by the same load;
//   5. winmux guest mode, idle            a guest Reactor ({ guest: true }, lib/guest) with one
//                                         pending sleep to the end of the phase (after sleep(1)s
//                                         until one ends through its helper thread, which is then
//                                         up): nothing to do, the helper parked in select;
//   6. winmux guest mode serving N busy   the same winmux echo server on a guest reactor, driven
//                                         by the same load: the reactor turns inside Node's loop.
// Every round runs every phase once, in order. A probe's sample belongs to the phase in which it
// was due (a timer tick: the phase of the tick before it) or sent (a ping), so a tick or a reply
// that a phase held back still counts for that phase. CPU: this process's user + system time
// during the phase ÷ its wall time (all threads: the worker and the IOCP worker count too).
//
//   npm run bench -- coexist [seconds=5] [connections=32] [rounds=3]
import net from 'node:net';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { Reactor, TcpListener, wineVersion, type ReactorStats, type TcpStream } from '../lib/index.ts';
import { driveEcho, loadClientName, type EchoLoad } from './load-client.ts';
import { median, percentile, printTable } from './stats.ts';
import { echoStream } from '../examples/echo-stream.ts';

const TIMER_MS = 5;
const NET_PING_MS = 20;
const WORKER_PING_MS = 10;
const PING_SIZE = 64;
/** After the last phase: how long to wait for pings still out, so that they count. */
const SETTLE_MS = 200;

/** One phase's samples (ms), one array per probe. */
interface Samples {
  timer: number[];
  net: number[];
  worker: number[];
}

const PROBES = ['timer', 'net', 'worker'] as const;

/** The three probes. `current` is where new samples go (undefined: nowhere). */
class Probes {
  current: Samples | undefined;
  readonly #intervals: NodeJS.Timeout[] = [];
  readonly #server: net.Server;
  readonly #client: net.Socket;
  readonly #worker: Worker;

  private constructor(server: net.Server, client: net.Socket, worker: Worker) {
    this.#server = server;
    this.#client = client;
    this.#worker = worker;
    this.#startTimer();
    this.#startNetPings();
    this.#startWorkerPings();
  }

  static async start(): Promise<Probes> {
    const server = net.createServer({ noDelay: true }, (socket) => {
      socket.on('data', (chunk) => socket.write(chunk));
      socket.on('error', () => socket.destroy());
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const client = net.connect({ port: (server.address() as net.AddressInfo).port, host: '127.0.0.1', noDelay: true });
    await once(client, 'connect');
    const worker = new Worker(
      "const { parentPort } = require('node:worker_threads'); parentPort.on('message', (m) => parentPort.postMessage(m));",
      { eval: true },
    );
    await once(worker, 'online');
    return new Probes(server, client, worker);
  }

  #startTimer(): void {
    // Node reschedules an interval from the moment its callback starts: the next tick is due
    // TIMER_MS after this one ran.
    let expected = performance.now() + TIMER_MS;
    let owner = this.current;
    this.#intervals.push(setInterval(() => {
      const now = performance.now();
      owner?.timer.push(Math.max(0, now - expected));
      expected = now + TIMER_MS;
      owner = this.current;
    }, TIMER_MS));
  }

  #startNetPings(): void {
    const message = Buffer.alloc(PING_SIZE, 1);
    let out: { at: number; owner: Samples | undefined } | undefined;
    let received = 0;
    this.#client.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (out === undefined || received < PING_SIZE) return;
      out.owner?.net.push(performance.now() - out.at);
      out = undefined;
      received = 0;
    });
    this.#client.on('error', () => {}); // ends with the benchmark; a lost probe shows as no samples
    this.#intervals.push(setInterval(() => {
      if (out !== undefined || this.#client.destroyed) return;
      out = { at: performance.now(), owner: this.current };
      this.#client.write(message);
    }, NET_PING_MS));
  }

  #startWorkerPings(): void {
    let out: { at: number; owner: Samples | undefined; seq: number } | undefined;
    let seq = 0;
    this.#worker.on('message', (echoed: number) => {
      if (out === undefined || echoed !== out.seq) return;
      out.owner?.worker.push(performance.now() - out.at);
      out = undefined;
    });
    this.#intervals.push(setInterval(() => {
      if (out !== undefined) return;
      out = { at: performance.now(), owner: this.current, seq: ++seq };
      this.#worker.postMessage(seq);
    }, WORKER_PING_MS));
  }

  async stop(): Promise<void> {
    this.current = undefined;
    for (const interval of this.#intervals) clearInterval(interval);
    this.#client.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    await this.#worker.terminate();
  }
}

/** What a phase reports besides the probes' samples. */
interface PhaseOutcome {
  reactor?: ReactorStats;
  load?: EchoLoad;
  /**
   * Idle phases: CPU % from the moment the reactor settled into its idle wait (guest: its helper
   * thread started and parked; host: constructed) to the end of the sleep, and how long that
   * settling took (ms from `new Reactor`).
   */
  settledCpuPercent?: number;
  settleMs?: number;
}

interface Phase {
  name: string;
  run(): Promise<PhaseOutcome>;
}

interface PhaseRecord extends PhaseOutcome {
  samples: Samples;
  cpuPercent: number;
  wallMs: number;
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Phase 2: a Node `net` echo server in this process under the load. */
async function nodeNetServing(connections: number, seconds: number): Promise<PhaseOutcome> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ noDelay: true }, (socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.on('data', (chunk) => socket.write(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen({ port: 0, host: '127.0.0.1', backlog: 1024 });
  await once(server, 'listening');
  try {
    return { load: await driveEcho((server.address() as net.AddressInfo).port, connections, seconds) };
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/**
 * Phases 3 and 5: a reactor with nothing to do but one pending sleep. Host mode: `run` owns the
 * thread; guest mode: `run` only calls fn, the sleep keeps the reactor's helper parked.
 */
async function winmuxIdle(seconds: number, guest: boolean): Promise<PhaseOutcome> {
  const created = performance.now();
  const reactor = new Reactor({ guest });
  try {
    let settled = created;
    let cpu = process.cpuUsage();
    await reactor.run(async () => {
      // A guest reactor starts its helper thread at construction, and its first blocking wait is
      // served once that thread is up: sleep(1) until one has ended through a hand-off (a sleep
      // that a turn fired before any hand-off proves nothing), so the idle cost is measured after.
      for (let handoffs = 0; guest && performance.now() - created < seconds * 1000; ) {
        handoffs = reactor.stats().guestHandoffs ?? 0;
        await reactor.sleep(1);
        if ((reactor.stats().guestHandoffs ?? 0) > handoffs) break;
      }
      settled = performance.now();
      cpu = process.cpuUsage();
      await reactor.sleep(Math.max(0, seconds * 1000 - (settled - created)));
    });
    const used = process.cpuUsage(cpu);
    const settledCpuPercent = ((used.user + used.system) / 1000 / (performance.now() - settled)) * 100;
    return { reactor: reactor.stats(), settledCpuPercent, settleMs: settled - created };
  } finally {
    await reactor.close();
  }
}

/** Phases 4 and 6: a winmux echo server in this process's reactor (host or guest mode) under the load. */
async function winmuxServing(connections: number, seconds: number, guest: boolean): Promise<PhaseOutcome> {
  const reactor = new Reactor({ guest });
  try {
    const load = await reactor.run(async () => {
      const listener = await TcpListener.listen(reactor, { port: 0, backlog: 1024 });
      const open = new Set<TcpStream>();
      const tasks = new Set<Promise<void>>();
      const accepting = (async () => {
        for await (const conn of listener) {
          open.add(conn);
          const task: Promise<void> = echoStream(conn).finally(() => {
            open.delete(conn);
            tasks.delete(task);
          });
          tasks.add(task);
        }
      })();
      try {
        return await driveEcho(listener.address.port, connections, seconds);
      } finally {
        listener.close();
        for (const conn of open) conn.close();
        await accepting.catch(() => {});
        await Promise.all(tasks);
      }
    });
    return { load, reactor: reactor.stats() };
  } finally {
    await reactor.close();
  }
}

async function runPhase(probes: Probes, phase: Phase): Promise<PhaseRecord> {
  const samples: Samples = { timer: [], net: [], worker: [] };
  probes.current = samples;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const outcome = await phase.run();
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  // Samples keep going to this phase until the next one starts (or the benchmark ends).
  return { ...outcome, samples, wallMs, cpuPercent: ((used.user + used.system) / 1000 / wallMs) * 100 };
}

const max = (values: number[]): number => values.reduce((a, b) => Math.max(a, b), -Infinity);
const finite = (values: number[]): number[] => values.filter((x) => Number.isFinite(x));

/** p50, p99 and max of one phase's samples of one probe (NaN when there are none). */
function figures(samples: number[]): { p50: number; p99: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.length === 0 ? NaN : sorted[sorted.length - 1]! };
}

/** `p50/p99/max` over rounds: medians of each round's p50 and p99, the worst round's max. */
function probeCell(records: PhaseRecord[], probe: (typeof PROBES)[number]): string {
  const perRound = records.map((r) => figures(r.samples[probe]));
  const p50 = finite(perRound.map((f) => f.p50));
  if (p50.length === 0) return '-';
  const p99 = finite(perRound.map((f) => f.p99));
  const worst = finite(perRound.map((f) => f.max));
  const samples = records.map((r) => r.samples[probe].length);
  const cell = `${median(p50).toFixed(1)}/${median(p99).toFixed(1)}/${max(worst).toFixed(1)}`;
  return samples.some((n) => n === 0) ? `${cell} (${samples.filter((n) => n === 0).length} rounds empty)` : cell;
}

/** The median over rounds of a figure that only some phases have ('-' for the others). */
function medianOf(records: PhaseRecord[], pick: (r: PhaseRecord) => number | undefined, digits = 0): string {
  const values = records.map(pick).filter((x): x is number => x !== undefined && Number.isFinite(x));
  return values.length === 0 ? '-' : median(values).toFixed(digits);
}

export async function main(args: string[]): Promise<void> {
  const seconds = Number(args[0] ?? 5);
  const connections = Number(args[1] ?? 32);
  const rounds = Number(args[2] ?? 3);
  if (!(seconds > 0) || !Number.isInteger(connections) || connections < 1 || !Number.isInteger(rounds) || rounds < 1) {
    throw new Error('usage: npm run bench -- coexist [seconds=5] [connections=32] [rounds=3]');
  }
  const wine = wineVersion();
  console.log(`coexist — the host's Node loop beside winmux in one process. Node ${process.version}, ` +
    `${wine ? `Wine ${wine}` : 'Windows'}, load client: ${loadClientName()}, ${seconds} s per phase, ` +
    `N = ${connections} connections, ${rounds} rounds`);

  const phases: Phase[] = [
    { name: 'no winmux', run: async () => { await delay(seconds * 1000); return {}; } },
    { name: `Node net serving ${connections} busy`, run: () => nodeNetServing(connections, seconds) },
    { name: 'winmux host mode, idle', run: () => winmuxIdle(seconds, false) },
    { name: `winmux host mode serving ${connections} busy`, run: () => winmuxServing(connections, seconds, false) },
    { name: 'winmux guest mode, idle', run: () => winmuxIdle(seconds, true) },
    { name: `winmux guest mode serving ${connections} busy`, run: () => winmuxServing(connections, seconds, true) },
  ];
  const [NO_WINMUX, NODE_NET, HOST_IDLE, HOST_SERVING, GUEST_IDLE, GUEST_SERVING] = [0, 1, 2, 3, 4, 5] as const;
  const records: PhaseRecord[][] = phases.map(() => []);
  const probes = await Probes.start();
  try {
    for (let round = 0; round < rounds; round++) {
      for (const [i, phase] of phases.entries()) {
        const record = await runPhase(probes, phase);
        records[i]!.push(record);
        const load = record.load;
        if (load !== undefined && (load.connected < connections || load.errors > 0 || load.noFirstEcho > 0)) {
          console.log(`  note: ${phase.name}, round ${round + 1}: ${load.connected} connected, ${load.errors} reset or closed ` +
            `by the server, ${load.noFirstEcho} without a first echo after the warm-up`);
        }
      }
    }
    await delay(SETTLE_MS); // the last phase's pings still out come back and count
  } finally {
    await probes.stop();
  }

  const perSecond = (count: number | undefined, r: PhaseRecord): number | undefined => (count === undefined ? undefined : count / (r.wallMs / 1000));
  const rows = phases.map((phase, i) => {
    const r = records[i]!;
    return [
      phase.name,
      probeCell(r, 'timer'),
      probeCell(r, 'net'),
      probeCell(r, 'worker'),
      medianOf(r, (x) => x.reactor?.iterations),
      medianOf(r, (x) => x.reactor?.longestIterationMs, 1),
      medianOf(r, (x) => x.load?.rate),
      medianOf(r, (x) => x.load?.starved),
      `${medianOf(r, (x) => x.load?.perConnMin)} / ${medianOf(r, (x) => x.load?.perConnMedian)}`,
      r.some((x) => x.load !== undefined) ? max(r.map((x) => x.load?.longestWaitMs ?? -Infinity)).toFixed(0) : '-',
      medianOf(r, (x) => x.cpuPercent),
    ];
  });
  printTable(['phase', 'Node timer late ms p50/p99/max', 'Node net RTT ms p50/p99/max', 'worker RTT ms p50/p99/max',
    'loop iterations', 'longest iteration ms', 'echo round trips/s', 'starved', 'per-conn min / median', 'longest wait ms', 'CPU %'], rows);
  console.log(`Medians over rounds of each figure, except max and longest wait: the worst round. Timer: lateness of a ${TIMER_MS} ms ` +
    `setInterval tick; Node net: ${PING_SIZE}-byte ping every ${NET_PING_MS} ms to an echo server in this process; ` +
    `worker: postMessage ping every ${WORKER_PING_MS} ms. Loop iterations and longest iteration: reactor.stats() at the ` +
    'end of the phase. starved / per-conn: load connections with no round trip / the fewest and the median round trips of one ' +
    'connection; longest wait: for one echo (bench/load-client.ts). CPU %: this process (all threads) over the phase\'s wall time; 100 = one core. ' +
    'Samples are per tick or ping, not per unit of time: a loop that stalls takes few of them, so a stall shows in p99 and ' +
    'max (and in the sample counts below) more than in p50.');

  console.log('\nThe reactor\'s loop, per phase (medians over rounds; per second of the phase\'s wall time). wakeup-socket drains: ' +
    'reactor.stats().wakeups (in guest mode also the wakes that end a helper wait early). guest handoffs: blocking waits given ' +
    'to the helper thread (each ends with one message that wakes Node\'s loop). Idle phases: settle ms, from new Reactor until ' +
    'a guest\'s sleep(1) ended through a hand-off (its helper thread is up; host: 0), and CPU % from then to the end of the phase\'s sleep.');
  printTable(['phase', 'iterations/s', 'wakeup-socket drains', 'guest turns', 'guest turns/s', 'guest handoffs', 'guest handoffs/s', 'helper at end',
    'settle ms', 'CPU % once settled'],
    phases.map((phase, i) => {
      const r = records[i]!;
      return [
        phase.name,
        medianOf(r, (x) => perSecond(x.reactor?.iterations, x), 1),
        medianOf(r, (x) => x.reactor?.wakeups),
        medianOf(r, (x) => x.reactor?.guestTurns),
        medianOf(r, (x) => perSecond(x.reactor?.guestTurns, x), 1),
        medianOf(r, (x) => x.reactor?.guestHandoffs),
        medianOf(r, (x) => perSecond(x.reactor?.guestHandoffs, x), 1),
        [...new Set(r.map((x) => x.reactor?.guestHelper).filter((x) => x !== undefined))].join(', ') || '-',
        medianOf(r, (x) => x.settleMs),
        medianOf(r, (x) => x.settledCpuPercent, 1),
      ];
    }));

  // Comparisons against baselines measured in the same round: per round, then the median.
  const timerP99 = (r: PhaseRecord): number => figures(r.samples.timer).p99;
  const rate = (r: PhaseRecord): number => r.load?.rate ?? NaN;
  const comparisons: { name: string; of: number; against: number; value: (a: PhaseRecord, b: PhaseRecord) => number; digits: number }[] = [
    { name: 'timer p99 late, ms more than no winmux', of: HOST_IDLE, against: NO_WINMUX, value: (a, b) => timerP99(a) - timerP99(b), digits: 1 },
    { name: 'timer p99 late, ms more than no winmux', of: GUEST_IDLE, against: NO_WINMUX, value: (a, b) => timerP99(a) - timerP99(b), digits: 1 },
    { name: 'CPU, points more than no winmux', of: HOST_IDLE, against: NO_WINMUX, value: (a, b) => a.cpuPercent - b.cpuPercent, digits: 1 },
    { name: 'CPU, points more than no winmux', of: GUEST_IDLE, against: NO_WINMUX, value: (a, b) => a.cpuPercent - b.cpuPercent, digits: 1 },
    { name: 'CPU once settled, points more than no winmux', of: HOST_IDLE, against: NO_WINMUX, value: (a, b) => (a.settledCpuPercent ?? NaN) - b.cpuPercent, digits: 1 },
    { name: 'CPU once settled, points more than no winmux', of: GUEST_IDLE, against: NO_WINMUX, value: (a, b) => (a.settledCpuPercent ?? NaN) - b.cpuPercent, digits: 1 },
    { name: 'timer p99 late ÷ Node net serving', of: HOST_SERVING, against: NODE_NET, value: (a, b) => timerP99(a) / timerP99(b), digits: 2 },
    { name: 'timer p99 late ÷ Node net serving', of: GUEST_SERVING, against: NODE_NET, value: (a, b) => timerP99(a) / timerP99(b), digits: 2 },
    { name: 'echo round trips/s ÷ Node net serving', of: HOST_SERVING, against: NODE_NET, value: (a, b) => rate(a) / rate(b), digits: 2 },
    { name: 'echo round trips/s ÷ Node net serving', of: GUEST_SERVING, against: NODE_NET, value: (a, b) => rate(a) / rate(b), digits: 2 },
    { name: 'echo round trips/s ÷ host mode serving', of: GUEST_SERVING, against: HOST_SERVING, value: (a, b) => rate(a) / rate(b), digits: 2 },
    { name: 'CPU ÷ host mode serving', of: GUEST_SERVING, against: HOST_SERVING, value: (a, b) => a.cpuPercent / b.cpuPercent, digits: 2 },
  ];
  console.log('\nAgainst the baselines of the same round (median, then per round):');
  printTable(['phase', 'figure', 'median', 'per round'], comparisons.map((c) => {
    const values = records[c.of]!.map((r, k) => c.value(r, records[c.against]![k]!));
    const shown = finite(values);
    return [phases[c.of]!.name, c.name, shown.length === 0 ? '-' : median(shown).toFixed(c.digits),
      values.map((x) => (Number.isFinite(x) ? x.toFixed(c.digits) : '-')).join(' ')];
  }));

  console.log('\nNode timer p99 late ms, per round (timer samples taken; the phase\'s wall time, connects and warm-up included; CPU %):');
  printTable(['phase', ...Array.from({ length: rounds }, (_, k) => `round ${k + 1}`)], phases.map((phase, i) => [
    phase.name,
    ...records[i]!.map((r) => {
      const p99 = figures(r.samples.timer).p99;
      return `${Number.isNaN(p99) ? '-' : p99.toFixed(1)} (n=${r.samples.timer.length}, ${(r.wallMs / 1000).toFixed(1)} s, ${r.cpuPercent.toFixed(0)} %)`;
    }),
  ]));
}
