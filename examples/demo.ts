// winmux demo: the three families of Windows event notification in one reactor, on the Node main
// thread, for a few seconds:
//   select family      a TCP echo server and clients (TcpListener / TcpStream)
//   IOCP family        a named-pipe exchange (NamedPipeServer / NamedPipe) and directory
//                      changes (DirectoryWatcher: ReadDirectoryChangesW on the port)
//   object waits       a child process whose exit is awaited (spawnProcess)
//   child stdio        a child Node whose stdin, stdout and stderr are named pipes on the port
//   job objects        a child that starts a grandchild, in a job on the port: the tree killed at once
// plus timers and a wake from a worker_thread, then the reactor's stats — all in host mode
// (`run` owns the thread); then the same reactor API in guest mode, inside Node's own loop.
//
//   npm run demo
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  DirectoryWatcher, NamedPipe, NamedPipeServer, Reactor, TcpListener, TcpStream, spawnProcess, type TcpStream as Stream,
} from '../lib/index.ts';

const reactor = new Reactor();
const say = (family: string, text: string): void => console.log(`${family.padEnd(14)} ${text}`);

async function echo(conn: Stream): Promise<void> {
  const buffer = new Uint8Array(4096);
  for (let n = await conn.read(buffer); n > 0; n = await conn.read(buffer)) await conn.write(buffer.subarray(0, n));
  conn.close();
}

async function tcpEcho(clients: number, rounds: number): Promise<void> {
  const listener = await TcpListener.listen(reactor);
  const { port } = listener.address;
  const serving: Promise<void>[] = [];
  const accepting = (async () => {
    for (let i = 0; i < clients; i++) serving.push(echo(await listener.accept()));
  })();
  const started = reactor.now();
  await Promise.all(Array.from({ length: clients }, async (_, id) => {
    const client = await TcpStream.connect(reactor, '127.0.0.1', port);
    const reply = new Uint8Array(64);
    for (let i = 0; i < rounds; i++) {
      const message = new TextEncoder().encode(`client ${id} ping ${i}`);
      await client.write(message);
      for (let got = 0; got < message.length; ) got += await client.read(reply.subarray(got));
    }
    client.close();
  }));
  await accepting;
  await Promise.all(serving);
  listener.close();
  const elapsed = reactor.now() - started;
  say('select', `TCP echo on port ${port}: ${clients} clients × ${rounds} round trips in ${elapsed.toFixed(0)} ms (${((clients * rounds) / (elapsed / 1000)).toFixed(0)}/s)`);
}

async function pipeExchange(): Promise<void> {
  const name = `winmux-demo-${process.pid}`;
  const server = new NamedPipeServer(reactor, name);
  const accepted = server.accept();
  const client = await NamedPipe.connect(reactor, name);
  const conn = await accepted;
  const buffer = new Uint8Array(256);
  await client.write(new TextEncoder().encode('hello over a named pipe'));
  const n = await conn.read(buffer);
  await conn.write(new TextEncoder().encode(`server got ${n} bytes`));
  const m = await client.read(buffer);
  say('IOCP', `\\\\.\\pipe\\${name}: client sent 23 bytes, server answered "${new TextDecoder().decode(buffer.subarray(0, m))}"`);
  client.close();
  say('IOCP', `client closed; the server reads end of stream: ${await conn.read(buffer)} bytes`);
  conn.close();
  server.close();
}

async function directoryChanges(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'winmux-demo-'));
  const watcher = DirectoryWatcher.open(reactor, dir, { filter: ['fileName', 'dirName'] });
  const file = path.join(dir, 'notes.txt');
  fs.writeFileSync(file, 'hello');
  fs.renameSync(file, path.join(dir, 'renamed.txt'));
  fs.unlinkSync(path.join(dir, 'renamed.txt'));
  for await (const change of watcher) {
    say('IOCP', `${dir}: ${change.action}${'path' in change ? ` ${change.path}` : ' (changes were lost: list the directory again)'}`);
    if (change.action === 'removed') break; // leaving the loop closes the watcher
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

async function childExit(): Promise<void> {
  const started = reactor.now();
  const child = spawnProcess(reactor, 'cmd.exe /c exit 7');
  const code = await child.wait();
  say('object wait', `child cmd.exe (pid ${child.pid}) exited with code ${code} after ${(reactor.now() - started).toFixed(0)} ms`);
  child.close();
}

async function processTree(): Promise<void> {
  // The child starts a grandchild (detached: else libuv's own job would end it with the child)
  // and prints both pids; `tree: true` puts the child in a job on the port, which the grandchild
  // joins, so one kill ends both, and the exits arrive as packets — no waiter thread.
  const script = "const c = require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e5)'], { stdio: 'ignore', detached: true }); console.log(process.pid, c.pid); setInterval(() => {}, 1e5)";
  const child = spawnProcess(reactor, process.execPath, ['-e', script], { stdout: 'pipe', tree: true });
  const buffer = new Uint8Array(256);
  const line = new TextDecoder().decode(buffer.subarray(0, await child.stdout!.read(buffer))).trim();
  const events = (async () => {
    const seen: string[] = [];
    for await (const event of child.job!) {
      seen.push(`${event.type}${event.pid ? ` ${event.pid}` : ''}`);
      if (event.type === 'all-exited') return seen;
    }
    return seen;
  })();
  say('job object', `child and grandchild pids ${line}; in the job: ${child.job!.processes().length} processes`);
  child.kill({ tree: true, exitCode: 9 });
  say('job object', `tree killed: child exit ${await child.wait()}; job events: ${(await events).join(', ')}`);
  await child[Symbol.asyncDispose]();
}

async function childStdio(): Promise<void> {
  // The child upper-cases its stdin onto stdout and says where it stands on stderr; its argv
  // (spaces, quotes, a trailing backslash) is quoted for it and comes back as it was.
  const script = "process.stderr.write(JSON.stringify(process.argv.slice(1))); process.stdin.on('data', (d) => process.stdout.write(String(d).toUpperCase()))";
  const child = spawnProcess(reactor, process.execPath, ['-e', script, 'two words', 'a "quote"', 'C:\\dir\\'], { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' });
  const readAll = async (pipe: NamedPipe): Promise<string> => {
    const buffer = new Uint8Array(4096);
    let text = '';
    for (let n = await pipe.read(buffer); n > 0; n = await pipe.read(buffer)) text += new TextDecoder().decode(buffer.subarray(0, n));
    return text;
  };
  const out = readAll(child.stdout!);
  const err = readAll(child.stderr!);
  await child.stdin!.write(new TextEncoder().encode('hello through a child'));
  child.stdin!.close();
  say('child stdio', `stdout ${JSON.stringify(await out)}, stderr (its argv) ${await err}, exit ${await child.wait()}`);
  child.close();
}

async function workerWake(): Promise<void> {
  const channel = reactor.openChannel();
  const worker = new Worker(new URL('./demo-worker.ts', import.meta.url), { workerData: channel.handle, transferList: [channel.handle.port] });
  say('wakeup socket', `a worker_thread said ${JSON.stringify(await channel.receive())}`);
  channel.close();
  await worker.terminate();
}

/** Guest mode: winmux waits on a helper thread while Node's own timer keeps ticking. */
async function guestMode(): Promise<void> {
  const guest = new Reactor({ guest: true });
  try {
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 5);
    const listener = TcpListener.listen(guest);
    const accepted = listener.accept();
    const client = await TcpStream.connect(guest, '127.0.0.1', listener.address.port);
    const server = await accepted;
    const reading = server.read(new Uint8Array(16));
    // Nothing for winmux to do for 200 ms: Node's timers run meanwhile (no `run` owns the thread).
    await new Promise((resolve) => setTimeout(resolve, 200));
    await client.write(new TextEncoder().encode('late'));
    const n = await reading;
    clearInterval(ticker);
    const { guestTurns, guestHandoffs } = guest.stats();
    say('guest mode', `a read waited 200 ms, then got ${n} bytes; Node's 5 ms timer ticked ${ticks} times meanwhile; ${guestTurns} loop turns, ${guestHandoffs} waits on the helper thread`);
    client.close();
    server.close();
    listener.close();
  } finally {
    await guest.close();
  }
}

try {
  await reactor.run(async () => {
    const t0 = reactor.now();
    // The three families at once, in one loop.
    await Promise.all([tcpEcho(8, 100), pipeExchange(), directoryChanges(), childExit(), childStdio(), processTree()]);
    await Promise.all([reactor.sleep(30), reactor.sleep(10), reactor.sleep(20)]);
    say('timers', `three sleeps done; ${(reactor.now() - t0).toFixed(0)} ms since the start`);
    await workerWake();
  });
  console.log('stats:', reactor.stats());
} finally {
  await reactor.close();
}
await guestMode();
