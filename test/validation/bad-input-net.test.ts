// Bad input to TCP (listeners, streams, toNodeDuplex), UDP, name lookup and winsock: each fails the
// call that got it, and only the call; and what is accepted, and stays so (Infinity, negative
// durations, zero-length writes, already-aborted signals, a bad signal that starts nothing). The
// table's rules, fixtures and runner: bad-input-table.ts.
import { describe, expect, test } from 'vitest';
import { statSync } from 'node:fs';
import path from 'node:path';
import {
  BusyResourceError, ClosedResourceError, DirectoryWatcher, File, NamedPipe, NamedPipeServer, Reactor, TcpListener, TcpStream, UdpSocket, WinError, lookupHost, spawnProcess, toNodeDuplex, winsock,
} from '../../lib/index.ts';
import { checkResourcesReleased } from '../helpers/resources.ts';
import {
  BAD_DURATIONS, BAD_HOSTS, BAD_INTEGERS, BAD_PORTS, BAD_READ_BUFFERS, BAD_SOCKET_VALUES, BAD_WRITE_BUFFERS, NOT_A_SOCKET, NOT_OPTIONS, NOT_REACTORS, NOT_SIGNALS, any, bad, badInputTable, checkError, cleanups, connectedPipe, connectedTcp, detached, each, event, failure, freshReactor, one, reactor, scratchFile, socketPair, stillHealthy, tmp, udpSocket,
} from './bad-input-table.ts';

checkResourcesReleased();

// --- TcpListener, TcpStream, toNodeDuplex ---
each('TcpListener.listen', 'reactor', NOT_REACTORS, (_, r) => TcpListener.listen(r));
each('TcpListener.listen', 'options', NOT_OPTIONS, (_, o) => TcpListener.listen(reactor, o));
each('TcpListener.listen', 'options.host', [...BAD_HOSTS.filter((b) => b.value !== undefined), bad("a host name 'example.com'", 'example.com', TypeError)], (_, host) => TcpListener.listen(reactor, { host }), undefined, 'host');
each('TcpListener.listen', 'options.port', BAD_PORTS.filter((b) => b.value !== undefined), (_, port) => TcpListener.listen(reactor, { port }));
each('TcpListener.listen', 'options.backlog', [...BAD_INTEGERS, bad("'x'", 'x', TypeError), bad('null', null, TypeError)], (_, backlog) => TcpListener.listen(reactor, { backlog }));
each('TcpListener.listen', 'options.signal', NOT_SIGNALS, (_, signal) => TcpListener.listen(reactor, { signal }));
one('TcpListener.listen: a port in use (WSAEADDRINUSE)', WinError, (port: number) => TcpListener.listen(reactor, { port }), () => {
  const first = TcpListener.listen(reactor);
  cleanups.push(() => first.close());
  return first.address.port;
});
function listener(): TcpListener {
  const l = TcpListener.listen(reactor);
  cleanups.push(() => l.close());
  return l;
}
each('TcpListener.accept', 'options', NOT_OPTIONS, (l: TcpListener, o) => l.accept(o), listener);
each('TcpListener.accept', 'options.signal', NOT_SIGNALS, (l: TcpListener, signal) => l.accept({ signal }), listener);
one('TcpListener.accept on a closed listener', ClosedResourceError, (l: TcpListener) => {
  l.close();
  return l.accept();
}, listener);
one('TcpListener.address on a closed listener', ClosedResourceError, (l: TcpListener) => {
  l.close();
  return l.address;
}, listener);
each('TcpStream.connect', 'reactor', NOT_REACTORS, (_, r) => TcpStream.connect(r, '127.0.0.1', 9));
each('TcpStream.connect', 'host', BAD_HOSTS, (_, host) => TcpStream.connect(reactor, host, 80));
each('TcpStream.connect', 'port', BAD_PORTS, (_, port) => TcpStream.connect(reactor, '127.0.0.1', port));
each('TcpStream.connect', 'options', NOT_OPTIONS, (_, o) => TcpStream.connect(reactor, '127.0.0.1', 9, o));
each('TcpStream.connect', 'options.timeoutMs', BAD_DURATIONS.filter((b) => b.label !== 'undefined'), (_, timeoutMs) => TcpStream.connect(reactor, '127.0.0.1', 9, { timeoutMs }));
each('TcpStream.connect', 'options.signal', NOT_SIGNALS, (_, signal) => TcpStream.connect(reactor, '127.0.0.1', 9, { signal }));
one('TcpStream.connect: a port nobody listens on (WSAECONNREFUSED)', WinError, (port: number) => TcpStream.connect(reactor, '127.0.0.1', port), () => {
  const l = TcpListener.listen(reactor);
  const { port } = l.address;
  l.close();
  return port;
});
each('new TcpStream', 'reactor', NOT_REACTORS, ([a]: [number, number], r) => new TcpStream(r, a), socketPair);
each('new TcpStream', 'socket', BAD_SOCKET_VALUES, (_, s) => new TcpStream(reactor, s), undefined, 'SOCKET');
type Tcp = { client: TcpStream; conn: TcpStream };
each('TcpStream.read', 'buffer', BAD_READ_BUFFERS(), ({ conn }: Tcp, b) => conn.read(b), connectedTcp);
each('TcpStream.read', 'options', NOT_OPTIONS, ({ conn }: Tcp, o) => conn.read(new Uint8Array(4), o), connectedTcp);
each('TcpStream.read', 'options.signal', NOT_SIGNALS.slice(0, 2), ({ conn }: Tcp, signal) => conn.read(new Uint8Array(4), { signal }), connectedTcp);
each('TcpStream.write', 'data', BAD_WRITE_BUFFERS(), ({ client }: Tcp, b) => client.write(b), connectedTcp);
each('TcpStream.write', 'options', NOT_OPTIONS, ({ client }: Tcp, o) => client.write(new Uint8Array(4), o), connectedTcp);
each('TcpStream.readable', 'options.chunkSize', [bad('0', 0, RangeError), bad('-1', -1, RangeError), bad('NaN', NaN, RangeError), bad("'x'", 'x', TypeError)], ({ conn }: Tcp, chunkSize) => conn.readable({ chunkSize }).next(), connectedTcp);
for (const [method, call] of [
  ['read', (s: TcpStream) => s.read(new Uint8Array(4))],
  ['write', (s: TcpStream) => s.write(new Uint8Array(4))],
  ['shutdownWrite', (s: TcpStream) => s.shutdownWrite()],
  ['setNoDelay', (s: TcpStream) => s.setNoDelay(true)],
  ['remoteAddress', (s: TcpStream) => s.remoteAddress],
  ['localAddress', (s: TcpStream) => s.localAddress],
] as const) {
  one(`TcpStream.${method} on a closed stream`, ClosedResourceError, ({ client }: Tcp) => {
    client.close();
    return call(client);
  }, connectedTcp);
}
one('TcpStream.read: two at once, the second', BusyResourceError, ({ conn }: Tcp) => {
  void conn.read(new Uint8Array(4)).catch(() => {});
  return conn.read(new Uint8Array(4));
}, connectedTcp);
each('TcpStream.setNoDelay', 'noDelay', [bad("'yes'", 'yes', TypeError), bad('1', 1, TypeError)], ({ client }: Tcp, v) => client.setNoDelay(v), connectedTcp);
each('toNodeDuplex', 'stream', [bad('undefined', undefined, TypeError), bad('null', null, TypeError), bad('{}', {}, TypeError), bad('a UdpSocket', 'udp', TypeError)], (u: UdpSocket, s) => toNodeDuplex(s === 'udp' ? any(u) : s), udpSocket);
each('toNodeDuplex', 'options', NOT_OPTIONS, ({ client }: Tcp, o) => toNodeDuplex(client, o), connectedTcp);
each('toNodeDuplex', 'options.chunkSize', [bad('0', 0, RangeError), bad('-1', -1, RangeError), bad('NaN', NaN, RangeError), bad("'x'", 'x', TypeError)], ({ client }: Tcp, chunkSize) => toNodeDuplex(client, { chunkSize }), connectedTcp);
one('toNodeDuplex on a closed stream', ClosedResourceError, ({ client }: Tcp) => {
  client.close();
  return toNodeDuplex(client);
}, connectedTcp);

// --- UdpSocket ---
each('UdpSocket.bind', 'reactor', NOT_REACTORS, (_, r) => UdpSocket.bind(r));
each('UdpSocket.bind', 'options', NOT_OPTIONS, (_, o) => UdpSocket.bind(reactor, o));
each('UdpSocket.bind', 'options.host', [bad('5', 5, TypeError), bad("''", '', TypeError), bad("a host name 'example.com'", 'example.com', TypeError)], (_, host) => UdpSocket.bind(reactor, { host }), undefined, 'host');
each('UdpSocket.bind', 'options.port', [bad('-1', -1, RangeError), bad('70000', 70000, RangeError), bad("'x'", 'x', TypeError)], (_, port) => UdpSocket.bind(reactor, { port }));
each('UdpSocket.bind', 'options.signal', NOT_SIGNALS, (_, signal) => UdpSocket.bind(reactor, { signal }));
each('UdpSocket.send', 'data', BAD_WRITE_BUFFERS(), (u: UdpSocket, d) => u.send(d, '127.0.0.1', u.address.port), udpSocket);
each('UdpSocket.send', 'host', [...BAD_HOSTS, bad("a host name 'example.com'", 'example.com', TypeError)], (u: UdpSocket, h) => u.send(new Uint8Array(1), h, 9), udpSocket);
each('UdpSocket.send', 'port', BAD_PORTS, (u: UdpSocket, p) => u.send(new Uint8Array(1), '127.0.0.1', p), udpSocket);
each('UdpSocket.receive', 'options', NOT_OPTIONS, (u: UdpSocket, o) => u.receive(o), udpSocket);
each('UdpSocket.receive', 'options.maxSize', [bad('0', 0, RangeError), ...BAD_INTEGERS, bad("'x'", 'x', TypeError), bad('null', null, TypeError)], (u: UdpSocket, maxSize) => u.receive({ maxSize }), udpSocket);
each('UdpSocket.receive', 'options.signal', NOT_SIGNALS, (u: UdpSocket, signal) => u.receive({ signal }), udpSocket);
one('UdpSocket.send on a closed socket', ClosedResourceError, (u: UdpSocket) => {
  u.close();
  u.send(new Uint8Array(1), '127.0.0.1', 9);
}, udpSocket);
one('UdpSocket.receive on a closed socket', ClosedResourceError, (u: UdpSocket) => {
  u.close();
  return u.receive();
}, udpSocket);
one('UdpSocket.send: an IPv6 address from an IPv4 socket (WSAEFAULT or WSAEAFNOSUPPORT)', WinError, (u: UdpSocket) => u.send(new Uint8Array(1), '::1', 9), udpSocket);

// --- lookupHost and winsock ---
each('lookupHost', 'host', BAD_HOSTS, (_, host) => lookupHost(host));
each('lookupHost', 'options', NOT_OPTIONS, (_, o) => lookupHost('localhost', o));
each('lookupHost', 'options.signal', NOT_SIGNALS, (_, signal) => lookupHost('winmux.invalid', { signal }));
each('winsock.sendSome', 'data', [bad("'abc'", 'abc', TypeError), bad('a detached Uint8Array', detached(), TypeError)], ([a]: [number, number], d) => winsock.sendSome(a, d), socketPair);
each('winsock.recvSome', 'buffer', [bad("'abc'", 'abc', TypeError), bad('a zero-length Uint8Array', new Uint8Array(0), RangeError)], ([a]: [number, number], b) => winsock.recvSome(a, b), socketPair);
each('winsock.bindSocket', 'port', [bad('-1', -1, RangeError), bad('70000', 70000, RangeError)], (s: number, port) => winsock.bindSocket(s, '127.0.0.1', port), () => {
  const s = winsock.createSocket(winsock.AF_INET, winsock.SOCK_DGRAM, winsock.IPPROTO_UDP);
  cleanups.push(() => winsock.closeQuietly(s));
  return s;
});
each('winsock.encodeAddress', 'host', [bad("'not an address'", 'not an address', TypeError), bad('5', 5, TypeError)], (_, host) => winsock.encodeAddress(host, 80));
one('winsock.closeSocket: a socket value that is not open (WSAENOTSOCK)', WinError, () => winsock.closeSocket(NOT_A_SOCKET));
one('winsock.createSocket: an unknown family (WSAEAFNOSUPPORT)', WinError, () => winsock.createSocket(12345, winsock.SOCK_STREAM, winsock.IPPROTO_TCP));

badInputTable({ atLeast: 221 });

describe('what is accepted, and stays so', () => {
  test('Infinity is "no limit" where documented: sleep(Infinity), maxBlockMs Infinity, timeoutMs Infinity', async () => {
    const r = new Reactor({ maxBlockMs: Infinity });
    await r.run(async () => {
      const controller = new AbortController();
      const sleeping = r.sleep(Infinity, { signal: controller.signal });
      const signal = r.timeoutSignal(Infinity);
      await r.sleep(1);
      expect(signal.aborted).toBe(false);
      controller.abort(new Error('enough'));
      await expect(sleeping).rejects.toThrow('enough');
    });
    await r.close();
  });

  test('a negative duration counts as 0 (as setTimeout): sleep(-1) resolves', async () => {
    freshReactor();
    await reactor.run(() => reactor.sleep(-1));
    await stillHealthy();
  });

  test('a zero-length write is a no-op that succeeds (as in Node): File.write → 0, NamedPipe/TcpStream.write resolve', async () => {
    freshReactor();
    await reactor.run(async () => {
      expect(await scratchFile().write(new Uint8Array(0), 0)).toBe(0);
      const { client } = await connectedPipe('empty-write');
      await client.write(new Uint8Array(0));
      const tcp = await connectedTcp();
      await tcp.client.write(new Uint8Array(0));
    });
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await stillHealthy();
  });

  test('an already-aborted signal rejects with its reason and starts nothing', async () => {
    freshReactor();
    const reason = new Error('aborted before the call');
    const signal = AbortSignal.abort(reason);
    await reactor.run(async () => {
      const e = event();
      const calls: (() => unknown)[] = [
        () => reactor.sleep(10, { signal }),
        () => reactor.waitForObject(e.handle, { signal }),
        () => reactor.waitReadable(socketPair()[0], { signal }),
        () => File.open(reactor, path.join(tmp, 'aborted.bin'), { mode: 'write', disposition: 'create', signal }),
        () => DirectoryWatcher.open(reactor, tmp, { signal }),
        () => TcpListener.listen(reactor, { signal }),
        () => UdpSocket.bind(reactor, { signal }),
        () => TcpStream.connect(reactor, '127.0.0.1', 9, { signal }),
        () => spawnProcess(reactor, 'cmd.exe', ['/c', 'exit'], { signal }),
        () => scratchFile().read(new Uint8Array(4), 0, { signal }),
        () => reactor.openChannel().receive({ signal }),
      ];
      for (const call of calls) expect(await failure(call)).toBe(reason);
    });
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await stillHealthy();
  });

  test('NamedPipe.connect with an already-aborted signal rejects with its reason, though the pipe is there', async () => {
    freshReactor();
    const name = `winmux-aborted-${process.pid}`;
    const server = new NamedPipeServer(reactor, name);
    cleanups.push(() => server.close());
    const reason = new Error('aborted before the call');
    await expect(NamedPipe.connect(reactor, name, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    await stillHealthy();
  });

  test('transferHandle with a bad target leaves the handle usable here', async () => {
    freshReactor();
    await reactor.run(async () => {
      const file = scratchFile();
      checkError(await failure(() => reactor.transferHandle(file.handle, undefined as never)), { error: TypeError, what: 'transferHandle' });
      expect(await file.write(new Uint8Array([1, 2]), 0)).toBe(2);
    });
    await stillHealthy();
  });

  test('a handle that is not a socket, waited on with select, fails only its waiter (Wine: WSAEOPNOTSUPP)', async () => {
    freshReactor();
    const [a, b] = socketPair();
    await reactor.run(async () => {
      const file = scratchFile();
      const other = reactor.waitReadable(a);
      await expect(reactor.waitReadable(file.handle)).rejects.toBeInstanceOf(WinError);
      winsock.sendSome(b, new Uint8Array([1]));
      await other;
    });
    await stillHealthy();
  });

  test('waitReadable with a signal that is not an AbortSignal arms nothing', async () => {
    freshReactor();
    const [a] = socketPair();
    checkError(await failure(() => reactor.waitReadable(a, { signal: {} as AbortSignal })), { error: TypeError, what: 'waitReadable' });
    expect(reactor.stats().readiness.readArmed).toBe(1); // the wakeup socket only
    await stillHealthy();
  });

  test('waitForObject with a bad signal or timeout starts no thread', async () => {
    freshReactor();
    const e = event();
    for (const options of [{ signal: {} as AbortSignal }, { timeoutMs: 'x' as unknown as number }, { timeoutMs: NaN }, { timeoutMs: -1 }]) {
      await failure(() => reactor.waitForObject(e.handle, options));
    }
    expect(reactor.stats().waiterThreadsStarted).toBe(0);
    await stillHealthy();
  });

  test('File.write with a signal that is not an AbortSignal writes nothing (it used to write anyway)', async () => {
    freshReactor();
    const file = File.open(reactor, path.join(tmp, 'untouched.bin'), { mode: 'readwrite', disposition: 'create' });
    cleanups.push(() => file.close());
    await reactor.run(async () => checkError(await failure(() => file.write(new Uint8Array([1, 2, 3]), 0, { signal: {} as AbortSignal })), { error: TypeError, what: 'File.write' }));
    expect(statSync(path.join(tmp, 'untouched.bin')).size).toBe(0);
    await stillHealthy();
  });

  test("a pipe read with a bad signal issues nothing, so the peer's next bytes go to the next read", async () => {
    freshReactor();
    await reactor.run(async () => {
      const { client, conn } = await connectedPipe('bad-signal');
      await failure(() => conn.read(new Uint8Array(8), { signal: {} as AbortSignal }));
      await client.write(new Uint8Array([7, 8, 9]));
      const buffer = new Uint8Array(8);
      expect(await conn.read(buffer)).toBe(3);
      expect([...buffer.subarray(0, 3)]).toEqual([7, 8, 9]);
    });
    await stillHealthy();
  });
});
