// The README's example, as written there (with the import pointed at the source tree).
import { expect, test } from 'vitest';
import { Reactor } from '../lib/index.ts';
import { checkResourcesReleased } from './helpers/resources.ts';

checkResourcesReleased();

test('the README example works', async () => {
  const { TcpListener, TcpStream } = await import('../lib/index.ts');
  let said = '';
  const reactor = new Reactor();
  await reactor.run(async () => {
    const listener = await TcpListener.listen(reactor, { host: '127.0.0.1', port: 0 });
    const accepted = listener.accept();
    const client = await TcpStream.connect(reactor, '127.0.0.1', listener.address.port, { timeoutMs: 1000 });
    const server = await accepted;

    await client.write(new TextEncoder().encode('hello'));              // resolves when the kernel took it all
    const buffer = new Uint8Array(64);
    const n = await server.read(buffer, { signal: reactor.timeoutSignal(1000) });
    said = new TextDecoder().decode(buffer.subarray(0, n));             // hello

    client.close(); server.close(); listener.close();
  });
  await reactor.close();
  expect(said).toBe('hello');
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
