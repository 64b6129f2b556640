// What only the AFD backend has to get right: polls in flight while sockets close, cancel and
// re-arm racing each other, each socket's poll states (IDLE, PENDING, CANCELLED), poll groups,
// and thousands of polls outstanding at once — in both places the reactor can sleep (its
// completion port, the default for AFD; or select, with packets coming through the IOCP worker).
import { afterEach, describe, expect, test } from 'vitest';
import { Reactor, WinError, winsock, type ReactorOptions } from '../../lib/index.ts';
import { checkResourcesReleased } from '../helpers/resources.ts';
import { SocketJar } from '../helpers/sockets.ts';
import { track } from '../helpers/track.ts';
import { loopUntil } from '../helpers/loop.ts';
import { withManySockets } from '../helpers/many-sockets.ts';

checkResourcesReleased();

describe.each([
  { name: 'port', options: { readiness: 'afd' } as ReactorOptions },
  { name: 'select', options: { readiness: 'afd', waitIn: 'select' } as ReactorOptions },
])('AFD backend, waiting in $name', ({ name, options }) => {
  const jar = new SocketJar();
  let reactor: Reactor;
  afterEach(async () => {
    await reactor?.close();
    jar.closeAll();
  });

  /** Cancelled polls count as in flight until their packets come back: wait for that. */
  const pollsSettle = async (): Promise<number> => {
    await loopUntil(reactor, () => reactor.stats().readiness.pollsInFlight === 0);
    return reactor.stats().readiness.pollsInFlight as number;
  };

  test('closing a socket with a poll pending fails only its waiter (AFD_POLL_LOCAL_CLOSE)', async () => {
    reactor = new Reactor(options);
    const [a] = jar.pair();
    const [b, peerB] = jar.pair();
    await reactor.run(async () => {
      const onA = reactor.waitReadable(a).catch((e: unknown) => e);
      const onB = track(reactor.waitReadable(b));
      await reactor.sleep(20);
      expect(reactor.stats().readiness.pollsInFlight).toBe(2);
      jar.closeNow(a);
      const error = await onA;
      expect(error).toBeInstanceOf(WinError);
      expect((error as WinError).winCode).toBe('WSAENOTSOCK');
      expect(onB.settled).toBe(false);
      winsock.sendSome(peerB, new Uint8Array([1]));
      await onB.promise;
      expect(await pollsSettle()).toBe(0);
    });
  });

  test('cancelling a wait and waiting again at once re-arms the socket', async () => {
    reactor = new Reactor(options);
    const [a, peer] = jar.pair();
    await reactor.run(async () => {
      for (let round = 0; round < 20; round++) {
        const controller = new AbortController();
        const first = reactor.waitReadable(a, { signal: controller.signal });
        controller.abort(new Error('changed my mind'));
        await expect(first).rejects.toThrow('changed my mind');
        const second = reactor.waitReadable(a);
        winsock.sendSome(peer, new Uint8Array([round]));
        await second;
        const buffer = new Uint8Array(8);
        expect(winsock.recvSome(a, buffer)).toBe(1);
        expect(buffer[0]).toBe(round);
      }
      expect(await pollsSettle()).toBe(0);
    });
    // The aborted wait left its poll armed, and the next wait on the same socket used it: one poll
    // per round, none cancelled.
    expect(reactor.stats().readiness).toMatchObject({ pollsStarted: 20, pollsCancelled: 0 });
  });

  test('state transitions: a poll that covers the interest stays armed; one that misses a direction is cancelled and restarted', async () => {
    reactor = new Reactor(options);
    // A listening socket: reading fires on an incoming connection, writing never (a listener has
    // nothing to send), so nothing completes a poll behind the test's back.
    const listener = jar.listening();
    await reactor.run(async () => {
      // IDLE → PENDING: a read wait starts a poll for reading.
      const accepting = track(reactor.waitReadable(listener));
      expect(reactor.stats().readiness).toMatchObject({ pollsInFlight: 1, pollsStarted: 1, pollsCancelled: 0 });
      // PENDING, the interest grows (a write wait): the poll misses it → CANCELLED.
      const controller = new AbortController();
      const writing = reactor.waitWritable(listener, { signal: controller.signal }).catch((e: unknown) => e);
      expect(reactor.stats().readiness).toMatchObject({ pollsInFlight: 1, pollsStarted: 1, pollsCancelled: 1 });
      // CANCELLED → IDLE when its packet comes → PENDING again: one poll for both directions.
      expect(await loopUntil(reactor, () => reactor.stats().readiness.pollsStarted === 2)).toBe(true);
      expect(reactor.stats().readiness).toMatchObject({ pollsInFlight: 1, pollsCancelled: 1 });
      // PENDING, the interest shrinks (the write wait is aborted): the poll covers what is left.
      controller.abort(new Error('no more writing'));
      expect(await writing).toBeInstanceOf(Error);
      expect(reactor.stats().readiness).toMatchObject({ pollsInFlight: 1, pollsStarted: 2, pollsCancelled: 1 });
      // The read wait is served by that same poll when a connection arrives.
      expect(accepting.settled).toBe(false);
      const client = jar.tcp();
      winsock.connectSocket(client, '127.0.0.1', winsock.localAddress(listener).port);
      await accepting.promise;
      expect(reactor.stats().readiness).toMatchObject({ pollsStarted: 2, pollsCancelled: 1 });
      expect(await pollsSettle()).toBe(0);
    });
  });

  test('an aborted wait leaves its poll armed (no cancel); notifyClosing cancels it', async () => {
    reactor = new Reactor(options);
    const [a] = jar.pair();
    await reactor.run(async () => {
      const controller = new AbortController();
      const waiting = reactor.waitReadable(a, { signal: controller.signal }).catch((e: unknown) => e);
      controller.abort(new Error('not now'));
      expect(await waiting).toBeInstanceOf(Error);
      expect(reactor.stats().readiness).toMatchObject({ readArmed: name === 'select' ? 1 : 0, pollsInFlight: 1, pollsCancelled: 0 });
      reactor.notifyClosing(a);
      expect(reactor.stats().readiness).toMatchObject({ pollsCancelled: 1 });
      expect(await pollsSettle()).toBe(0);
    });
  });

  test('poll groups: 32 sockets share one \\Device\\Afd handle, and freed places are reused', async () => {
    reactor = new Reactor(options);
    const sockets = Array.from({ length: 100 }, () => jar.udp());
    await reactor.run(async () => {
      for (let round = 0; round < 2; round++) {
        const idle = new AbortController();
        const waits = sockets.map((s) => reactor.waitReadable(s, { signal: idle.signal }).catch(() => {}));
        expect(reactor.stats().readiness).toMatchObject({ pollGroups: Math.ceil(sockets.length / 32), pollsInFlight: sockets.length });
        idle.abort();
        await Promise.all(waits);
        for (const s of sockets) reactor.notifyClosing(s);
        expect(await pollsSettle()).toBe(0);
      }
      // The second round reused the first round's handles.
      expect(reactor.stats().readiness.pollGroups).toBe(Math.ceil(sockets.length / 32));
    });
  });

  // Closed before the lock is given up (test/helpers/many-sockets.ts), whatever the outcome.
  test('4,096 sockets armed at once: one readable wakes exactly its waiter', () => withManySockets(async () => {
    reactor = new Reactor(options);
    try {
      const sockets = Array.from({ length: 4096 }, () => jar.udp());
      const sender = jar.udp();
      const chosen = 1234;
      const { port } = winsock.localAddress(sockets[chosen]!);
      await reactor.run(async () => {
        const idle = new AbortController();
        const waits = sockets.map((s) => track(reactor.waitReadable(s, { signal: idle.signal })));
        await reactor.sleep(50);
        expect(waits.filter((w) => w.settled)).toHaveLength(0);
        expect(reactor.stats().readiness).toMatchObject({ readArmed: 4096 + (name === 'select' ? 1 : 0), pollGroups: 128 });
        winsock.sendTo(sender, new Uint8Array([1]), '127.0.0.1', port);
        await waits[chosen]!.promise;
        expect(waits.filter((w) => w.settled)).toHaveLength(1);
        idle.abort();
        await Promise.allSettled(waits.map((w) => w.promise));
        // Aborted waits leave their polls armed; closing the sockets (notifyClosing first) ends them.
        for (const s of sockets) reactor.notifyClosing(s);
        expect(await pollsSettle()).toBe(0);
      });
    } finally {
      await reactor.close();
      jar.closeAll();
    }
  }), 240_000); // may wait for the other many-sockets test (test/helpers/many-sockets.ts)
});
