// A Windows fd_set has no real size limit: 16,384 idle sockets in one read set, one made
// readable, and select finds exactly that one. (Under Wine each select over this set takes about
// half a second — Wine's select grows faster than linear — so the test keeps iterations few.)
import { afterAll, expect, test } from 'vitest';
import { Reactor, winsock } from '../../lib/index.ts';
import { checkResourcesReleased } from '../helpers/resources.ts';
import { SocketJar } from '../helpers/sockets.ts';
import { track } from '../helpers/track.ts';
import { withManySockets } from '../helpers/many-sockets.ts';

checkResourcesReleased();

const COUNT = 16_384;
const jar = new SocketJar();
afterAll(() => jar.closeAll());

// The sockets are closed before the lock is given up (test/helpers/many-sockets.ts).
test(`${COUNT} idle sockets in one set, one readable: exactly that one wakes`, () => withManySockets(async () => {
  const sockets = Array.from({ length: COUNT }, () => jar.udp());
  const sender = jar.udp();
  const chosen = 12_345;
  const { port } = winsock.localAddress(sockets[chosen]!);
  const reactor = new Reactor();
  try {
    await reactor.run(async () => {
      const idle = new AbortController();
      const waits = sockets.map((s) => track(reactor.waitReadable(s, { signal: idle.signal })));
      expect(reactor.stats()).toMatchObject({ readWaiters: COUNT, readiness: { readSet: COUNT + 1 } });
      await reactor.sleep(0); // one select over the whole set with nothing ready
      expect(waits.filter((w) => w.settled)).toHaveLength(0);

      expect(winsock.sendTo(sender, new Uint8Array([9]), '127.0.0.1', port)).toBe(1);
      await waits[chosen]!.promise;
      expect(waits.filter((w) => w.settled)).toHaveLength(1);
      expect(reactor.stats()).toMatchObject({ readWaiters: COUNT - 1, readiness: { readSet: COUNT } });

      idle.abort();
      await Promise.allSettled(waits.map((w) => w.promise));
      expect(reactor.stats()).toMatchObject({ readWaiters: 0, readiness: { readSet: 1 } });
    });
  } finally {
    await reactor.close();
    jar.closeAll();
  }
}), 240_000); // may wait for the other many-sockets test (test/helpers/many-sockets.ts)
