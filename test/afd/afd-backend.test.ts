// What only the AFD backend has to get right: polls in flight while sockets close, cancel and
// re-arm racing each other, and thousands of polls outstanding at once.
import { afterEach, describe, expect, test } from 'vitest';
import { Reactor, WinError, winsock } from '../../lib/index.ts';
import { checkResourcesReleased } from '../helpers/resources.ts';
import { SocketJar } from '../helpers/sockets.ts';
import { track } from '../helpers/track.ts';
import { loopUntil } from '../helpers/loop.ts';

checkResourcesReleased();

describe('AFD backend', () => {
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
    reactor = new Reactor({ readiness: 'afd' });
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
      expect((error as WinError).code).toBe('WSAENOTSOCK');
      expect(onB.settled).toBe(false);
      winsock.sendSome(peerB, new Uint8Array([1]));
      await onB.promise;
      expect(await pollsSettle()).toBe(0);
    });
  });

  test('cancelling a wait and waiting again at once re-arms the socket', async () => {
    reactor = new Reactor({ readiness: 'afd' });
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
    expect(reactor.stats().readiness.pollsStarted).toBeGreaterThanOrEqual(20);
  });

  test('4,096 sockets armed at once: one readable wakes exactly its waiter', async () => {
    reactor = new Reactor({ readiness: 'afd' });
    const sockets = Array.from({ length: 4096 }, () => jar.udp());
    const sender = jar.udp();
    const chosen = 1234;
    const { port } = winsock.localAddress(sockets[chosen]!);
    await reactor.run(async () => {
      const idle = new AbortController();
      const waits = sockets.map((s) => track(reactor.waitReadable(s, { signal: idle.signal })));
      await reactor.sleep(50);
      expect(waits.filter((w) => w.settled)).toHaveLength(0);
      expect(reactor.stats().readiness).toMatchObject({ readArmed: 4097 });
      winsock.sendTo(sender, new Uint8Array([1]), '127.0.0.1', port);
      await waits[chosen]!.promise;
      expect(waits.filter((w) => w.settled)).toHaveLength(1);
      idle.abort();
      await Promise.allSettled(waits.map((w) => w.promise));
      expect(await pollsSettle()).toBe(0);
    });
  });
});
