// Echo: is winmux worth using instead of Node's own `net`? The winmux echo server
// (examples/echo-server.ts, select or AFD) and a Node `net` echo server
// (examples/node-echo-server.ts) each run as their own process and are driven, one after the
// other, by the same client: Node `net` sockets in this process, 64-byte ping-pong on C
// connections for a fixed time. Round trips/s, p50/p99 latency, and the ratio winmux ÷ Node,
// as medians over alternating rounds. When MinGW-w64 is installed, a classic select() echo server
// in C (bench/reference/select-echo.c) runs too: what select alone costs, with no event loop.
//
//   npm run bench -- echo [seconds=3] [connections=1,64,512] [rounds=3]
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { wineVersion } from '../lib/index.ts';
import { printTable, summarize } from './stats.ts';

interface Server {
  name: string;
  /** A script run with this Node (port 0 and `args` appended), or a Windows executable. */
  script: string;
  args: string[];
}

async function startServer(server: Server): Promise<{ child: ChildProcess; port: number }> {
  const file = fileURLToPath(new URL(server.script, import.meta.url));
  const [command, args] = file.endsWith('.exe') ? [file, ['0']] : [process.execPath, [file, '0', ...server.args]];
  // Piped, not inherited: under Wine an inherited Linux pipe makes the child fail with EBADF.
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr!.on('data', (chunk) => process.stderr.write(chunk));
  let output = '';
  for await (const chunk of child.stdout!) {
    output += String(chunk);
    const match = /listening (\d+)/.exec(output);
    if (match) return { child, port: Number(match[1]) };
  }
  throw new Error(`${server.name} exited before listening`);
}

async function drive(port: number, connections: number, seconds: number): Promise<{ rate: number; p50: number; p99: number }> {
  const samples: number[] = [];
  let rounds = 0;
  const until = performance.now() + seconds * 1000;
  const message = Buffer.alloc(64, 7);
  await Promise.all(Array.from({ length: connections }, async () => {
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
    await once(socket, 'connect');
    let pending = 0;
    let resolveRound: (() => void) | undefined;
    socket.on('data', (chunk: Buffer) => {
      pending -= chunk.length;
      if (pending <= 0) resolveRound?.();
    });
    while (performance.now() < until) {
      const started = performance.now();
      pending = 64;
      await new Promise<void>((resolve) => {
        resolveRound = resolve;
        socket.write(message);
      });
      samples.push((performance.now() - started) * 1000);
      rounds++;
    }
    socket.destroy();
  }));
  const s = summarize(samples);
  return { rate: rounds / seconds, p50: s.p50, p99: s.p99 };
}

const median = (values: number[]): number => summarize(values).p50;

export async function main(args: string[]): Promise<void> {
  const seconds = Number(args[0] ?? 3);
  const counts = (args[1] ?? '1,64,512').split(',').map(Number);
  const rounds = Number(args[2] ?? 3);
  console.log(`echo — winmux vs Node net, 64-byte ping-pong, ${seconds} s per run, ${rounds} rounds, Node ${process.version}, ${wineVersion() ? `Wine ${wineVersion()}` : 'Windows'}`);
  const servers: Server[] = [
    { name: 'Node net (baseline)', script: '../examples/node-echo-server.ts', args: [] },
    { name: 'winmux select', script: '../examples/echo-server.ts', args: ['select'] },
    { name: 'winmux afd', script: '../examples/echo-server.ts', args: ['afd'] },
  ];
  const reference = new URL('../.cache/bench/select-echo.exe', import.meta.url);
  if (existsSync(reference)) servers.push({ name: 'raw C select (reference)', script: reference.href, args: [] });
  else console.log('(no raw-C reference server: bench/reference/build.mjs needs MinGW-w64)');
  const rows: (string | number)[][] = [];
  for (const connections of counts) {
    // Every round runs every server once, the baseline first; a server's ratio is taken against
    // the baseline of its own round, and the table shows medians over the rounds. Client, servers
    // and (under Wine) the wineserver share the machine, so one run alone says little.
    const results = servers.map(() => ({ rates: [] as number[], p50: [] as number[], p99: [] as number[], ratios: [] as number[] }));
    for (let round = 0; round < rounds; round++) {
      for (const [i, server] of servers.entries()) {
        const { child, port } = await startServer(server);
        try {
          const result = await drive(port, connections, seconds);
          const r = results[i]!;
          r.rates.push(result.rate);
          r.p50.push(result.p50);
          r.p99.push(result.p99);
          r.ratios.push(result.rate / results[0]!.rates[round]!);
        } finally {
          child.kill();
          await once(child, 'exit');
        }
      }
    }
    for (const [i, server] of servers.entries()) {
      const r = results[i]!;
      rows.push([connections, server.name, Math.round(median(r.rates)), median(r.p50), median(r.p99), median(r.ratios),
        r.ratios.map((x) => x.toFixed(2)).join(' ')]);
    }
  }
  printTable(['connections', 'server', 'round trips/s', 'p50 µs', 'p99 µs', 'ratio vs Node net', 'ratio per round'], rows);
}
