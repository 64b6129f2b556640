// Echo: is winmux worth using instead of Node's own `net`? The winmux echo server
// (examples/echo-server.ts, select, AFD or WSAPoll) and a Node `net` echo server
// (examples/node-echo-server.ts) each run as their own process and are driven, one after the
// other, by the same client: 64-byte ping-pong on C connections for a fixed time, measured once
// every connection has had its first echo (bench/load-client.ts; the warm-up it took is shown,
// since a server under Wine can take seconds just to accept the connections). On Linux that
// client is a native C program outside Wine (bench/loadgen/echo-load.c, started by
// bench/launch.mjs), so it does not share the wineserver with the server it measures; on
// Windows it is Node `net` in this process. Round trips/s, the
// ratio winmux ÷ Node, fairness (round trips per connection, connections that got none, the
// longest wait for one echo), p50/p99 latency, as medians (or worst cases) over alternating
// rounds. The servers run a heartbeat: how late a Node setInterval (and, in winmux, a reactor
// sleep) ticks while they serve. When MinGW-w64 is installed, a classic select() echo server in C
// (bench/reference/select-echo.c) runs too: what select alone costs, with no event loop; and so
// does its loop in synchronous JavaScript (bench/reference/sync-select-echo.ts), the floor for a
// server written in JavaScript on this Node. Every server's rate is also shown against the C one's.
// The same winmux server on a guest reactor (`guest`, `guest-afd`: the loop inside Node's, the
// blocking wait on a helper thread) runs beside its host-mode twin, and its ratio against that
// twin's run of the same round is shown as well.
//
//   npm run bench -- echo [seconds=3] [connections=1,64,512] [rounds=3] [servers=all]
//
// servers: a comma-separated subset of node, select, c, floor, afd, afd-select, wsapoll, guest,
// guest-afd (the Node net baseline always runs). Every round's figures also go to .cache/bench/results/echo.json
// (bench/results.ts), for the charts.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { wineVersion } from '../lib/index.ts';
import { median, medianWithRounds, printTable } from './stats.ts';
import { driveEcho, loadClientName } from './load-client.ts';
import { writeResults } from './results.ts';

const MESSAGE_SIZE = 64;
/** After the load, how long to wait for one more heartbeat line (they come every 500 ms). */
const LAST_HEARTBEAT_WAIT_MS = 2000;

interface Server {
  /** What the `servers` argument calls it. */
  key: string;
  name: string;
  /** A script run with this Node (port 0 and `args` appended), or a Windows executable. */
  script: string;
  args: string[];
  /** The host-mode server this one is compared with as well (a guest reactor's twin). */
  versus?: string;
}

interface Heartbeat {
  /** Worst lateness so far of the Node setInterval tick, and of the reactor's sleep (undefined: none). */
  node: number;
  reactor: number | undefined;
  /** Native calls the winmux server's thread has made so far (undefined: not a winmux server). */
  calls: number | undefined;
}

interface RunningServer {
  child: ChildProcess;
  port: number;
  /** The last heartbeat line seen, parsed. */
  heartbeat: Heartbeat | undefined;
  /** Resolves with the next heartbeat line seen (or undefined after `ms`). */
  nextHeartbeat(ms: number): Promise<void>;
}

const HEARTBEAT = /^heartbeat node=(\S+) reactor=(\S+)/;

async function startServer(server: Server): Promise<RunningServer> {
  const file = fileURLToPath(new URL(server.script, import.meta.url));
  const [command, args] = file.endsWith('.exe') ? [file, ['0']] : [process.execPath, [file, '0', ...server.args]];
  // Piped, not inherited: under Wine an inherited Linux pipe makes the child fail with EBADF.
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr!.on('data', (chunk) => process.stderr.write(chunk));
  let waiters: (() => void)[] = [];
  let resolveListening: ((port: number) => void) | undefined;
  const listening = new Promise<number>((resolve, reject) => {
    resolveListening = resolve;
    child.once('exit', () => reject(new Error(`${server.name} exited before listening`)));
    child.once('error', reject);
  });
  const running: RunningServer = {
    child,
    port: 0,
    heartbeat: undefined,
    nextHeartbeat: (ms) => new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    }),
  };
  // Read stdout for as long as the server lives: the heartbeat lines come after `listening`.
  let pending = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      const listen = /^listening (\d+)/.exec(line);
      if (listen) resolveListening?.(Number(listen[1]));
      const beat = HEARTBEAT.exec(line);
      if (beat) {
        const calls = / calls=(\d+)/.exec(line);
        running.heartbeat = { node: Number(beat[1]), reactor: beat[2] === '-' ? undefined : Number(beat[2]), calls: calls ? Number(calls[1]) : undefined };
        const woken = waiters;
        waiters = [];
        for (const wake of woken) wake();
      }
    }
  });
  running.port = await listening;
  return running;
}

const max = (values: number[]): number => values.reduce((a, b) => Math.max(a, b), -Infinity);

export async function main(args: string[]): Promise<void> {
  const seconds = Number(args[0] ?? 3);
  const counts = (args[1] ?? '1,64,512').split(',').map(Number);
  const rounds = Number(args[2] ?? 3);
  console.log(`echo — winmux vs Node net, ${MESSAGE_SIZE}-byte ping-pong, ${seconds} s per run, ${rounds} rounds, ` +
    `Node ${process.version}, ${wineVersion() ? `Wine ${wineVersion()}` : 'Windows'}, load client: ${loadClientName()}`);
  const servers: Server[] = [
    { key: 'node', name: 'Node net (baseline)', script: '../examples/node-echo-server.ts', args: ['heartbeat'] },
    { key: 'select', name: 'winmux select', script: '../examples/echo-server.ts', args: ['select', 'heartbeat'] },
    { key: 'afd', name: 'winmux afd (port mode)', script: '../examples/echo-server.ts', args: ['afd', 'heartbeat'] },
    { key: 'afd-select', name: 'winmux afd (select mode)', script: '../examples/echo-server.ts', args: ['afd-select', 'heartbeat'] },
    { key: 'wsapoll', name: 'winmux wsapoll', script: '../examples/echo-server.ts', args: ['wsapoll', 'heartbeat'] },
    { key: 'guest', name: 'winmux guest select', script: '../examples/echo-server.ts', args: ['guest', 'heartbeat'], versus: 'winmux select' },
    { key: 'guest-afd', name: 'winmux guest afd', script: '../examples/echo-server.ts', args: ['guest-afd', 'heartbeat'], versus: 'winmux afd (port mode)' },
  ];
  // The references run right after host select, the server #28 compares with them, so that the
  // machine's drift within a round falls on them alike: the raw C select server, then the same
  // loop in synchronous JavaScript on this Node (bench/reference/sync-select-echo.ts), the floor
  // for any loop written in JavaScript.
  const references: Server[] = [{ key: 'floor', name: 'JavaScript floor (sync select)', script: './reference/sync-select-echo.ts', args: [] }];
  const reference = new URL('../.cache/bench/select-echo.exe', import.meta.url);
  if (existsSync(reference)) references.unshift({ key: 'c', name: 'raw C select (reference)', script: reference.href, args: [] });
  else console.log('(no raw-C reference server: bench/reference/build.mjs needs MinGW-w64)');
  servers.splice(servers.findIndex((s) => s.key === 'select') + 1, 0, ...references);
  if (args[3] !== undefined && args[3] !== 'all') {
    const wanted = new Set(args[3].split(','));
    const known = new Set([...servers.map((s) => s.key), 'c']);
    for (const key of wanted) if (!known.has(key)) throw new Error(`unknown server ${key} (known: ${[...known].join(', ')})`);
    for (let i = servers.length - 1; i > 0; i--) if (!wanted.has(servers[i]!.key)) servers.splice(i, 1);
  }
  const rows: (string | number)[][] = [];
  const perCount: { connections: number; servers: { key: string; name: string; rounds: unknown }[] }[] = [];
  for (const connections of counts) {
    // Every round runs every server once, the baseline first; a server's ratio is taken against
    // the baseline of its own round, and the table shows medians over the rounds. Client, servers
    // and (under Wine) the wineserver share the machine, so one run alone says little.
    const results = servers.map(() => ({
      rates: [] as number[], ratios: [] as number[], perConnMin: [] as number[], perConnMedian: [] as number[],
      starved: [] as number[], longestWaitMs: [] as number[], p50: [] as number[], p99: [] as number[], warmupMs: [] as number[],
      heartbeatNode: [] as number[], heartbeatReactor: [] as number[], callsPerRoundTrip: [] as number[],
    }));
    const twin = servers.map((server) => (server.versus === undefined ? -1 : servers.findIndex((s) => s.name === server.versus)));
    const cIndex = servers.findIndex((s) => s.key === 'c');
    for (let round = 0; round < rounds; round++) {
      for (const [i, server] of servers.entries()) {
        const running = await startServer(server);
        try {
          const load = await driveEcho(running.port, connections, seconds, MESSAGE_SIZE);
          if (load.connected < connections || load.errors > 0 || load.noFirstEcho > 0) {
            console.log(`  note: ${server.name}, ${connections} connections, round ${round + 1}: ` +
              `${load.connected} connected, ${load.errors} reset or closed by the server, ` +
              `${load.noFirstEcho} without a first echo after the ${(load.warmupMs / 1000).toFixed(0)} s warm-up`);
          }
          // A heartbeat line printed after the load covers all of it (they are worst-so-far).
          if (running.heartbeat !== undefined) await running.nextHeartbeat(LAST_HEARTBEAT_WAIT_MS);
          const r = results[i]!;
          r.rates.push(load.rate);
          r.ratios.push(load.rate / results[0]!.rates[round]!);
          r.perConnMin.push(load.perConnMin);
          r.perConnMedian.push(load.perConnMedian);
          r.starved.push(load.starved);
          r.longestWaitMs.push(load.longestWaitMs);
          r.p50.push(load.p50us);
          r.p99.push(load.p99us);
          r.warmupMs.push(load.warmupMs);
          const beat = running.heartbeat;
          if (beat !== undefined) {
            r.heartbeatNode.push(beat.node);
            if (beat.reactor !== undefined) r.heartbeatReactor.push(beat.reactor);
            // The whole run's calls (start-up, connects and warm-up too) over the measured round trips.
            if (beat.calls !== undefined && load.roundTrips > 0) r.callsPerRoundTrip.push(beat.calls / load.roundTrips);
          }
        } finally {
          running.child.kill();
          await once(running.child, 'exit');
        }
      }
    }
    perCount.push({ connections, servers: servers.map((server, i) => ({ key: server.key, name: server.name, rounds: results[i]! })) });
    for (const [i, server] of servers.entries()) {
      const r = results[i]!;
      const heartbeat = r.heartbeatNode.length === 0 ? '-'
        : `${max(r.heartbeatNode).toFixed(0)}/${r.heartbeatReactor.length === 0 ? '-' : max(r.heartbeatReactor).toFixed(0)}`;
      // Against the host-mode twin's run of the same round (its rates are complete: it runs first).
      const versus = twin[i]! < 0 ? undefined : r.rates.map((rate, k) => rate / results[twin[i]!]!.rates[k]!);
      const versusC = cIndex < 0 ? undefined : r.rates.map((rate, k) => rate / results[cIndex]!.rates[k]!);
      rows.push([connections, server.name, Math.round(median(r.rates)), median(r.ratios), r.ratios.map((x) => x.toFixed(2)).join(' '),
        versusC === undefined ? '-' : medianWithRounds(versusC),
        versus === undefined ? '-' : medianWithRounds(versus),
        Math.round(median(r.perConnMin)), Math.round(median(r.perConnMedian)), max(r.starved), max(r.longestWaitMs).toFixed(1),
        median(r.p50).toFixed(1), median(r.p99).toFixed(1), heartbeat, r.callsPerRoundTrip.length === 0 ? '-' : median(r.callsPerRoundTrip).toFixed(2), max(r.warmupMs).toFixed(0)]);
    }
  }
  printTable(['connections', 'server', 'round trips/s', 'ratio vs Node net', 'ratio per round', 'ratio vs raw C (per round)', 'ratio vs host mode (per round)', 'per-conn min', 'per-conn median',
    'starved', 'longest wait ms', 'p50 µs', 'p99 µs', 'heartbeat late ms', 'calls per round trip', 'warm-up ms'], rows);
  console.log('Medians over rounds, except starved, longest wait, heartbeat and warm-up: the worst round. The figures cover ' +
    'the measured phase, after a warm-up that lasts until every connection has had its first echo (30 s at most). ' +
    'per-conn: round trips each connection completed; starved: connections with none (or no first echo in the warm-up); ' +
    'longest wait: for one echo, counting one still awaited at the end. heartbeat late ms: worst lateness of a 100 ms tick ' +
    'in the server, Node setInterval / reactor sleep. calls per round trip: native calls on the winmux server\'s thread ' +
    '(reactor.stats().nativeCalls) over the measured round trips — the whole run\'s, start-up and warm-up included, so a little ' +
    'high (npm run bench -- echo-calls counts one connection exactly). warm-up ms: from all connects done to the last first echo. ' +
    'ratio vs raw C: a server\'s rate ÷ the raw C select server\'s in the same round. ' +
    'ratio vs host mode: a guest reactor\'s rate ÷ its host-mode twin\'s (winmux select, winmux afd port mode) in the same round.');
  writeResults('echo', { seconds, rounds, messageSize: MESSAGE_SIZE, loadClient: loadClientName(), counts: perCount });
}
