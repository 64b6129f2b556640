// Skip-on-success: the handles winmux opens are bound with FILE_SKIP_COMPLETION_PORT_ON_SUCCESS
// (lib/iocp-worker/completion-port.ts), so a call that succeeds at once queues no packet. Is that
// faster? The same work with the mode on and off, alternating round by round in one run:
//
// 1. pipe ping-pong: 64 bytes client → server → client over a NamedPipe pair on one reactor
//    (NamedPipe.write, then NamedPipe.read on the other end), round trips/s;
// 2. file: File.write of 4 KiB at the next offset (wrapping at 1 MiB), then File.read of it back,
//    pairs/s.
//
// Each in the loop modes given (default: port — the reactor thread dequeues the port itself —
// and select — the IOCP worker thread dequeues into a ring). Per case: the median rate with the
// mode on and off, the ratio on ÷ off (median, and per round), and per operation the native calls
// on the reactor thread, the packets dispatched and the results taken at once (reactor.stats()).
//
//   npm run bench -- skip-on-success [seconds=2] [rounds=3] [modes=port,select] [cases=pipe,file]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { File, NamedPipe, NamedPipeServer, Reactor, wineVersion, type ReactorOptions, type ReactorStats } from '../lib/index.ts';
import { ownHandles } from '../lib/io/handles.ts';
import { median, printTable } from './stats.ts';
import { writeResults } from './results.ts';

const MESSAGE_SIZE = 64;
const FILE_CHUNK = 4096;
const FILE_SPAN = 1 << 20;

/** winmux's own setting, restored after each run. */
const OWN_HANDLES_SKIP = ownHandles.skipCompletionOnSuccess;

const MODES: Record<string, ReactorOptions> = { port: { readiness: 'afd' }, select: {} };

interface Measured {
  rate: number;
  callsPerOp: number;
  packetsPerOp: number;
  atOncePerOp: number;
}

const totalCalls = (stats: ReactorStats): number => Object.values(stats.nativeCalls).reduce((a, b) => a + b, 0);

function measured(ops: number, seconds: number, before: ReactorStats, after: ReactorStats): Measured {
  return {
    rate: ops / seconds,
    callsPerOp: (totalCalls(after) - totalCalls(before)) / ops,
    packetsPerOp: (after.completions - before.completions) / ops,
    atOncePerOp: (after.completedAtOnce - before.completedAtOnce) / ops,
  };
}

async function pipePingPong(mode: ReactorOptions, skip: boolean, seconds: number): Promise<Measured> {
  ownHandles.skipCompletionOnSuccess = skip;
  const reactor = new Reactor(mode);
  try {
    return await reactor.run(async () => {
      const name = `winmux-bench-skip-${process.pid}-${skip}`;
      const listener = new NamedPipeServer(reactor, name);
      const accepted = listener.accept();
      const client = await NamedPipe.connect(reactor, name);
      const server = await accepted;
      listener.close();
      try {
        const message = new Uint8Array(MESSAGE_SIZE).fill(1);
        const into = new Uint8Array(MESSAGE_SIZE);
        const roundTrip = async (): Promise<void> => {
          await client.write(message);
          for (let got = 0; got < MESSAGE_SIZE;) got += await server.read(into.subarray(got));
          await server.write(into);
          for (let got = 0; got < MESSAGE_SIZE;) got += await client.read(into.subarray(got));
        };
        for (let i = 0; i < 20; i++) await roundTrip(); // warm-up
        const before = reactor.stats();
        const started = performance.now();
        let rounds = 0;
        while (performance.now() - started < seconds * 1000) {
          await roundTrip();
          rounds++;
        }
        const elapsed = (performance.now() - started) / 1000;
        return measured(rounds, elapsed, before, reactor.stats());
      } finally {
        client.close();
        server.close();
      }
    });
  } finally {
    await reactor.close();
    ownHandles.skipCompletionOnSuccess = OWN_HANDLES_SKIP;
  }
}

async function fileWriteRead(mode: ReactorOptions, skip: boolean, seconds: number, dir: string): Promise<Measured> {
  ownHandles.skipCompletionOnSuccess = skip;
  const reactor = new Reactor(mode);
  const filePath = path.join(dir, `skip-${skip}.bin`);
  try {
    return await reactor.run(async () => {
      const file = File.open(reactor, filePath, { mode: 'readwrite', disposition: 'create' });
      try {
        const chunk = new Uint8Array(FILE_CHUNK).fill(2);
        const into = new Uint8Array(FILE_CHUNK);
        let offset = 0;
        const pair = async (): Promise<void> => {
          await file.write(chunk, offset);
          await file.read(into, offset);
          offset = (offset + FILE_CHUNK) % FILE_SPAN;
        };
        for (let i = 0; i < 20; i++) await pair();
        const before = reactor.stats();
        const started = performance.now();
        let pairs = 0;
        while (performance.now() - started < seconds * 1000) {
          await pair();
          pairs++;
        }
        const elapsed = (performance.now() - started) / 1000;
        return measured(pairs, elapsed, before, reactor.stats());
      } finally {
        file.close();
      }
    });
  } finally {
    await reactor.close();
    ownHandles.skipCompletionOnSuccess = OWN_HANDLES_SKIP;
  }
}

export async function main(args: string[]): Promise<void> {
  const seconds = Number(args[0] ?? 2);
  const rounds = Number(args[1] ?? 3);
  const modes = (args[2] ?? 'port,select').split(',');
  for (const m of modes) if (!(m in MODES)) throw new Error(`unknown mode ${m} (known: ${Object.keys(MODES).join(', ')})`);
  console.log(`skip-on-success — FILE_SKIP_COMPLETION_PORT_ON_SUCCESS on winmux's own handles, on against off, alternating; ` +
    `${seconds} s per run, ${rounds} rounds, Node ${process.version}, ${wineVersion() ? `Wine ${wineVersion()}` : 'Windows'}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'winmux-bench-skip-'));
  const wanted = new Set((args[3] ?? 'pipe,file').split(','));
  const cases = [
    { key: 'pipe', name: 'pipe ping-pong (round trips/s)', run: (mode: ReactorOptions, skip: boolean) => pipePingPong(mode, skip, seconds) },
    { key: 'file', name: 'file 4 KiB write + read (pairs/s)', run: (mode: ReactorOptions, skip: boolean) => fileWriteRead(mode, skip, seconds, dir) },
  ].filter((c) => wanted.has(c.key));
  const rows: (string | number)[][] = [];
  const results: unknown[] = [];
  try {
    for (const c of cases) {
      for (const m of modes) {
        const on: Measured[] = [];
        const off: Measured[] = [];
        for (let round = 0; round < rounds; round++) {
          // Alternate which goes first, so neither always runs on a warmer (or busier) machine.
          if (round % 2 === 0) {
            on.push(await c.run(MODES[m]!, true));
            off.push(await c.run(MODES[m]!, false));
          } else {
            off.push(await c.run(MODES[m]!, false));
            on.push(await c.run(MODES[m]!, true));
          }
        }
        const ratios = on.map((x, k) => x.rate / off[k]!.rate);
        const per = (xs: Measured[]): string => `${median(xs.map((x) => x.callsPerOp)).toFixed(2)} / ${median(xs.map((x) => x.packetsPerOp)).toFixed(2)} / ${median(xs.map((x) => x.atOncePerOp)).toFixed(2)}`;
        rows.push([c.name, m, Math.round(median(on.map((x) => x.rate))), Math.round(median(off.map((x) => x.rate))),
          median(ratios).toFixed(2), ratios.map((x) => x.toFixed(2)).join(' '), per(on), per(off)]);
        results.push({ case: c.name, mode: m, on, off, ratios });
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  printTable(['case', 'mode', 'on', 'off', 'on ÷ off', 'per round', 'per op, on: calls / packets / at once', 'per op, off'], rows);
  console.log('Medians over rounds. calls: native calls on the reactor thread (reactor.stats().nativeCalls; in select mode the IOCP ' +
    'worker\'s dequeues are on its own thread and not counted); packets: completions dispatched; at once: results taken from ' +
    'the OVERLAPPED with no packet. A pipe ping-pong round trip is 4 operations, a file pair 2.');
  writeResults('skip-on-success', { seconds, rounds, modes, results });
}
