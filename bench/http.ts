// http: Node's http.Server over winmux sockets against Node's own, under the same load.
// Two server processes (bench/http-server.ts), each the same http.Server and handler: `node`
// listens on Node's own socket (the baseline), `winmux` is fed by serveHttp from a winmux
// TcpListener on a guest reactor. wrk drives them: GET (13-byte answer) and POST of a 4 KiB
// body, on 1 / 16 / 128 keep-alive connections, one wrk thread. Each round runs every server
// once per case, the order alternating from round to round; the table shows medians over the
// rounds, the ratio winmux ÷ Node of each round, and wrk's errors (connect/read/write/timeout and
// non-2xx answers) summed over the rounds.
//
// wrk is Linux-native: bench/launch.mjs installs it when missing (Debian's package, as root),
// runs it on this benchmark's behalf and passes the address of that service in WINMUX_WRK, so the
// load comes from outside Wine, as the echo benchmark's does. Without it (on Windows) this
// benchmark cannot run.
//
//   npm run bench -- http [seconds=5] [connections=1,16,128] [rounds=3] [servers=node,winmux]
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { wineVersion } from '../lib/index.ts';
import { median, printTable } from './stats.ts';

const POST_BYTES = 4096;
const WARMUP_SECONDS = 2;

interface WrkResult {
  rate: number;
  p50ms: number;
  p99ms: number;
  errors: { connect: number; read: number; write: number; timeout: number; status: number };
}

interface RunningServer {
  kind: string;
  child: ChildProcess;
  port: number;
}

async function startServer(kind: string): Promise<RunningServer> {
  const file = fileURLToPath(new URL('./http-server.ts', import.meta.url));
  // Piped, not inherited: under Wine an inherited Linux pipe makes the child fail with EBADF.
  const child = spawn(process.execPath, [file, kind, '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr!.on('data', (chunk) => process.stderr.write(chunk));
  const port = await new Promise<number>((resolve, reject) => {
    let text = '';
    child.once('exit', (code) => reject(new Error(`the ${kind} server exited (${code}) before listening`)));
    child.once('error', reject);
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      text += chunk;
      const match = /^listening (\d+)/m.exec(text);
      if (match) resolve(Number(match[1]));
    });
  });
  return { kind, child, port };
}

/** One wrk run through launch.mjs's service: one JSON line out, one back. */
async function wrk(address: string, request: { url: string; connections: number; seconds: number; postBytes: number }): Promise<WrkResult> {
  const [host, port] = address.split(':');
  const socket = net.connect(Number(port), host);
  socket.setEncoding('utf8');
  socket.write(`${JSON.stringify(request)}\n`);
  let text = '';
  for await (const chunk of socket) {
    text += chunk as string;
    if (text.includes('\n')) break;
  }
  socket.destroy();
  const reply = JSON.parse(text) as { code: number; stdout: string; stderr: string };
  if (reply.code !== 0) throw new Error(`wrk exited with ${reply.code}: ${reply.stderr || reply.stdout}`);
  return parseWrk(reply.stdout);
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

function parseWrk(output: string): WrkResult {
  const number = (pattern: RegExp): number => Number(pattern.exec(output)?.[1] ?? 0);
  const latency = (percent: string): number => {
    const match = new RegExp(`^\\s*${percent}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(output);
    return match ? Number(match[1]) * UNIT_MS[match[2]!]! : NaN;
  };
  const rate = /^Requests\/sec:\s+([\d.]+)/m.exec(output);
  if (rate === null) throw new Error(`cannot read wrk's output:\n${output}`);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  return {
    rate: Number(rate[1]),
    p50ms: latency('50'),
    p99ms: latency('99'),
    errors: {
      connect: Number(socketErrors?.[1] ?? 0),
      read: Number(socketErrors?.[2] ?? 0),
      write: Number(socketErrors?.[3] ?? 0),
      timeout: Number(socketErrors?.[4] ?? 0),
      status: number(/Non-2xx or 3xx responses: (\d+)/),
    },
  };
}

const totalErrors = (e: WrkResult['errors']): number => e.connect + e.read + e.write + e.timeout + e.status;

export async function main(args: string[]): Promise<void> {
  const seconds = Number(args[0] ?? 5);
  const counts = (args[1] ?? '1,16,128').split(',').map(Number);
  const rounds = Number(args[2] ?? 3);
  const kinds = (args[3] ?? 'node,winmux').split(',');
  const service = process.env.WINMUX_WRK;
  if (service === undefined) {
    console.error('http: needs wrk, which bench/launch.mjs runs on Linux (WINMUX_WRK is not set): run it with `npm run bench -- http` on Linux');
    process.exitCode = 2;
    return;
  }
  console.log(`http — Node http.Server over winmux sockets (guest reactor) vs over Node's own, wrk (Linux, 1 thread, keep-alive), ` +
    `${seconds} s per run, ${rounds} rounds, Node ${process.version}, ${wineVersion() ? `Wine ${wineVersion()}` : 'Windows'}`);
  const servers: RunningServer[] = [];
  try {
    for (const kind of kinds) servers.push(await startServer(kind));
    const cases = [
      { name: 'GET', postBytes: 0 },
      { name: `POST ${POST_BYTES / 1024} KiB`, postBytes: POST_BYTES },
    ];
    // Warm-up, not measured: JIT, the servers' first connections.
    for (const server of servers) {
      for (const c of cases) await wrk(service, { url: `http://127.0.0.1:${server.port}/`, connections: 16, seconds: WARMUP_SECONDS, postBytes: c.postBytes });
    }
    const rows: (string | number)[][] = [];
    const notes: string[] = [];
    for (const c of cases) {
      for (const connections of counts) {
        const results = servers.map(() => ({ rates: [] as number[], p50: [] as number[], p99: [] as number[], ratios: [] as number[], errors: 0 }));
        for (let round = 0; round < rounds; round++) {
          // Alternate the order, so neither server always runs first (or right after the other).
          const order = round % 2 === 0 ? [...servers.keys()] : [...servers.keys()].reverse();
          const rates: number[] = [];
          for (const i of order) {
            const server = servers[i]!;
            const result = await wrk(service, { url: `http://127.0.0.1:${server.port}/`, connections, seconds, postBytes: c.postBytes });
            rates[i] = result.rate;
            const r = results[i]!;
            r.rates.push(result.rate);
            r.p50.push(result.p50ms);
            r.p99.push(result.p99ms);
            r.errors += totalErrors(result.errors);
            if (totalErrors(result.errors) > 0) {
              const e = result.errors;
              notes.push(`${server.kind}, ${c.name}, ${connections} connections, round ${round + 1}: wrk errors connect ${e.connect}, read ${e.read}, write ${e.write}, timeout ${e.timeout}, non-2xx ${e.status}`);
            }
          }
          for (const [i, r] of results.entries()) r.ratios.push(rates[i]! / rates[0]!);
        }
        for (const [i, server] of servers.entries()) {
          const r = results[i]!;
          rows.push([
            c.name, connections, server.kind + (i === 0 ? ' (baseline)' : ''), Math.round(median(r.rates)),
            i === 0 ? '1.00' : median(r.ratios).toFixed(2), i === 0 ? '-' : r.ratios.map((x) => x.toFixed(2)).join(' '),
            median(r.p50).toFixed(2), median(r.p99).toFixed(2), r.errors,
          ]);
        }
      }
    }
    printTable(['case', 'conns', 'server', 'req/s (median)', 'ratio', 'per-round ratios', 'p50 ms', 'p99 ms', 'wrk errors'], rows);
    for (const note of notes) console.log(`  note: ${note}`);
  } finally {
    for (const server of servers) server.child.kill();
  }
}
