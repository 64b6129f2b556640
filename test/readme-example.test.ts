// The README's example, as written there (with the import pointed at the source tree).
import { expect, test } from 'vitest';
import { Reactor, winsock } from '../lib/index.ts';
import { checkResourcesReleased } from './helpers/resources.ts';

checkResourcesReleased();

test('the README example works', async () => {
  const reactor = new Reactor();
  const [a, b] = winsock.loopbackPair();          // connected, non-blocking TCP sockets

  const reply = await reactor.run(async () => {
    winsock.sendSome(b, new TextEncoder().encode('hello'));
    await reactor.waitReadable(a, { signal: reactor.timeoutSignal(1000) });
    const buffer = new Uint8Array(64);
    return new TextDecoder().decode(buffer.subarray(0, winsock.recvSome(a, buffer) ?? 0));
  });

  reactor.notifyClosing(a);                       // before closesocket, always
  winsock.closeQuietly(a, b);
  await reactor.close();
  expect(reply).toBe('hello');
});
