// Where one connection's echo round trip goes: the raw C select server (bench/reference) against
// winmux's host-mode select server, both driven by the same load client (the Linux-native one
// under Wine, bench/load-client.ts) at one connection, 64-byte ping-pong, alternating rounds.
// Both time their native calls: the C server with QueryPerformanceCounter around select, recv and
// send (`select-echo.exe <port> times`), winmux in its koffi layer (setNativeCallTiming, this
// thread's calls only). Per round trip, from the client's rate: the whole round trip, the time in
// each native call, and the rest — outside any native call of the server: the client and the
// loopback (the same for both), plus, for winmux, its JavaScript and the turns of Node's loop.
// The difference of the two rests is what winmux's loop costs a round trip. Timing costs both
// servers a little (two clock reads a call); the ratio is taken between two timed servers.
//
//   npm run bench -- round-trip [seconds=4] [rounds=3]
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Reactor, TcpListener, wineVersion } from '../lib/index.ts';
import { nativeCallCounts, nativeCallTimes, setNativeCallTiming } from '../lib/win32/ffi.ts';
import { difference } from './echo-calls.ts';
import { driveEcho, loadClientName } from './load-client.ts';
import { writeResults } from './results.ts';
import { median, printTable } from './stats.ts';

const MESSAGE_SIZE = 64;
/** The calls shown in columns of their own; any other native call counts as "other". */
const MAIN_CALLS = ['select', 'recv', 'send'] as const;

interface Round {
  /** Round trips per second, as the client counted them in its measured phase. */
  rate: number;
  /** Microseconds per round trip in each of MAIN_CALLS, in any other native call, and outside native calls. */
  us: Record<string, number>;
  /** Native calls per round trip (winmux only: the C server makes its three by construction). */
  calls?: number;
  /** Turns of Node's loop per round trip (winmux only). */
  nodeTurns?: number;
}

/** Splits `usPerRoundTrip` (the whole round trip) into the native calls' shares and the rest. */
function breakdown(usPerRoundTrip: number, native: Record<string, number>): Record<string, number> {
  const us: Record<string, number> = { other: 0 };
  let inNative = 0;
  for (const [name, value] of Object.entries(native)) {
    if ((MAIN_CALLS as readonly string[]).includes(name)) us[name] = value;
    else us.other! += value;
    inNative += value;
  }
  us.rest = usPerRoundTrip - inNative;
  return us;
}

/** The first line of `lines` that matches `pattern`; fails if the output ends first. */
async function lineMatching(lines: AsyncIterator<string>, pattern: RegExp): Promise<RegExpExecArray> {
  for (let next = await lines.next(); next.done !== true; next = await lines.next()) {
    const match = pattern.exec(next.value.trim());
    if (match) return match;
  }
  throw new Error(`the C server's output ended without a line matching ${pattern}`);
}

async function roundOfC(exe: string, seconds: number): Promise<Round> {
  const child = spawn(exe, ['0', 'times'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const port = Number((await lineMatching(lines, /^listening (\d+)/))[1]);
    const load = await driveEcho(port, 1, seconds, MESSAGE_SIZE);
    const times = await lineMatching(lines, /^times roundTrips=(\d+) select=(\S+) recv=(\S+) send=(\S+)/);
    const native = { select: Number(times[2]), recv: Number(times[3]), send: Number(times[4]) };
    return { rate: load.rate, us: breakdown(1e6 / load.rate, native) };
  } finally {
    child.kill();
    await exited;
  }
}

async function roundOfWinmux(seconds: number): Promise<Round> {
  const reactor = new Reactor();
  try {
    return await reactor.run(async () => {
      const listener = await TcpListener.listen(reactor, { port: 0, host: '127.0.0.1' });
      try {
        const driving = driveEcho(listener.address.port, 1, seconds, MESSAGE_SIZE);
        const conn = await listener.accept();
        const callsBefore = nativeCallCounts();
        const timesBefore = nativeCallTimes();
        const turnsBefore = reactor.stats().nodeTurns;
        setNativeCallTiming(true);
        let roundTrips = 0;
        try {
          const buffer = new Uint8Array(65536);
          for (let n = await conn.read(buffer); n > 0; n = await conn.read(buffer)) {
            await conn.write(buffer.subarray(0, n));
            roundTrips++;
          }
        } catch {
          // The client resets its connections when its run ends: that ends the echo too.
        } finally {
          setNativeCallTiming(false);
          conn.close();
        }
        const load = await driving;
        const perRoundTrip = (value: number): number => value / Math.max(roundTrips, 1);
        const native = Object.fromEntries(Object.entries(difference(nativeCallTimes(), timesBefore)).map(([name, ms]) => [name, perRoundTrip(ms * 1000)]));
        const calls = perRoundTrip(Object.values(difference(nativeCallCounts(), callsBefore)).reduce((a, b) => a + b, 0));
        const nodeTurns = perRoundTrip(reactor.stats().nodeTurns - turnsBefore);
        return { rate: load.rate, us: breakdown(1e6 / load.rate, native), calls, nodeTurns };
      } finally {
        listener.close();
      }
    });
  } finally {
    await reactor.close();
  }
}

export async function main(args: string[]): Promise<void> {
  const seconds = Number(args[0] ?? 4);
  const rounds = Number(args[1] ?? 3);
  const exe = fileURLToPath(new URL('../.cache/bench/select-echo.exe', import.meta.url));
  console.log(`round-trip — where one connection's echo round trip goes, raw C select against winmux host select, ` +
    `${MESSAGE_SIZE}-byte ping-pong, ${seconds} s per run, ${rounds} alternating rounds, Node ${process.version}, ` +
    `${wineVersion() ? `Wine ${wineVersion()}` : 'Windows'}, load client: ${loadClientName()}`);
  if (!existsSync(exe)) {
    console.log('no raw-C reference server (.cache/bench/select-echo.exe): bench/reference/build.mjs needs MinGW-w64');
    return;
  }
  const c: Round[] = [];
  const winmux: Round[] = [];
  for (let round = 0; round < rounds; round++) {
    c.push(await roundOfC(exe, seconds));
    winmux.push(await roundOfWinmux(seconds));
    console.log(`round ${round + 1}: C ${c.at(-1)!.rate.toFixed(0)} rt/s, winmux ${winmux.at(-1)!.rate.toFixed(0)} rt/s ` +
      `(${(winmux.at(-1)!.rate / c.at(-1)!.rate).toFixed(2)}×)`);
  }
  const columns = [...MAIN_CALLS, 'other', 'rest'];
  const row = (name: string, runs: Round[]): (string | number)[] => {
    const total = median(runs.map((r) => 1e6 / r.rate));
    return [name, median(runs.map((r) => r.rate)).toFixed(0), total.toFixed(1),
      ...columns.map((column) => median(runs.map((r) => r.us[column] ?? 0)).toFixed(1)),
      runs[0]!.calls === undefined ? '3' : median(runs.map((r) => r.calls!)).toFixed(2),
      runs[0]!.nodeTurns === undefined ? '–' : median(runs.map((r) => r.nodeTurns!)).toFixed(3)];
  };
  printTable(['server', 'rt/s', 'µs per rt', ...columns.map((c) => `${c} µs`), 'calls per rt', 'Node turns per rt'],
    [row('raw C select', c), row('winmux select (host)', winmux)]);
  const ratios = winmux.map((w, i) => w.rate / c[i]!.rate);
  const extra = winmux.map((w, i) => w.us.rest! - c[i]!.us.rest!);
  console.log(`winmux ÷ C: ${median(ratios).toFixed(2)}× (per round ${ratios.map((r) => r.toFixed(2)).join(' ')}); ` +
    `winmux's rest minus C's (its loop: JavaScript and Node's turns): ${median(extra).toFixed(1)} µs per round trip ` +
    `(per round ${extra.map((e) => e.toFixed(1)).join(' ')})`);
  console.log('µs per rt: from the client\'s rate. select/recv/send/other: time inside those native calls of the server ' +
    '(select includes waiting for the client). rest: the round trip outside any native call of the server — the client ' +
    'and loopback for both, and for winmux its JavaScript and Node\'s turns. Timing the calls costs both servers two clock reads a call.');
  writeResults('round-trip', { seconds, rounds, c, winmux });
}
