// winmux demo: one reactor, driven from the Node main thread, serving socket readiness (a
// loopback echo), timers, and a wake from a worker_thread, then printing its stats.
//
//   npm run demo
import { Worker } from 'node:worker_threads';
import { Reactor, winsock } from '../lib/index.ts';

const reactor = new Reactor();
const [client, server] = winsock.loopbackPair();

/** Echo everything the server end receives, waiting for readiness instead of blocking. */
async function echo(): Promise<number> {
  const buffer = new Uint8Array(4096);
  let total = 0;
  for (;;) {
    const n = winsock.recvSome(server, buffer);
    if (n === null) {
      await reactor.waitReadable(server);
      continue;
    }
    if (n === 0) return total;
    for (let sent = 0; sent < n; ) {
      const m = winsock.sendSome(server, buffer.subarray(sent, n));
      if (m === null) await reactor.waitWritable(server);
      else sent += m;
    }
    total += n;
  }
}

async function pingPong(rounds: number): Promise<number> {
  const reply = new Uint8Array(64);
  const started = reactor.now();
  for (let i = 0; i < rounds; i++) {
    winsock.sendSome(client, new TextEncoder().encode(`ping ${i}`));
    await reactor.waitReadable(client);
    winsock.recvSome(client, reply);
  }
  winsock.shutdownSocket(client, winsock.SD_SEND);
  return (reactor.now() - started) / rounds;
}

async function wakeFromWorker(): Promise<unknown> {
  const channel = reactor.openChannel();
  const worker = new Worker(new URL('./demo-worker.ts', import.meta.url), {
    workerData: channel.handle,
    transferList: [channel.handle.port],
  });
  const message = await channel.receive();
  channel.close();
  await worker.terminate();
  return message;
}

try {
  await reactor.run(async () => {
    const echoed = echo();
    const perRound = await pingPong(1000);
    console.log(`select family: 1000 echo round trips over loopback TCP, ${(perRound * 1000).toFixed(0)} µs each`);
    console.log(`               the server echoed ${await echoed} bytes`);
    const t0 = reactor.now();
    await Promise.all([reactor.sleep(30), reactor.sleep(10), reactor.sleep(20)]);
    console.log(`timers:        three sleeps done after ${(reactor.now() - t0).toFixed(1)} ms`);
    console.log(`wakeup socket: a worker_thread said ${JSON.stringify(await wakeFromWorker())}`);
  });
  console.log('stats:', reactor.stats());
} finally {
  await reactor.close();
  winsock.closeQuietly(client, server);
}
