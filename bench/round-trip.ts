// Where one connection's echo round trip goes: the raw C select server (bench/reference) against
// winmux's host-mode select server, both driven by the same load client (the Linux-native one
// under Wine, bench/load-client.ts) at one connection, 64-byte ping-pong, alternating rounds.
// Between them runs the JavaScript floor (bench/reference/sync-select-echo.ts): the C server's
// loop written in JavaScript on this Node, synchronous, through the same koffi bindings, with no
// event loop — what the round trip costs in Windows Node's process before any loop runs.
// All three time their native calls: the C server with QueryPerformanceCounter around select, recv and
// send (`select-echo.exe <port> times`), the floor and winmux in the koffi layer (setNativeCallTiming, this
// thread's calls only). Per round trip, from the client's rate: the whole round trip, the time in
// each native call, and the rest — outside any native call of the server: the client and the
// loopback (the same for all), plus, for the floor and winmux, their JavaScript, and for winmux the turns of Node's loop.
// The difference of winmux's rest and the floor's is what winmux's loop costs a round trip. Timing costs each
// server a little (two clock reads a call); the ratios are taken between timed servers.
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
import { median, medianWithRounds, printTable } from './stats.ts';

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
  throw new Error(`the reference server's output ended without a line matching ${pattern}`);
}

/** A round of a reference server that speaks select-echo.c's command line: the C one (an .exe) or the JavaScript floor (a script for this Node). */
async function roundOfReference(server: string, seconds: number): Promise<Round> {
  const [command, args] = server.endsWith('.exe') ? [server, ['0', 'times']] : [process.execPath, [server, '0', 'times']];
  // Piped, not inherited: under Wine an inherited Linux pipe makes a Node child fail with EBADF.
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr!.on('data', (chunk) => process.stderr.write(chunk));
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
  console.log(`round-trip — where one connection's echo round trip goes, raw C select, the JavaScript floor and winmux host select, ` +
    `${MESSAGE_SIZE}-byte ping-pong, ${seconds} s per run, ${rounds} alternating rounds, Node ${process.version}, ` +
    `${wineVersion() ? `Wine ${wineVersion()}` : 'Windows'}, load client: ${loadClientName()}`);
  if (!existsSync(exe)) {
    console.log('no raw-C reference server (.cache/bench/select-echo.exe): bench/reference/build.mjs needs MinGW-w64');
    return;
  }
  const floorScript = fileURLToPath(new URL('./reference/sync-select-echo.ts', import.meta.url));
  const c: Round[] = [];
  const floor: Round[] = [];
  const winmux: Round[] = [];
  for (let round = 0; round < rounds; round++) {
    // C first in odd rounds, winmux first in even ones: drift in the machine's speed over a round
    // falls on both ends alike, and the floor always runs between them.
    if (round % 2 === 0) c.push(await roundOfReference(exe, seconds));
    else winmux.push(await roundOfWinmux(seconds));
    floor.push(await roundOfReference(floorScript, seconds));
    if (round % 2 === 0) winmux.push(await roundOfWinmux(seconds));
    else c.push(await roundOfReference(exe, seconds));
    const [cRate, floorRate, winmuxRate] = [c, floor, winmux].map((runs) => runs.at(-1)!.rate);
    console.log(`round ${round + 1}: C ${cRate!.toFixed(0)} rt/s, JavaScript floor ${floorRate!.toFixed(0)} rt/s ` +
      `(${(floorRate! / cRate!).toFixed(2)}×), winmux ${winmuxRate!.toFixed(0)} rt/s (${(winmuxRate! / cRate!).toFixed(2)}× C, ` +
      `${(winmuxRate! / floorRate!).toFixed(2)}× the floor)`);
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
    [row('raw C select', c), row('JavaScript floor (sync select)', floor), row('winmux select (host)', winmux)]);
  const perRound = (values: number[], digits: number, unit: string): string => medianWithRounds(values, digits, unit, 'per round ');
  console.log(`winmux ÷ C: ${perRound(winmux.map((w, i) => w.rate / c[i]!.rate), 2, '×')}`);
  console.log(`the floor ÷ C: ${perRound(floor.map((f, i) => f.rate / c[i]!.rate), 2, '×')} — JavaScript in Windows Node's process with no event loop`);
  console.log(`winmux ÷ the floor: ${perRound(winmux.map((w, i) => w.rate / floor[i]!.rate), 2, '×')} — what winmux's loop costs`);
  console.log(`winmux's rest minus the floor's (its loop: promises, scheduling and Node's turns): ` +
    `${perRound(winmux.map((w, i) => w.us.rest! - floor[i]!.us.rest!), 1, ' µs')} per round trip; the floor's minus C's: ` +
    `${perRound(floor.map((f, i) => f.us.rest! - c[i]!.us.rest!), 1, ' µs')}`);
  console.log('µs per rt: from the client\'s rate. select/recv/send/other: time inside those native calls of the server ' +
    '(select includes waiting for the client). rest: the round trip outside any native call of the server — the client ' +
    'and loopback for all, and for the floor and winmux their JavaScript (winmux: also Node\'s turns). Timing the calls costs each server two clock reads a call.');
  writeResults('round-trip', { seconds, rounds, c, floor, winmux });
}
