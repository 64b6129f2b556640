// Several reactors in one process:
//
// 1. echo — 64-byte ping-pong on C connections for S seconds, the same client (on the main
//    thread's reactor) against: one reactor doing everything (the baseline), and an acceptor
//    handing connections to N = 1, 2 serving reactors on worker threads.
// 2. named pipe — 64-byte ping-pong between two pipe ends on one reactor, with the server end
//    registered natively (the baseline) and then emulated (bound to another reactor's port, so
//    every operation's completion is observed through an event and a waiter thread).
import { Reactor, NamedPipe, NamedPipeServer, wineVersion } from '../lib/index.ts';
import { runEcho } from '../examples/multi-reactor-echo.ts';
import { printTable } from './stats.ts';

async function pipeRate(mode: 'native' | 'emulated', seconds: number): Promise<number> {
  const owner = new Reactor();
  const reactor = new Reactor();
  const name = `winmux-bench-${process.pid}-${mode}`;
  try {
    const { server, client } = await (mode === 'native' ? reactor : owner).run(async () => {
      const r = mode === 'native' ? reactor : owner;
      const listener = new NamedPipeServer(r, name);
      const accepted = listener.accept();
      const c = await NamedPipe.connect(r, name);
      const s = await accepted;
      listener.close();
      return { server: s, client: c };
    });
    let clientHandle = client.handle;
    if (mode === 'emulated') {
      // The server end stays bound to `owner`'s port: `reactor` must emulate. The client moves too.
      owner.releaseHandle(server.handle);
      reactor.adoptHandle({ handle: server.handle });
      reactor.adoptHandle(owner.transferHandle(client.handle, reactor.completionTarget()));
      clientHandle = client.handle;
    }
    let rounds = 0;
    await reactor.run(async () => {
      const message = new Uint8Array(64).fill(1);
      const into = new Uint8Array(64);
      const until = reactor.now() + seconds * 1000;
      while (reactor.now() < until) {
        await reactor.writeOverlapped(clientHandle, message);
        let got = 0;
        while (got < 64) got += await reactor.readOverlapped(server.handle, into.subarray(got));
        await reactor.writeOverlapped(server.handle, into);
        got = 0;
        while (got < 64) got += await reactor.readOverlapped(clientHandle, into.subarray(got));
        rounds++;
      }
    });
    reactor.releaseHandle(server.handle);
    reactor.releaseHandle(clientHandle);
    server.close();
    client.close();
    return rounds / seconds;
  } finally {
    await reactor.close();
    await owner.close();
  }
}

export async function main(args: string[]): Promise<void> {
  const connections = Number(args[0] ?? 64);
  const seconds = Number(args[1] ?? 3);
  console.log(`several reactors — Node ${process.version}, ${wineVersion() ? `Wine ${wineVersion()}` : 'Windows'}`);

  console.log(`\n1. echo, ${connections} connections, ${seconds} s each, 64-byte ping-pong`);
  const rows: (string | number)[][] = [];
  let baseline = 0;
  for (const n of [0, 1, 2]) {
    const run = await runEcho(n, connections, seconds);
    const rate = run.clientRoundTrips / seconds;
    if (n === 0) baseline = rate;
    rows.push([n === 0 ? 'one reactor (baseline)' : `1 acceptor + ${n} serving`, Math.round(rate), rate / baseline, run.reports.map((r) => r.connections).join('/')]);
  }
  printTable(['configuration', 'round trips/s', 'ratio', 'connections per serving reactor'], rows);

  console.log(`\n2. named pipe ping-pong, ${seconds} s each`);
  const native = await pipeRate('native', seconds);
  const emulated = await pipeRate('emulated', seconds);
  printTable(['path', 'round trips/s', 'ratio'], [
    ['native IOCP (baseline)', Math.round(native), 1],
    ['emulated (event + waiter thread)', Math.round(emulated), emulated / native],
  ]);
}
