// Node's http.Server over winmux sockets (WinmuxSocket, serveHttp), in guest mode: the reactor
// turns inside Node's loop, so Node's http client (over Node's own net) runs in the same process.
// The checks are the ones an http server must pass, each counted, never timed: a check that
// waits for something (a close, a 'timeout') fails by the test's own limit if it never comes.
import { afterEach, describe, expect, test } from 'vitest';
import http from 'node:http';
import net from 'node:net';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { NodeSocketError, Reactor, TcpListener, TcpStream, WinError, WinmuxSocket, serveHttp, toNodeDuplex, winsock } from '../../lib/index.ts';
import { LOOP_MODES } from '../helpers/modes.ts';
import { checkResourcesReleased } from '../helpers/resources.ts';

checkResourcesReleased();

const GUEST_MODES = LOOP_MODES.filter((m) => m.mode.guest === true);
const MiB = 1 << 20;

/** Bytes that differ from position to position, so a lost, doubled or reordered chunk shows. */
function pattern(length: number, seed = 7): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed + (i >>> 16)) & 0xff;
  return bytes;
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** Resolves with `emitter`'s next `event`, or rejects after `limitMs` (a hang is a failure, not a wait forever). */
async function next<T = unknown[]>(emitter: NodeJS.EventEmitter, event: string, limitMs = 10_000): Promise<T> {
  // Not events.once: it rejects on 'error', and a socket closed by an error is what some checks wait for.
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.removeListener(event, listener);
      reject(new Error(`no '${event}' within ${limitMs} ms`));
    }, limitMs);
    const listener = (...args: unknown[]): void => {
      clearTimeout(timer);
      resolve(args as T);
    };
    emitter.once(event, listener);
  });
}

interface Served {
  server: http.Server;
  port: number;
  /** Every connection the server was given, in order. */
  sockets: WinmuxSocket[];
  /** Connections not closed yet. */
  open: Set<WinmuxSocket>;
  stop(): Promise<void>;
}

describe.each(GUEST_MODES)('http over winmux ($name)', ({ mode }) => {
  let reactor: Reactor | undefined;
  const cleanups: (() => unknown)[] = [];
  /** A new reactor; a winmux client connected to a listener of it; the accepted side as a Node duplex. */
  const duplexPair = async (): Promise<{ client: TcpStream; socket: ReturnType<typeof toNodeDuplex> }> => {
    reactor = new Reactor(mode);
    const listener = TcpListener.listen(reactor);
    cleanups.push(() => listener.close());
    const client = await TcpStream.connect(reactor, '127.0.0.1', listener.address.port);
    cleanups.push(() => client.close());
    return { client, socket: toNodeDuplex(await listener.accept()) };
  };

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await reactor?.close();
    reactor = undefined;
  });

  /** An http.Server fed by serveHttp from a winmux listener; `handler` answers its requests. */
  function serve(handler: http.RequestListener, options: http.ServerOptions = {}): Served {
    reactor = new Reactor(mode);
    const listener = TcpListener.listen(reactor, { host: '127.0.0.1', port: 0 });
    const server = http.createServer(options, handler);
    const sockets: WinmuxSocket[] = [];
    const open = new Set<WinmuxSocket>();
    server.on('connection', (socket: WinmuxSocket) => {
      sockets.push(socket);
      open.add(socket);
      socket.on('close', () => open.delete(socket));
    });
    const serving = serveHttp(listener, server);
    const served: Served = {
      server,
      port: listener.address.port,
      sockets,
      open,
      async stop() {
        server.closeAllConnections();
        server.close(); // stops the request-timeout check that 'listening' started
        listener.close();
        await serving;
      },
    };
    cleanups.push(() => served.stop());
    return served;
  }

  function agent(): http.Agent {
    const a = new http.Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(() => a.destroy());
    return a;
  }

  /** One request; `send` writes the body (default: none), the response body is collected. */
  function request(
    port: number,
    options: http.RequestOptions,
    send: (req: http.ClientRequest) => void = (req) => req.end(),
  ): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer; clientSocket: net.Socket }> {
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, ...options }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks), clientSocket: req.socket! }));
        res.on('error', reject);
      });
      req.on('error', reject);
      send(req);
    });
  }

  /** Answers with the body's length and SHA-256, and the connection's identity. */
  const digestHandler: http.RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ url: req.url, length: body.length, sha256: sha256(body) }));
    });
  };

  test('GET', async () => {
    const { port, sockets } = serve((req, res) => res.end(`hello ${req.url}`));
    const got = await request(port, { path: '/one', agent: agent() });
    expect(got.status).toBe(200);
    expect(got.body.toString()).toBe('hello /one');
    expect(sockets[0]).toBeInstanceOf(WinmuxSocket);
  });

  test('1 MiB POST arrives byte-exact: buffered, piped, and in 1 KiB writes', async () => {
    const { port } = serve(digestHandler);
    const a = agent();
    const payload = pattern(MiB);
    const expected = { length: MiB, sha256: sha256(payload) };
    const post = (path: string, send: (req: http.ClientRequest) => void) =>
      request(port, { method: 'POST', path, agent: a, headers: { 'content-length': MiB } }, send).then((r) => JSON.parse(r.body.toString()));

    expect(await post('/buffered', (req) => req.end(payload))).toEqual({ url: '/buffered', ...expected });
    expect(
      await post('/piped', (req) => {
        Readable.from((function* () {
          for (let i = 0; i < MiB; i += 16384) yield payload.subarray(i, i + 16384);
        })()).pipe(req);
      }),
    ).toEqual({ url: '/piped', ...expected });
    expect(
      await post('/kib', (req) => {
        let offset = 0;
        const more = (): void => {
          while (offset < MiB) {
            const piece = payload.subarray(offset, offset + 1024);
            offset += 1024;
            if (!req.write(piece)) {
              req.once('drain', more);
              return;
            }
          }
          req.end();
        };
        more();
      }),
    ).toEqual({ url: '/kib', ...expected });
  });

  test('keep-alive: two requests on one agent socket are one server connection', async () => {
    const seen: unknown[] = [];
    const { port, sockets } = serve((req, res) => {
      seen.push(req.socket);
      res.end('ok');
    });
    const a = agent();
    const first = await request(port, { path: '/1', agent: a });
    const second = await request(port, { path: '/2', agent: a });
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(seen).toHaveLength(2);
    expect(seen[0]).toBe(seen[1]);
    expect(sockets).toHaveLength(1);
    expect(first.clientSocket).toBe(second.clientSocket);
  });

  test('4 pipelined requests written at once get 4 responses, in order', async () => {
    const { port } = serve((req, res) => res.end(`body of ${req.url}`));
    const client = net.connect(port, '127.0.0.1');
    cleanups.push(() => client.destroy());
    await next(client, 'connect');
    client.write([1, 2, 3, 4].map((i) => `GET /p${i} HTTP/1.1\r\nHost: x\r\n\r\n`).join(''));
    // Parse responses off the byte stream until 4 complete ones.
    let text = '';
    const bodies: string[] = [];
    for (let guard = 0; bodies.length < 4 && guard < 1000; guard++) {
      const [chunk] = await next<[Buffer]>(client, 'data');
      text += chunk.toString('latin1');
      for (;;) {
        const headEnd = text.indexOf('\r\n\r\n');
        if (headEnd < 0) break;
        const head = text.slice(0, headEnd);
        const length = Number(/content-length: (\d+)/i.exec(head)?.[1]);
        if (text.length < headEnd + 4 + length) break;
        expect(head.startsWith('HTTP/1.1 200')).toBe(true);
        bodies.push(text.slice(headEnd + 4, headEnd + 4 + length));
        text = text.slice(headEnd + 4 + length);
      }
    }
    expect(bodies).toEqual(['body of /p1', 'body of /p2', 'body of /p3', 'body of /p4']);
    expect(text).toBe('');
  });

  test.each([
    { how: 'FIN', end: (c: TcpStream) => c.shutdownWrite() },
    { how: 'RST', end: (c: TcpStream) => { winsock.setLinger(c.socket, true, 0); c.close(); } },
  ])('a client that disconnects mid-body by $how: the request is aborted and the connection closed', async ({ end }) => {
    let received = 0;
    let aborted = 0;
    let requestClosed = 0;
    let gotRequest!: () => void;
    const requested = new Promise<void>((resolve) => (gotRequest = resolve));
    const { port, open, sockets } = serve((req) => {
      req.on('data', (chunk: Buffer) => (received += chunk.length));
      req.on('aborted', () => aborted++);
      req.on('close', () => requestClosed++);
      req.on('error', () => {}); // 'aborted' surfaces as an ECONNRESET error on the request too
      gotRequest();
    });
    const client = await TcpStream.connect(reactor!, '127.0.0.1', port);
    cleanups.push(() => client.close());
    await client.write(Buffer.from(`POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: ${MiB}\r\n\r\n`));
    await client.write(pattern(4096));
    await requested;
    const serverSide = sockets[0]!;
    const closed = next(serverSide, 'close');
    end(client);
    await closed;
    expect(aborted).toBe(1);
    expect(requestClosed).toBe(1);
    expect(received).toBeLessThanOrEqual(4096);
    expect(open.size).toBe(0);
    expect(serverSide.stream.closed).toBe(true);
  });

  test('an 8 MiB response to a reader that pauses arrives whole, with backpressure on the server', async () => {
    const body = pattern(8 * MiB, 3);
    let blocked = 0;
    let onBlocked!: () => void;
    const wasBlocked = new Promise<void>((resolve) => (onBlocked = resolve));
    const { port } = serve((_req, res) => {
      res.setHeader('content-length', body.length);
      let offset = 0;
      const more = (): void => {
        while (offset < body.length) {
          const piece = body.subarray(offset, offset + 65536);
          offset += piece.length;
          if (!res.write(piece)) {
            blocked++;
            onBlocked();
            res.once('drain', more);
            return;
          }
        }
        res.end();
      };
      more();
    });
    const got = await new Promise<Buffer>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/big', agent: agent() }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve(Buffer.concat(chunks)));
        res.on('error', reject);
        res.pause(); // the slow reader: nothing more is read until the server has had to wait
        wasBlocked.then(() => res.resume(), reject);
      }).on('error', reject);
    });
    expect(blocked).toBeGreaterThan(0);
    expect(got.length).toBe(body.length);
    expect(got.equals(body)).toBe(true);
  });

  test('keepAliveTimeout closes an idle keep-alive connection', async () => {
    const { server, port, sockets, open } = serve((_req, res) => res.end('ok'));
    server.keepAliveTimeout = 200;
    const got = await request(port, { path: '/', agent: agent() });
    expect(got.status).toBe(200);
    const serverSide = sockets[0]!;
    if (!serverSide.destroyed) await next(serverSide, 'close');
    // The client saw the server close its idle connection.
    if (!got.clientSocket.destroyed) await next(got.clientSocket, 'close');
    expect(open.size).toBe(0);
    expect(sockets).toHaveLength(1);
  });

  test('keepAliveTimeout after several requests on one connection: each response arms it again, and it closes the idle connection', async () => {
    const { server, port, sockets, open } = serve((_req, res) => res.end('ok'));
    server.keepAliveTimeout = 200;
    const client = net.connect(port, '127.0.0.1');
    cleanups.push(() => client.destroy());
    await next(client, 'connect');
    let answer = '';
    client.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    for (let i = 1; i <= 3; i++) {
      client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      while ((answer.match(/HTTP\/1\.1 200/g) ?? []).length < i) await next(client, 'data');
    }
    expect(sockets).toHaveLength(1);
    if (!client.destroyed) await next(client, 'close'); // the server closed the idle connection
    expect(open.size).toBe(0);
  });

  test('setTimeout turned off and on again with the same duration keeps its timer and still fires; turned off, it does not', async () => {
    const { socket } = await duplexPair();
    cleanups.push(() => socket.destroy());
    let fired = 0;
    socket.on('timeout', () => fired++);
    socket.setTimeout(50);
    socket.setTimeout(0);
    socket.setTimeout(50);
    await next(socket, 'timeout');
    expect(fired).toBe(1);
    socket.setTimeout(0);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(fired).toBe(1);
  });

  test("server.timeout emits 'timeout' on an idle connection; requestTimeout answers 408", async () => {
    const { server, port, sockets } = serve((_req, res) => res.end('ok'), { requestTimeout: 300, connectionsCheckingInterval: 100 });
    server.setTimeout(200);
    const timedOut: net.Socket[] = [];
    server.on('timeout', (socket: net.Socket) => {
      timedOut.push(socket);
      // A 'timeout' listener leaves the socket open (as on Node's own sockets): the request
      // timeout below is what ends this one.
    });
    const client = net.connect(port, '127.0.0.1');
    cleanups.push(() => client.destroy());
    await next(client, 'connect');
    client.write('GET / HTTP/1.1\r\nHost: x\r\n'); // headers never finished
    let answer = '';
    client.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    await next(server, 'timeout');
    expect(timedOut).toHaveLength(1);
    expect(timedOut[0]).toBe(sockets[0]);
    if (!client.destroyed) await next(client, 'close');
    expect(answer.startsWith('HTTP/1.1 408')).toBe(true);
  });

  test('the socket reports its addresses, byte counts and options as a net.Socket does', async () => {
    let serverSide!: WinmuxSocket;
    const { port } = serve((req, res) => {
      serverSide = req.socket as unknown as WinmuxSocket;
      res.end(JSON.stringify({ remoteAddress: req.socket.remoteAddress, remotePort: req.socket.remotePort, remoteFamily: req.socket.remoteFamily }));
    });
    const got = await request(port, { path: '/who', agent: agent() });
    expect(JSON.parse(got.body.toString())).toEqual({ remoteAddress: '127.0.0.1', remotePort: got.clientSocket.localPort, remoteFamily: 'IPv4' });
    expect(serverSide.localAddress).toBe('127.0.0.1');
    expect(serverSide.localPort).toBe(port);
    expect(serverSide.address()).toEqual({ address: '127.0.0.1', family: 'IPv4', port });
    expect(serverSide.bytesRead).toBe(got.clientSocket.bytesWritten);
    expect(serverSide.bytesWritten).toBe(got.clientSocket.bytesRead);
    expect(serverSide.setNoDelay(false)).toBe(serverSide);
    expect(winsock.getIntOption(serverSide.stream.socket, winsock.IPPROTO_TCP, winsock.TCP_NODELAY)).toBe(0);
    expect(serverSide.setKeepAlive(true, 5000)).toBe(serverSide);
    expect(winsock.getIntOption(serverSide.stream.socket, winsock.SOL_SOCKET, winsock.SO_KEEPALIVE)).not.toBe(0);
    expect(serverSide.ref()).toBe(serverSide);
    expect(serverSide.unref()).toBe(serverSide);
    expect(serverSide.connecting).toBe(false);
    expect(serverSide.readyState).toBe('open');
    // Addresses stay known after close.
    serverSide.destroy();
    await next(serverSide, 'close');
    expect(serverSide.remotePort).toBe(got.clientSocket.localPort);
    expect(serverSide.setNoDelay()).toBe(serverSide); // a no-op once closed, as on net.Socket
  });

  test('destroy while a read waits closes the stream and raises no error', async () => {
    const { client, socket } = await duplexPair();
    const errors: Error[] = [];
    socket.on('error', (error) => errors.push(error));
    socket.resume(); // a read is now pending in the reactor
    await new Promise((resolve) => setImmediate(resolve));
    socket.destroy();
    await next(socket, 'close');
    // Let the rejected read's callback run.
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toEqual([]);
    expect(socket.stream.closed).toBe(true);
    // The client sees the server's close as end of stream.
    expect(await client.read(Buffer.alloc(8))).toBe(0);
  });

  /** A Node net client connected to `port`, destroyed after the test. */
  async function nodeClient(port: number): Promise<net.Socket> {
    const client = net.connect(port, '127.0.0.1');
    cleanups.push(() => client.destroy());
    await next(client, 'connect');
    return client;
  }

  /** The error Node's own net.Socket emits when its peer resets the connection during a read. */
  async function nodeResetError(): Promise<NodeJS.ErrnoException> {
    const server = net.createServer();
    cleanups.push(() => server.close());
    server.listen(0, '127.0.0.1');
    await next(server, 'listening');
    const accepted = next<[net.Socket]>(server, 'connection');
    const client = await nodeClient((server.address() as net.AddressInfo).port);
    const [socket] = await accepted;
    cleanups.push(() => socket.destroy());
    socket.resume();
    client.resetAndDestroy();
    const [error] = await next<[NodeJS.ErrnoException]>(socket, 'error');
    return error;
  }

  test("a peer's reset during a read is emitted as net.Socket emits it: code ECONNRESET, libuv's errno, syscall 'read'", async () => {
    const reference = await nodeResetError();
    reactor = new Reactor(mode);
    const listener = TcpListener.listen(reactor);
    cleanups.push(() => listener.close());
    const accepted = listener.accept();
    const client = await nodeClient(listener.address.port);
    const socket = toNodeDuplex(await accepted);
    cleanups.push(() => socket.destroy());
    socket.resume(); // a read waits in the reactor
    client.resetAndDestroy(); // SO_LINGER 0 and close: an RST
    const [error] = await next<[NodeSocketError]>(socket, 'error');
    expect(reference).toMatchObject({ code: 'ECONNRESET', syscall: 'read' });
    expect(error).toBeInstanceOf(NodeSocketError);
    expect({ code: error.code, errno: error.errno, syscall: error.syscall, message: error.message }).toEqual({
      code: reference.code, errno: reference.errno, syscall: reference.syscall, message: reference.message,
    });
    // The Windows name stays, and the WinError from recv is the cause.
    expect(error.winCode).toBe('WSAECONNRESET');
    expect(error.cause).toBeInstanceOf(WinError);
    expect(error.cause).toMatchObject({ code: 'ECONNRESET', winCode: 'WSAECONNRESET' });
  });

  test("an http server over winmux gets a client's reset mid-request as a clientError whose code is ECONNRESET", async () => {
    const { server, port, sockets } = serve(() => expect.fail('the request never completes'));
    const clientError = next<[NodeJS.ErrnoException, WinmuxSocket]>(server, 'clientError');
    const client = await nodeClient(port);
    client.write('GET /never HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Half: '); // headers not complete
    // Reset once the server has read the head's start (its parser holds a request in progress).
    while (sockets[0] === undefined || sockets[0].bytesRead === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    client.resetAndDestroy();
    const [error, socket] = await clientError;
    socket.destroy();
    expect(socket).toBe(sockets[0]);
    expect(error).toMatchObject({ code: 'ECONNRESET', syscall: 'read', winCode: 'WSAECONNRESET' });
  });

  test('destroySoon sends what was written, then FIN, then closes', async () => {
    const { client, socket } = await duplexPair();
    const body = pattern(256 * 1024, 11);
    socket.write(body);
    socket.destroySoon();
    const received: Buffer[] = [];
    const buffer = Buffer.alloc(65536);
    for (let n = await client.read(buffer); n > 0; n = await client.read(buffer)) received.push(Buffer.from(buffer.subarray(0, n)));
    expect(Buffer.concat(received).equals(body)).toBe(true);
    if (!socket.destroyed) await next(socket, 'close');
    expect(socket.stream.closed).toBe(true);
    expect(socket.bytesWritten).toBe(body.length);
  });

  test('small reads are not pinned to a 64 KiB buffer each: 1 MiB in 1 KiB pieces keeps ~1 MiB of buffers', async () => {
    const { client, socket } = await duplexPair();
    cleanups.push(() => socket.destroy());
    const kept: Buffer[] = [];
    let total = 0;
    let arrived: (() => void) | undefined;
    socket.on('data', (chunk: Buffer) => {
      kept.push(chunk);
      total += chunk.length;
      arrived?.();
    });
    const piece = Buffer.alloc(1024, 1);
    // One piece at a time, each read by the server before the next is sent: 1024 small reads.
    for (let i = 1; i <= 1024; i++) {
      const there = new Promise<void>((resolve) => (arrived = () => total >= i * 1024 && resolve()));
      await client.write(piece);
      await there;
    }
    expect(total).toBe(MiB);
    // What the kept chunks hold alive: their distinct backing ArrayBuffers.
    const backing = new Set(kept.map((chunk) => chunk.buffer));
    let retained = 0;
    for (const buffer of backing) retained += buffer.byteLength;
    expect(retained).toBeLessThan(2 * MiB);
  });
});
