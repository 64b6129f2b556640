// TCP and UDP on top of the reactor, under Wine/Windows with real sockets.
import { describe, expect, test } from 'vitest';
import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { BusyResourceError, ClosedResourceError, Reactor, TcpListener, TcpStream, UdpSocket, WinError, toNodeDuplex, winsock } from '../../lib/index.ts';
import { checkResourcesReleased } from '../helpers/resources.ts';
import { closedAfterEach } from '../helpers/closers.ts';
import { LOOP_MODES } from '../helpers/modes.ts';
import { track } from '../helpers/track.ts';
import { writeUntilOneWaits } from '../helpers/waiting-write.ts';
import { connectedTcpPair, listeningTcpPair } from '../helpers/tcp.ts';

checkResourcesReleased();

describe.each(LOOP_MODES)('TCP and UDP (waiting in $name)', ({ mode }) => {
  let reactor: Reactor;
  /** After a recv at once after a short read found nothing, TcpStream.read tries recv an iteration later (guest mode, AFD readiness) instead of waiting for readiness at once. */
  const recvAfterIteration = (): boolean => reactor.guest || reactor.readinessQueuedOnPort;
  const own = closedAfterEach(() => reactor);
  /** Native calls of `name` on the reactor's thread so far (WSAGetLastError: one per recv that said WSAEWOULDBLOCK). */
  const calls = (name: string): number => reactor.stats().nativeCalls[name] ?? 0;

  /** A connected pair whose server side has just made a short read: its kernel buffer is empty, in this iteration. */
  async function afterShortRead(): Promise<{ client: TcpStream; server: TcpStream; buffer: Buffer }> {
    const { client, server } = await listeningTcpPair(reactor, own);
    const buffer = Buffer.alloc(64);
    await client.write(Buffer.from('a'));
    expect(await server.read(buffer)).toBe(1); // short
    return { client, server, buffer };
  }

  async function readExactly(stream: TcpStream, size: number): Promise<Buffer> {
    const out = Buffer.alloc(size);
    for (let got = 0; got < size; ) {
      const n = await stream.read(out.subarray(got));
      if (n === 0) throw new Error(`end of stream after ${got} bytes`);
      got += n;
    }
    return out;
  }

  for (const host of ['127.0.0.1', '::1', 'localhost']) {
    test(`connect, accept and echo over ${host}`, async () => {
      reactor = new Reactor(mode);
      await reactor.run(async () => {
        const listener = own(await TcpListener.listen(reactor, { host }));
        const { family } = listener.address;
        expect(family).toBe(host === '::1' ? 'IPv6' : 'IPv4');
        const { client, server } = await connectedTcpPair(reactor, listener, own, host);
        expect(client.remoteAddress).toEqual(server.localAddress);
        const payload = randomBytes(5000);
        await client.write(payload);
        await server.write(await readExactly(server, payload.length));
        expect((await readExactly(client, payload.length)).equals(payload)).toBe(true);
        client.shutdownWrite();
        expect(await server.read(Buffer.alloc(8))).toBe(0);
      });
    });
  }

  test('connect({ timeoutMs }) leaves no timer behind once it has connected', async () => {
    reactor = new Reactor(mode);
    await reactor.run(async () => {
      const listener = own(await TcpListener.listen(reactor));
      const accepted = listener.accept();
      const before = reactor.stats().timers;
      own(await TcpStream.connect(reactor, '127.0.0.1', listener.address.port, { timeoutMs: 60_000 }));
      own(await accepted);
      expect(reactor.stats().timers).toBe(before);
    });
  });

  test('a refused connection rejects with code ECONNREFUSED (winCode WSAECONNREFUSED)', async () => {
    reactor = new Reactor(mode);
    const probe = own(await TcpListener.listen(reactor));
    const { port } = probe.address;
    probe.close();
    const error = await reactor.run(() => TcpStream.connect(reactor, '127.0.0.1', port).catch((e: unknown) => e));
    // Both codes: the Windows one and the one Node's net gives (libuv's), plus Node's fields.
    expect(error).toBeInstanceOf(WinError);
    expect(error).toMatchObject({ winCode: 'WSAECONNREFUSED', winErrno: 10061, code: 'ECONNREFUSED', errno: -4078, syscall: 'connect', address: '127.0.0.1', port });
  });

  test('a peer reset mid-stream is WSAECONNRESET on the next read; other connections go on', async () => {
    reactor = new Reactor(mode);
    await reactor.run(async () => {
      const listener = own(await TcpListener.listen(reactor));
      const { client: client1, server: server1 } = await connectedTcpPair(reactor, listener, own);
      const { client: client2, server: server2 } = await connectedTcpPair(reactor, listener, own);
      // The peer closes abortively (SO_LINGER {1, 0}) with data it never read: it resets.
      await client1.write(Buffer.from('never read'));
      await reactor.sleep(20);
      winsock.setLinger(server1.socket, true, 0);
      server1.close();
      await reactor.sleep(20);
      // Windows' recv fails with WSAECONNRESET; Wine 8's returns 0, and TcpStream.read tells the
      // reset from a FIN there with a zero-byte send (docs/wine.md): the same error on both.
      const result = await client1.read(Buffer.alloc(16)).catch((e: unknown) => e);
      expect(result).toBeInstanceOf(WinError);
      expect(result).toMatchObject({ code: 'ECONNRESET', winCode: 'WSAECONNRESET', syscall: 'recv' });
      await client2.write(Buffer.from('still here'));
      expect((await readExactly(server2, 10)).toString()).toBe('still here');
    });
  });

  test('10 MiB through a TcpStream with a slow reader: the writer waits instead of buffering', async () => {
    reactor = new Reactor(mode);
    const data = randomBytes(10 << 20);
    await reactor.run(async () => {
      const { client: writer, server: reader } = await listeningTcpPair(reactor, own);
      let written = 0;
      const writing = track((async () => {
        for (let offset = 0; offset < data.length; offset += 65536) {
          await writer.write(data.subarray(offset, offset + 65536));
          written = offset + 65536;
        }
      })());
      await reactor.sleep(200); // the reader is paused: the writer must stall at the kernel's buffers
      expect(writing.settled).toBe(false);
      expect(written).toBeLessThan(data.length);
      const stalledAt = written;
      const received = await readExactly(reader, data.length);
      await writing.promise;
      expect(received.equals(data)).toBe(true);
      expect(stalledAt).toBeGreaterThan(0);
    });
  });

  test('toNodeDuplex works with stream.pipeline', async () => {
    reactor = new Reactor(mode);
    await reactor.run(async () => {
      const { client, server } = await listeningTcpPair(reactor, own);
      // Server: uppercase everything through a Node pipeline over the winmux socket.
      const upper = new Transform({ transform: (chunk: Buffer, _e, cb) => cb(null, Buffer.from(chunk.toString().toUpperCase())) });
      const serverDuplex = toNodeDuplex(server);
      const serving = pipeline(serverDuplex, upper, serverDuplex);
      await client.write(Buffer.from('hello pipeline'));
      client.shutdownWrite();
      const chunks: Uint8Array[] = [];
      for await (const chunk of client.readable()) chunks.push(chunk);
      await serving;
      expect(Buffer.concat(chunks).toString()).toBe('HELLO PIPELINE');
    });
  });

  test('UDP round trip, and a truncated datagram is reported', async () => {
    reactor = new Reactor(mode);
    await reactor.run(async () => {
      const a = own(await UdpSocket.bind(reactor));
      const b = own(await UdpSocket.bind(reactor));
      a.send(Buffer.from('ping'), '127.0.0.1', b.address.port);
      const got = await b.receive();
      expect(Buffer.from(got.data).toString()).toBe('ping');
      expect(got).toMatchObject({ truncated: false, address: '127.0.0.1', port: a.address.port });
      b.send(Buffer.from('0123456789'), '127.0.0.1', a.address.port);
      const cut = await a.receive({ maxSize: 4 });
      expect(cut.truncated).toBe(true);
      expect(Buffer.from(cut.data).toString()).toBe('0123');
    });
  });

  test('abort of accept, connect and read rejects with the reason', async () => {
    reactor = new Reactor(mode);
    await reactor.run(async () => {
      const listener = own(await TcpListener.listen(reactor));
      const reason = new Error('stop');
      const acceptAbort = new AbortController();
      const accepting = listener.accept({ signal: acceptAbort.signal });
      await reactor.sleep(10);
      acceptAbort.abort(reason);
      await expect(accepting).rejects.toBe(reason);

      await expect(TcpStream.connect(reactor, '127.0.0.1', listener.address.port, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);

      const { client } = await connectedTcpPair(reactor, listener, own);
      const readAbort = new AbortController();
      const reading = client.read(Buffer.alloc(8), { signal: readAbort.signal });
      await reactor.sleep(10);
      readAbort.abort(reason);
      await expect(reading).rejects.toBe(reason);
      client.close();
      await expect(client.read(Buffer.alloc(8))).rejects.toBeInstanceOf(ClosedResourceError);
    });
  });

  test('regression: an already-aborted signal rejects a read, an accept and a receive with its reason, and takes nothing that waits', async () => {
    reactor = new Reactor(mode);
    const reason = new Error('already aborted');
    const aborted = AbortSignal.abort(reason);
    await reactor.run(async () => {
      const listener = own(await TcpListener.listen(reactor));
      const { client, server } = await connectedTcpPair(reactor, listener, own);
      // A read with bytes waiting in the kernel: rejected, and the bytes stay for the next read.
      await client.write(Buffer.from('waiting'));
      expect(await reactor.waitReadable(server.socket).then(() => 'readable')).toBe('readable');
      const buffer = Buffer.alloc(16, 0x2e);
      await expect(server.read(buffer, { signal: aborted })).rejects.toBe(reason);
      expect(buffer.toString()).toBe('.'.repeat(16));
      expect(buffer.subarray(0, await server.read(buffer)).toString()).toBe('waiting');
      // An accept with a connection in the backlog: rejected, and the connection stays for the next accept.
      const connecting = own(await TcpStream.connect(reactor, '127.0.0.1', listener.address.port));
      expect(await reactor.waitReadable(listener.socket).then(() => 'pending')).toBe('pending');
      await expect(listener.accept({ signal: aborted })).rejects.toBe(reason);
      const accepted = own(await listener.accept());
      expect(accepted.remoteAddress).toEqual(connecting.localAddress);
      // A receive with a datagram queued: rejected, and the datagram stays for the next receive.
      const a = own(await UdpSocket.bind(reactor));
      const b = own(await UdpSocket.bind(reactor));
      a.send(Buffer.from('datagram'), '127.0.0.1', b.address.port);
      expect(await reactor.waitReadable(b.socket).then(() => 'queued')).toBe('queued');
      await expect(b.receive({ signal: aborted })).rejects.toBe(reason);
      expect(Buffer.from((await b.receive()).data).toString()).toBe('datagram');
    });
  });

  test('a read right after a short read tries recv at once: what the peer sent meanwhile is read with no wait and no iteration; nothing there costs one WSAEWOULDBLOCK, then the read waits (host select: readiness; guest mode and AFD: the next iteration, then recv); a later one reads at once', async () => {
    reactor = new Reactor(mode);
    await reactor.run(async () => {
      const { client, server, buffer } = await afterShortRead();
      const text = (n: number): string => buffer.subarray(0, n).toString();
      // The peer answers in the same iteration, before the next read: recv at once finds it.
      expect(winsock.sendSome(client.socket, Buffer.from('second'))).toBe(6);
      let recvs = calls('recv');
      let failed = calls('WSAGetLastError');
      const second = server.read(buffer);
      expect(calls('recv') - recvs).toBe(1); // at once: synchronously, in `read` itself
      expect(calls('WSAGetLastError') - failed).toBe(0);
      expect(reactor.stats().readWaiters).toBe(0);
      expect(text(await second)).toBe('second');
      // Nothing there (another pair: a read at once may have been deferred to the next iteration
      // for fairness, after which the next read is no longer in the short read's iteration): the
      // recv at once says WSAEWOULDBLOCK, then the read waits; the bytes that come meanwhile
      // arrive through the next iteration.
      const { client: quiet, server: waiting } = await afterShortRead();
      const start = reactor.stats().iterations;
      failed = calls('WSAGetLastError');
      const reading = waiting.read(buffer);
      expect(calls('WSAGetLastError') - failed).toBe(1);
      expect(reactor.stats().readWaiters).toBe(recvAfterIteration() ? 0 : 1);
      expect(winsock.sendSome(quiet.socket, Buffer.from('third'))).toBe(5); // before the next iteration
      expect(text(await reading)).toBe('third');
      expect(reactor.stats().iterations - start).toBe(1);
      expect(reactor.stats().readWaiters).toBe(0);
      expect(calls('WSAGetLastError') - failed).toBe(1); // guest mode and AFD: the recv after the iteration found 'third'
      // An abort while it waits (the stream now waits first: for readiness or the next iteration) rejects with the reason; the bytes stay.
      const reason = new Error('stop');
      const abort = new AbortController();
      recvs = calls('recv');
      const aborted = waiting.read(buffer, { signal: abort.signal });
      expect(calls('recv') - recvs).toBe(0); // no recv at once this time
      abort.abort(reason);
      await expect(aborted).rejects.toBe(reason);
      // A read that starts in a later iteration calls recv at once.
      await quiet.write(Buffer.from('fourth'));
      await reactor.checkpoint();
      recvs = calls('recv');
      failed = calls('WSAGetLastError');
      const fourth = waiting.read(buffer);
      expect(calls('recv') - recvs).toBe(1);
      expect(calls('WSAGetLastError') - failed).toBe(0);
      expect(text(await fourth)).toBe('fourth');
    });
  });

  test('after a recv at once found nothing, the next 8 reads after a short read wait first, with no WSAEWOULDBLOCK; the 9th tries at once again', async () => {
    reactor = new Reactor(mode);
    await reactor.run(async () => {
      const { client, server, buffer } = await afterShortRead();
      let failed = calls('WSAGetLastError');
      const missed = server.read(buffer); // the peer has not answered: recv at once finds nothing
      expect(calls('WSAGetLastError') - failed).toBe(1);
      await client.write(Buffer.from('b')); // before the next iteration: guest mode's recv after it finds 'b'
      expect(await missed).toBe(1);
      expect(calls('WSAGetLastError') - failed).toBe(1);
      for (let i = 0; i < 8; i++) {
        failed = calls('WSAGetLastError');
        const recvs = calls('recv');
        const reading = server.read(buffer); // same iteration as the short read before it: waits first
        expect(calls('recv') - recvs, `patient read ${i + 1}`).toBe(0);
        await client.write(Buffer.from('x'));
        expect(await reading).toBe(1);
        expect(calls('WSAGetLastError') - failed, `patient read ${i + 1}`).toBe(0);
      }
      failed = calls('WSAGetLastError');
      const ninth = server.read(buffer);
      expect(calls('WSAGetLastError') - failed).toBe(1); // at once again: and the peer has not answered
      await client.write(Buffer.from('y'));
      expect(await ninth).toBe(1);
    });
  });

  test('a peer slower than an iteration: after a recv at once and, on a guest or AFD reactor, the recv an iteration later both found nothing, reads after a short read wait for readiness first', async () => {
    reactor = new Reactor(mode);
    await reactor.run(async () => {
      const { client, server, buffer } = await afterShortRead();
      const failed = calls('WSAGetLastError');
      const reading = server.read(buffer); // the peer has not answered: recv at once, and guest mode's recv an iteration later, find nothing
      await reactor.sleep(20);
      expect(reactor.stats().readWaiters).toBe(1);
      expect(calls('WSAGetLastError') - failed).toBe(recvAfterIteration() ? 2 : 1);
      await client.write(Buffer.from('b'));
      expect(await reading).toBe(1); // short again
      const next = server.read(buffer); // same iteration: now a readiness wait at once, in every mode
      expect(reactor.stats().readWaiters).toBe(1);
      await client.write(Buffer.from('c'));
      expect(await next).toBe(1);
      expect(calls('WSAGetLastError')).toBe(failed + (recvAfterIteration() ? 2 : 1));
    });
  });

  test('reads after a short read: data, abort and end of stream still come through', async () => {
    // One busy socket: each read after a short one waits an iteration, or for readability.
    reactor = new Reactor(mode);
    await reactor.run(async () => {
      const { client, server } = await listeningTcpPair(reactor, own);
      const buffer = Buffer.alloc(64);
      for (let i = 0; i < 20; i++) {
        const message = Buffer.from(`message ${i}`);
        let n: number;
        if (i % 2 === 0) { // the data arrives while the read waits
          const reading = server.read(buffer);
          await reactor.sleep(1);
          await client.write(message);
          n = await reading;
        } else { // the data is there before the read
          await client.write(message);
          await reactor.sleep(1);
          n = await server.read(buffer);
        }
        expect(buffer.subarray(0, n).toString()).toBe(`message ${i}`);
      }
      const reason = new Error('stop');
      const abort = new AbortController();
      const reading = server.read(buffer, { signal: abort.signal });
      await reactor.sleep(5);
      abort.abort(reason);
      await expect(reading).rejects.toBe(reason);
      await client.write(Buffer.from('after abort'));
      expect(buffer.subarray(0, await server.read(buffer)).toString()).toBe('after abort');
      client.shutdownWrite();
      expect(await server.read(buffer)).toBe(0);
    });
  });

  test('one read and one write at a time: a second concurrent one gets BusyResourceError, the first is unharmed', async () => {
    reactor = new Reactor(mode);
    await reactor.run(async () => {
      const { client, server } = await listeningTcpPair(reactor, own);
      const buffer = Buffer.alloc(64);
      const reading = server.read(buffer);
      await expect(server.read(Buffer.alloc(64))).rejects.toBeInstanceOf(BusyResourceError);
      await client.write(Buffer.from('hello'));
      expect(buffer.subarray(0, await reading).toString()).toBe('hello');
      // Nobody reads: writes of 16 MiB until one waits for room.
      const { waiting: writing, written } = await writeUntilOneWaits(reactor, client, randomBytes(16 << 20));
      const big = Buffer.concat(written);
      // Make room behind the loop's back: drain the receiver with plain recv and let the kernel
      // move data for a moment, with no loop iteration (so the first writer is not woken yet). A
      // second write's send would now succeed — in the middle of the first one's bytes.
      const drained: Buffer[] = [];
      for (let n, chunk = Buffer.alloc(65536); (n = winsock.recvSome(server.socket, chunk)) !== null; chunk = Buffer.alloc(65536)) {
        drained.push(chunk.subarray(0, n));
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
      await expect(client.write(Buffer.from('intruder'))).rejects.toBeInstanceOf(BusyResourceError);
      const head = Buffer.concat(drained);
      const received = Buffer.concat([head, await readExactly(server, big.length - head.length)]);
      await writing.promise;
      expect(head.length).toBeGreaterThan(0);
      expect(received.equals(big)).toBe(true); // no byte of the refused write in the middle
      await client.write(Buffer.from('after'));
      expect(buffer.subarray(0, await server.read(buffer)).toString()).toBe('after');
    });
  });

  test('512 concurrent connections in one reactor', async () => {
    reactor = new Reactor(mode);
    await reactor.run(async () => {
      const listener = own(await TcpListener.listen(reactor, { backlog: 1024 }));
      const serving = (async () => {
        const tasks: Promise<void>[] = [];
        for (let i = 0; i < 512; i++) {
          const conn = own(await listener.accept());
          tasks.push((async () => {
            const buffer = Buffer.alloc(64);
            for (let n = await conn.read(buffer); n > 0; n = await conn.read(buffer)) await conn.write(buffer.subarray(0, n));
          })());
        }
        await Promise.all(tasks);
      })();
      await Promise.all(Array.from({ length: 512 }, async (_, i) => {
        const client = own(await TcpStream.connect(reactor, '127.0.0.1', listener.address.port));
        const message = Buffer.from(`connection ${i}`.padEnd(32, '.'));
        for (let round = 0; round < 3; round++) {
          await client.write(message);
          expect((await readExactly(client, 32)).equals(message)).toBe(true);
        }
        client.shutdownWrite();
      }));
      await serving;
    });
  });
});
