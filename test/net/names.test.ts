// Host names: looked up off the loop (dns.lookup on libuv's thread pool), `localhost` reaching
// both loopbacks, connects trying each address in turn, and what a name that does not resolve or
// an abort gives. Also the socket classes' conventions: UdpSocket's async iteration, `using`.
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import dns from 'node:dns';
import { Reactor, TcpListener, TcpStream, UdpSocket, WinError, lookupHost, winsock } from '../../lib/index.ts';
import { checkResourcesReleased } from '../helpers/resources.ts';
import { Closers } from '../helpers/closers.ts';
import { SocketJar } from '../helpers/sockets.ts';
import { connectedTcpPair } from '../helpers/tcp.ts';

// libuv's thread pool (4 threads, a handle each, measured under Wine) starts at the first
// dns.lookup and stays for the process's life: start-up, not a leak, so it starts before the
// baseline is taken (hooks run in the order they are registered).
beforeAll(() => dns.promises.lookup('localhost'));
checkResourcesReleased();

/** No such name anywhere: `.invalid` is reserved never to resolve (RFC 6761 §6.4). */
const NO_SUCH_HOST = 'no-such-host.winmux.invalid';

describe('host names', () => {
  let reactor: Reactor;
  const jar = new SocketJar();
  const closers = new Closers();
  const { own } = closers;
  afterEach(async () => {
    closers.closeAll();
    jar.closeAll();
    await reactor?.close();
  });

  /**
   * A TCP socket bound to address:port and not listening: a connect there is refused (RST), and
   * nobody else can take the port meanwhile, so a test knows which listener a connect reaches.
   */
  function refuseOn(family: 'IPv4' | 'IPv6', port: number): void {
    const s = jar.add(winsock.createSocket(family === 'IPv6' ? winsock.AF_INET6 : winsock.AF_INET, winsock.SOCK_STREAM, winsock.IPPROTO_TCP));
    winsock.bindSocket(s, family === 'IPv6' ? '::1' : '127.0.0.1', port);
  }

  test('lookupHost: numeric addresses as they are, localhost as both loopbacks (IPv4 first), names through dns.lookup', async () => {
    expect(await lookupHost('10.1.2.3')).toEqual([{ family: 'IPv4', address: '10.1.2.3' }]);
    expect(await lookupHost('fe80::1')).toEqual([{ family: 'IPv6', address: 'fe80::1' }]);
    expect(await lookupHost('LocalHost')).toEqual([{ family: 'IPv4', address: '127.0.0.1' }, { family: 'IPv6', address: '::1' }]);
    await expect(lookupHost('')).rejects.toBeInstanceOf(TypeError);
    await expect(lookupHost(NO_SUCH_HOST)).rejects.toMatchObject({ code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname: NO_SUCH_HOST });
  });

  for (const family of ['IPv4', 'IPv6'] as const) {
    test(`connect to localhost reaches a listener on the ${family} loopback only`, async () => {
      reactor = new Reactor();
      await reactor.run(async () => {
        const listener = own(await TcpListener.listen(reactor, { host: family === 'IPv6' ? '::1' : '127.0.0.1' }));
        const { port } = listener.address;
        // The other loopback refuses on the same port: the connect must move on to this one.
        refuseOn(family === 'IPv6' ? 'IPv4' : 'IPv6', port);
        const { client, server } = await connectedTcpPair(reactor, listener, own, 'localhost');
        expect(client.remoteAddress).toMatchObject({ family, port });
        expect(client.remoteAddress).toEqual(server.localAddress);
        await client.write(new Uint8Array([7]));
        const buffer = new Uint8Array(4);
        expect(await server.read(buffer)).toBe(1);
        expect(buffer[0]).toBe(7);
      });
    });
  }

  test('connect to localhost refused on both loopbacks: an AggregateError with both attempts, Node\'s codes on top', async () => {
    reactor = new Reactor();
    const probe = own(await TcpListener.listen(reactor));
    const { port } = probe.address;
    probe.close();
    refuseOn('IPv4', port);
    refuseOn('IPv6', port);
    const error = await reactor.run(() => TcpStream.connect(reactor, 'localhost', port).catch((e: unknown) => e));
    expect(error).toBeInstanceOf(AggregateError);
    expect(error).toMatchObject({ code: 'ECONNREFUSED', winCode: 'WSAECONNREFUSED' });
    const attempts = (error as AggregateError).errors as WinError[];
    expect(attempts.map((e) => [e.address, e.port, e.code])).toEqual([
      ['127.0.0.1', port, 'ECONNREFUSED'],
      ['::1', port, 'ECONNREFUSED'],
    ]);
  });

  test('a name that does not resolve: Node\'s ENOTFOUND, as net.connect gives, and no socket opened', async () => {
    reactor = new Reactor();
    const error = await reactor.run(() => TcpStream.connect(reactor, NO_SUCH_HOST, 80).catch((e: unknown) => e));
    expect(error).toMatchObject({ code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname: NO_SUCH_HOST });
    // Listening is synchronous: a name is refused at the call (resolve it with lookupHost first).
    expect(() => TcpListener.listen(reactor, { host: NO_SUCH_HOST })).toThrow(/host name.*lookupHost/);
  });

  test('an abort while the name is looked up rejects with its reason at once (the lookup\'s answer is dropped)', async () => {
    reactor = new Reactor();
    await reactor.run(async () => {
      const reason = new Error('stop');
      const abort = new AbortController();
      // The lookup's answer comes through Node's loop, which cannot run before the abort below.
      const connecting = TcpStream.connect(reactor, NO_SUCH_HOST, 80, { signal: abort.signal });
      abort.abort(reason);
      await expect(connecting).rejects.toBe(reason);
    });
  });

  test('an abort ends a connect to localhost: no further address is tried, no socket is left', async () => {
    reactor = new Reactor();
    await reactor.run(async () => {
      const listener = own(await TcpListener.listen(reactor, { host: '::1' }));
      const reason = new Error('stop');
      const abort = new AbortController();
      const connecting = TcpStream.connect(reactor, 'localhost', listener.address.port, { signal: abort.signal });
      abort.abort(reason);
      await expect(connecting).rejects.toBe(reason);
      expect(() => TcpListener.listen(reactor, { signal: AbortSignal.abort(reason) })).toThrow(reason);
    });
  });

  test('an abort while an attempt waits ends the connect: the next address is not tried', async () => {
    reactor = new Reactor();
    await reactor.run(async () => {
      // A 127.0.0.1 listener with a full backlog: a further connect gets no answer (the SYN is
      // dropped, or refused only after retries) and stays pending. ::1 would accept at once.
      const full = own(await TcpListener.listen(reactor, { backlog: 0 }));
      const { port } = full.address;
      const v6 = own(await TcpListener.listen(reactor, { host: '::1', port }));
      const queued: TcpStream[] = [];
      let pending: Promise<unknown> | undefined;
      const reason = new Error('stop');
      const abort = new AbortController();
      for (let i = 0; i < 8 && pending === undefined; i++) {
        const attempt = TcpStream.connect(reactor, '127.0.0.1', port, { signal: abort.signal });
        const settled = await Promise.race([attempt.then((s) => own(s)), reactor.sleep(200).then(() => undefined)]);
        if (settled === undefined) pending = attempt.catch((e: unknown) => e);
        else queued.push(settled);
      }
      expect(pending, 'a connect that waits on the full backlog').toBeDefined();
      abort.abort(reason);
      expect(await pending).toBe(reason);
      // Now through localhost: the 127.0.0.1 attempt waits, the abort ends it, ::1 is never tried.
      const second = new AbortController();
      const connecting = TcpStream.connect(reactor, 'localhost', port, { signal: second.signal }).catch((e: unknown) => e);
      await reactor.sleep(50);
      second.abort(reason);
      expect(await connecting).toBe(reason);
      expect(winsock.acceptSocket(v6.socket)).toBeNull();
    });
  });

  test('listen and bind on localhost take its first address, 127.0.0.1 (Node listens on the first lookup result)', async () => {
    reactor = new Reactor();
    expect(own(await TcpListener.listen(reactor, { host: 'localhost' })).address.address).toBe('127.0.0.1');
    expect(own(await UdpSocket.bind(reactor, { host: 'localhost' })).address.address).toBe('127.0.0.1');
  });
});

describe('socket conventions', () => {
  test('UdpSocket: for await yields the datagrams and ends when the socket is closed', async () => {
    const reactor = new Reactor();
    try {
      await reactor.run(async () => {
        using a = await UdpSocket.bind(reactor);
        using c = await UdpSocket.bind(reactor);
        for (const text of ['one', 'two', 'three']) c.send(new TextEncoder().encode(text), 'localhost', a.address.port);
        const got: string[] = [];
        for await (const datagram of a) {
          got.push(new TextDecoder().decode(datagram.data));
          expect(datagram.port).toBe(c.address.port);
          if (got.length === 3) reactor.callSoon(() => a.close());
        }
        expect(got).toEqual(['one', 'two', 'three']);
        expect(() => c.send(new Uint8Array(1), 'example.com', 9)).toThrow(/lookupHost/);
      });
    } finally {
      await reactor.close();
    }
  });

  test('using closes sockets and listeners at the end of the block', async () => {
    const reactor = new Reactor();
    try {
      let kept: TcpListener | undefined;
      {
        using listener = await TcpListener.listen(reactor);
        kept = listener;
        expect(listener.closed).toBe(false);
      }
      expect(kept.closed).toBe(true);
    } finally {
      await reactor.close();
    }
  });
});
