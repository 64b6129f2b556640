// Guest mode (lib/guest/): a reactor that lives inside Node's event loop. These tests check what
// the mode promises, by counting, never by the clock:
//   - the reactor never holds Node's thread: Node's timers, its `net` sockets and its `http`
//     server run in the same process while winmux waits in all three families (with
//     maxBlockMs Infinity: a loop that blocked Node's thread would deadlock these tests);
//   - an idle guest loop makes no iterations of its own (its helper thread waits);
//   - interest that changes while the helper waits is never lost (randomised against a peer);
//   - ref/unref (the exit tests in test/process check that the process really ends).
import { afterEach, describe, expect, test } from 'vitest';
import net from 'node:net';
import http from 'node:http';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { setTimeout as delay } from 'node:timers/promises';
import { NamedPipe, NamedPipeServer, Reactor, TcpListener, TcpStream, WinEvent, toNodeDuplex, winsock, type BackendRow } from '../../lib/index.ts';
import { checkResourcesReleased } from '../helpers/resources.ts';
import { SocketJar } from '../helpers/sockets.ts';
import { countNodeTicks } from '../helpers/node-ticks.ts';
import { allowLeft } from '../helpers/loop-empty.ts';
import { kGuestLoop } from '../../lib/scheduler/reactor.ts';
import { MAX_INLINE_ITERATIONS } from '../../lib/loop/inline-budget.ts';
import { AFD_VARIANT } from '../helpers/afd-variant.ts';

checkResourcesReleased();

const GUEST_MODES = [
  { name: 'select', mode: { guest: true, maxBlockMs: Infinity } },
  { name: 'port', mode: { guest: true, maxBlockMs: Infinity, readiness: 'afd' as const } },
];

/** A Node `net` echo server and a client in this process: `roundTrips(n)` pings n times. */
async function nodeEchoPair(): Promise<{ roundTrips(n: number): Promise<number>; close(): Promise<void> }> {
  const server = net.createServer((socket) => socket.pipe(socket));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  const client = net.connect(port, '127.0.0.1');
  await once(client, 'connect');
  return {
    async roundTrips(n) {
      for (let i = 0; i < n; i++) {
        client.write('ping');
        await once(client, 'data');
      }
      return n;
    },
    async close() {
      client.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

/** n Node timer ticks, one after another. */
async function nodeTicks(n: number): Promise<number> {
  for (let i = 0; i < n; i++) await delay(1);
  return n;
}

/**
 * Until the reactor's helper thread waits: turns of Node's loop, bounded by a count (the helper
 * starts in 0.1–1 s under Wine; a helper that never waits fails the caller's assertion).
 */
async function untilHelperWaits(reactor: Reactor): Promise<boolean> {
  for (let i = 0; i < 5000 && reactor.stats().guestHelper !== 'waiting'; i++) await delay(1);
  return reactor.stats().guestHelper === 'waiting';
}

describe.each(GUEST_MODES)('guest mode ($name)', ({ mode }) => {
  let reactor: Reactor | undefined;
  const jar = new SocketJar();

  afterEach(async () => {
    await reactor?.close();
    reactor = undefined;
    jar.closeAll();
  });

  test('serves sockets, pipes and object waits while Node timers and a Node net server keep running', async () => {
    reactor = new Reactor(mode);
    const node = await nodeEchoPair();
    const listener = TcpListener.listen(reactor, { host: '127.0.0.1', port: 0 });
    const name = `winmux-guest-${process.pid}-${Math.random().toString(36).slice(2)}`;
    const pipes = new NamedPipeServer(reactor, name);
    const event = WinEvent.create();
    try {
      // One wait in each family, started from ordinary Node code (no `run`).
      const accepted = pipes.accept();
      const pipeClient = await NamedPipe.connect(reactor, name);
      const pipeServer = await accepted;
      const client = await TcpStream.connect(reactor, '127.0.0.1', listener.address.port);
      const server = await listener.accept();
      const tcpRead = server.read(new Uint8Array(16));
      const pipeRead = pipeServer.read(new Uint8Array(16));
      const objectWait = reactor.waitForObject(event.handle);

      // The reactor has nothing to do but wait: Node's own I/O and timers must run meanwhile,
      // and the guest loop must not turn while they do (its helper thread waits).
      expect(await untilHelperWaits(reactor)).toBe(true);
      const before = reactor.stats();
      expect(await node.roundTrips(20)).toBe(20);
      expect(await nodeTicks(10)).toBe(10);
      const during = reactor.stats();
      expect(during.guestHandoffs! - before.guestHandoffs!).toBeLessThanOrEqual(1);
      expect(during.guestTurns! - before.guestTurns!).toBeLessThanOrEqual(2);
      expect(during.guestHelper).toBe('waiting');

      // Then each family's event arrives, from this thread, and each wait ends.
      event.set();
      await pipeClient.write(new TextEncoder().encode('pipe'));
      await client.write(new TextEncoder().encode('tcp'));
      expect(await objectWait).toMatchObject({ signaled: true });
      expect(await pipeRead).toBe(4);
      expect(await tcpRead).toBe(3);
      // And Node still runs afterwards.
      expect(await node.roundTrips(5)).toBe(5);
      client.close();
      server.close();
      pipeClient.close();
      pipeServer.close();
    } finally {
      listener.close();
      await pipes.close();
      event.close();
      await node.close();
    }
  });

  test("Node's http.Server serves requests over winmux sockets, with Node's http client in the same process", async () => {
    reactor = new Reactor(mode);
    const r = reactor;
    const listener = TcpListener.listen(r, { host: '127.0.0.1', port: 0 });
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        res.setHeader('content-type', 'application/octet-stream');
        res.end(req.method === 'POST' ? body : Buffer.from(`hello ${req.url}`));
      });
    });
    // Accept on winmux; each connection becomes a Node Duplex that http parses.
    const connections: ReturnType<typeof toNodeDuplex>[] = []; // destroyed at the end: the keep-alive one's server end still reads
    const accepting = (async () => {
      for (;;) {
        let stream: TcpStream;
        try {
          stream = await listener.accept();
        } catch {
          return;
        }
        const duplex = toNodeDuplex(stream);
        connections.push(duplex);
        server.emit('connection', duplex);
      }
    })();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const request = (method: string, path: string, body?: Buffer): Promise<{ status: number; body: Buffer }> =>
      new Promise((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port: listener.address.port, method, path, agent }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(body);
      });
    try {
      const get = await request('GET', '/one');
      expect(get).toMatchObject({ status: 200 });
      expect(get.body.toString()).toBe('hello /one');
      // 1 MiB up and back, byte-exact, on the same keep-alive connection.
      const payload = Buffer.alloc(1 << 20);
      for (let i = 0; i < payload.length; i++) payload[i] = (i * 31 + 7) & 0xff;
      const post = await request('POST', '/echo', payload);
      expect(post.status).toBe(200);
      expect(post.body.equals(payload)).toBe(true);
      expect((await request('GET', '/two')).body.toString()).toBe('hello /two');
    } finally {
      agent.destroy();
      for (const duplex of connections) duplex.destroy();
      server.close();
      listener.close();
      await accepting;
    }
  });

  test('interest that changes while the helper waits is never lost (randomised arm and disarm against a peer thread)', async () => {
    reactor = new Reactor(mode);
    const r = reactor;
    const pairs = Array.from({ length: 12 }, () => jar.pair());
    const peer = new Worker(new URL('../fixtures/peer-sender.ts', import.meta.url));
    // A seeded generator: a failure can be replayed.
    let seed = 0x2545f491;
    const random = (n: number): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const byte = new Uint8Array(1);
    const ROUNDS = 200;
    let delivered = 0;
    let armedWhileWaiting = 0;
    try {
      for (let round = 0; round < ROUNDS; round++) {
        // Most rounds change interest while the helper waits on the sets it was given before.
        if (random(4) !== 0 && (await untilHelperWaits(r))) armedWhileWaiting++;
        const target = random(pairs.length);
        const [watched, sender] = pairs[target]!;
        // Churn: waits on other sockets armed and disarmed (aborted) around the real one, some
        // at once, some a turn of Node's loop later — while the helper waits on older sets.
        const churn: Promise<void>[] = [];
        for (let k = random(4); k > 0; k--) {
          const other = pairs[(target + 1 + random(pairs.length - 1)) % pairs.length]![0];
          const controller = new AbortController();
          const wait = r.waitReadable(other, { signal: controller.signal }).catch(() => {});
          churn.push(wait);
          if (random(2) === 0) controller.abort();
          else setImmediate(() => controller.abort());
        }
        const how = random(3);
        // Listened for before the peer is asked: its reply may come before the wait's task resumes.
        const acked = how === 0 ? undefined : once(peer, 'message');
        if (how === 0) {
          // The byte is already there when the socket is armed: the arm must reach the helper.
          winsock.sendSome(sender, new Uint8Array([1]));
        } else {
          // The peer sends after 0–2 ms: usually while the helper waits.
          peer.postMessage({ socket: sender, pauseMs: how === 1 ? 0 : random(3) });
        }
        await r.waitReadable(watched);
        await acked;
        expect(winsock.recvSome(watched, byte)).toBe(1);
        delivered++;
        await Promise.all(churn);
      }
      expect(delivered).toBe(ROUNDS);
      // The helper was really in play: many arms reached it while it waited.
      expect(armedWhileWaiting).toBeGreaterThan(ROUNDS / 2);
    } finally {
      peer.postMessage(null);
      await once(peer, 'exit');
    }
  });

  test('ref and unref: the reactor holds the process only while ref’d', async () => {
    reactor = new Reactor(mode);
    expect(reactor.guest).toBe(true);
    expect(reactor.hasRef()).toBe(true);
    reactor.unref();
    expect(reactor.hasRef()).toBe(false);
    reactor.ref();
    expect(reactor.hasRef()).toBe(true);
    const unrefd = new Reactor({ ...mode, ref: false });
    expect(unrefd.hasRef()).toBe(false);
    await unrefd.close();
  });

  test("a busy loop makes iterations inline, without a turn of Node's loop before each, but at most MAX_INLINE_ITERATIONS per turn", async () => {
    reactor = new Reactor(mode);
    const r = reactor;
    const turnsBefore = r.stats().guestTurns!;
    const inlineBefore = r[kGuestLoop]!.inlineTurns;
    const node = countNodeTicks();
    try {
      // A task that only defers itself: every checkpoint needs an iteration of its own.
      for (let i = 0; i < 300; i++) await r.checkpoint();
      const turns = r.stats().guestTurns! - turnsBefore;
      expect(turns).toBeGreaterThanOrEqual(300);
      expect(r[kGuestLoop]!.inlineTurns - inlineBefore, 'iterations made inline').toBeGreaterThan(0);
      // Each turn of Node's loop runs one immediate of the chain and at most one step plus
      // MAX_INLINE_ITERATIONS inline iterations of the guest loop.
      // (countNodeTicks runs each chain's first callback at once: both counts include it.)
      expect(node.immediates).toBeGreaterThanOrEqual(Math.ceil(turns / (MAX_INLINE_ITERATIONS + 1)));
      expect(node.timeouts - 1, "Node's timers ran meanwhile").toBeGreaterThan(0);
    } finally {
      node.stop();
    }
  });

  test("AbortSignal.timeout, a Node timer, ends a winmux wait: Node's timers run while the helper waits", async () => {
    reactor = new Reactor(mode);
    const [a] = jar.pair();
    const error = await reactor.waitReadable(a, { signal: AbortSignal.timeout(20) }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'TimeoutError' });
    expect(reactor.stats().readWaiters).toBe(0);
  });

  test('a timer or call-soon set from a Node callback while the helper waits without a deadline wakes it (Trio: host altering deadlines)', async () => {
    reactor = new Reactor(mode);
    const r = reactor;
    const [a] = jar.pair();
    const parked = r.waitReadable(a).catch(() => {}); // something to wait on, and no timer: no deadline
    expect(await untilHelperWaits(r)).toBe(true);
    // From Node's timers phase, i.e. from outside any winmux task.
    const slept = await new Promise<string>((resolve, reject) => setTimeout(() => r.sleep(5).then(() => resolve('slept'), reject), 1));
    expect(slept).toBe('slept');
    expect(await untilHelperWaits(r)).toBe(true);
    const ran = await new Promise<string>((resolve) => setTimeout(() => r.callSoon(() => resolve('ran')), 1));
    expect(ran).toBe('ran');
    r.notifyClosing(a);
    await parked;
  });

  test('run(fn) in guest mode only calls fn; several at once are fine; timers fire in order', async () => {
    reactor = new Reactor(mode);
    const r = reactor;
    const order: number[] = [];
    const results = await Promise.all([
      r.run(async () => {
        await r.sleep(30);
        order.push(30);
        return 'a';
      }),
      r.run(async () => {
        await r.sleep(10);
        order.push(10);
        return 'b';
      }),
    ]);
    expect(results).toEqual(['a', 'b']);
    expect(order).toEqual([10, 30]);
  });

  test('close() stops the helper thread and rejects what still waits', async () => {
    reactor = new Reactor(mode);
    const sleeping = reactor.sleep(60_000);
    const [a] = jar.pair();
    const reading = reactor.waitReadable(a);
    const outcomes = Promise.allSettled([sleeping, reading]);
    await delay(20);
    allowLeft(reactor, { sleeps: 1, readWaiters: 1 });
    await reactor.close();
    for (const outcome of await outcomes) {
      expect(outcome.status).toBe('rejected');
      expect(String((outcome as PromiseRejectedResult).reason)).toMatch(/reactor is closed/);
    }
    expect(reactor.stats()).toMatchObject({ closed: true, guestHelper: 'stopped' });
  });
});

test('a guest reactor needs a backend its helper can wait on', () => {
  const fake = { name: 'fake', arm() {}, disarm() {}, wait: () => 0, stats: () => ({ backend: 'fake', readArmed: 0, writeArmed: 0 }), close() {} };
  expect(() => new Reactor({ guest: true, readiness: fake })).toThrow(TypeError);
  expect(() => new Reactor({ guest: 'yes' as unknown as boolean })).toThrow(TypeError);
  expect(() => new Reactor({ guest: true, ref: 1 as unknown as boolean })).toThrow(TypeError);
});

test('the helper makes the blocking call its backend row gives (guestWait), and a row without one is refused by name', async () => {
  // The AFD variant from test/ with the built-in AFD row's guest wait (the port's), counted.
  const counted = { prepared: 0, handedOver: 0 };
  const row: BackendRow = {
    ...AFD_VARIANT,
    name: 'afd-variant-counted',
    guestWait: (backend, context) => {
      const wait = AFD_VARIANT.guestWait!(backend, context);
      return {
        ...wait,
        prepare: () => (counted.prepared++, wait.prepare()),
        handedOver: (result) => {
          const handed = wait.handedOver(result);
          if (handed !== undefined) counted.handedOver++;
          return handed;
        },
      };
    },
  };
  expect(() => new Reactor({ guest: true, readiness: { ...row, guestWait: undefined } })).toThrow(/readiness "afd-variant-counted" cannot run as a guest/);
  expect(() => new Reactor({ guest: true, readiness: { ...row, guestWait: 'port' } as unknown as BackendRow })).toThrow(/not a backend row \(wrong guestWait\)/);
  const jar = new SocketJar();
  const reactor = new Reactor({ guest: true, readiness: row });
  try {
    const [a, b] = jar.pair();
    const readable = reactor.waitReadable(a);
    expect(await untilHelperWaits(reactor)).toBe(true);
    expect(counted.prepared).toBeGreaterThan(0);
    const handedBefore = counted.handedOver;
    expect(winsock.sendSome(b, new Uint8Array([1]))).toBe(1);
    await readable;
    // The AFD poll's packet came through the helper's GetQueuedCompletionStatusEx, handed over.
    expect(counted.handedOver).toBeGreaterThan(handedBefore);
    reactor.notifyClosing(a);
  } finally {
    await reactor.close();
    jar.closeAll();
  }
});
