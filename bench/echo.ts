// Echo: is winmux worth using instead of Node's own `net`? The winmux echo server
// (examples/echo-server.ts, select or AFD) and a Node `net` echo server
// (examples/node-echo-server.ts) each run as their own process and are driven, one after the
// other, by the same client: Node `net` sockets in this process, 64-byte ping-pong on C
// connections for a fixed time. Round trips/s, p50/p99 latency, and the ratio winmux ÷ Node.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { once } from 'node:events';
import { wineVersion } from '../lib/index.ts';
import { printTable, summarize } from './stats.ts';

async function startServer(script: string, args: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [new URL(script, import.meta.url).pathname.replace(/^\/([A-Za-z]:)/, '$1'), '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  // Piped, not inherited: under Wine an inherited Linux pipe makes the child fail with EBADF.
  child.stderr!.on('data', (chunk) => process.stderr.write(chunk));
  let output = '';
  for await (const chunk of child.stdout!) {
    output += String(chunk);
    const match = /listening (\d+)/.exec(output);
    if (match) return { child, port: Number(match[1]) };
  }
  throw new Error(`${script} exited before listening`);
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

export async function main(args: string[]): Promise<void> {
  const seconds = Number(args[0] ?? 3);
  const counts = (args[1] ?? '1,64,512').split(',').map(Number);
  console.log(`echo — winmux vs Node net, 64-byte ping-pong, ${seconds} s each, Node ${process.version}, ${wineVersion() ? `Wine ${wineVersion()}` : 'Windows'}`);
  const servers: [string, string, string[]][] = [
    ['Node net (baseline)', '../examples/node-echo-server.ts', []],
    ['winmux select', '../examples/echo-server.ts', ['select']],
    ['winmux afd', '../examples/echo-server.ts', ['afd']],
  ];
  const rows: (string | number)[][] = [];
  for (const connections of counts) {
    let baseline = 0;
    for (const [name, script, extra] of servers) {
      const { child, port } = await startServer(script, extra);
      try {
        const result = await drive(port, connections, seconds);
        if (baseline === 0) baseline = result.rate;
        rows.push([connections, name, Math.round(result.rate), result.p50, result.p99, result.rate / baseline]);
      } finally {
        child.kill();
        await once(child, 'exit');
      }
    }
  }
  printTable(['connections', 'server', 'round trips/s', 'p50 µs', 'p99 µs', 'ratio vs Node net'], rows);
}
