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

test('the README named-pipe echo works', async () => {
  const { NamedPipe, NamedPipeServer } = await import('../lib/index.ts');
  const reactor = new Reactor();
  let echoed = '';
  await reactor.run(async () => {
    const server = new NamedPipeServer(reactor, 'winmux-echo');      // \\.\pipe\winmux-echo
    const accepted = server.accept();
    const client = await NamedPipe.connect(reactor, 'winmux-echo');
    const conn = await accepted;
    const buffer = new Uint8Array(64);

    await client.write(new TextEncoder().encode('ping'));
    const n = await conn.read(buffer);                                 // 0 would mean end of stream
    await conn.write(buffer.subarray(0, n));
    const m = await client.read(buffer, { signal: reactor.timeoutSignal(1000) });
    echoed = new TextDecoder().decode(buffer.subarray(0, m));

    client.close(); conn.close(); server.close();
  });
  await reactor.close();                                               // joins the IOCP worker
  expect(echoed).toBe('ping');
});
