// The Node-side counterparts of net.connect and a net.Server's 'connection' event, for libraries
// that take a socket (ws, Node's http client, anything written for `net`): a connect that
// resolves to a WinmuxSocket (a stream.Duplex shaped like a net.Socket), the callback form Node's
// http.request and ws accept as `createConnection`, and the accept side as an async iterable of
// WinmuxSockets. All of them are TcpStream and toNodeDuplex underneath; errors are as
// TcpStream.connect gives them (WinError, `code` Node's: `err.code === 'ECONNREFUSED'`).
import type { Duplex } from 'node:stream';
import { TcpListener, TcpStream } from './tcp.ts';
import { WinmuxSocket, type NodeDuplexOptions } from './duplex.ts';
import { checkOptions } from '../core/arguments.ts';
import type { Reactor } from '../scheduler/reactor.ts';

export interface ConnectSocketOptions extends NodeDuplexOptions {
  /** Aborts the lookup and the connect (not the socket once connected). */
  signal?: AbortSignal;
  /** Gives up after this many ms, lookup and every address included. */
  timeoutMs?: number;
}

/**
 * Connects to `host`:`port` (default host `localhost`, as net.connect's) and resolves to a
 * WinmuxSocket over the connection: winmux's `net.connect`, for code that wants a Node Duplex.
 * The socket's reads and writes go through `reactor` (a guest reactor: always; a host one:
 * inside `reactor.run`). Rejects as `TcpStream.connect` does: a refusal is a WinError whose
 * `code` is `ECONNREFUSED`.
 */
export async function connectSocket(reactor: Reactor, port: number, host = 'localhost', options: ConnectSocketOptions = {}): Promise<WinmuxSocket> {
  options = checkOptions(options, 'connectSocket: options');
  const stream = await TcpStream.connect(reactor, host, port, { signal: options.signal, timeoutMs: options.timeoutMs });
  try {
    return new WinmuxSocket(stream, { chunkSize: options.chunkSize });
  } catch (error) {
    stream.close();
    throw error;
  }
}

/**
 * The `createConnection` that Node's http.request (and ws, which passes it on) calls: connection
 * options in, a socket to the callback (the type http's ClientRequestArgs declares). ws's own
 * types declare net.createConnection's instead: there, cast (`as unknown as typeof
 * net.createConnection`); ws calls it as http does.
 */
export type CreateConnection = (options: { host?: string | null | undefined; hostname?: string | null | undefined; port?: number | string | null | undefined }, callback: (error: Error | null, socket: Duplex) => void) => undefined;

/**
 * A `createConnection` for Node's http.request, http.Agent or ws's WebSocket: each connection it
 * is asked for is made by `connectSocket` on `reactor`, and handed over through the callback (the
 * asynchronous form Node's ClientRequest accepts). The host comes from the request's `hostname`
 * or `host`; the port from its `port` (80 if none).
 *
 *   new WebSocket('ws://127.0.0.1:8080/', { createConnection: socketConnector(reactor) })
 */
export function socketConnector(reactor: Reactor, options: ConnectSocketOptions = {}): CreateConnection {
  options = checkOptions(options, 'socketConnector: options');
  return (request, callback) => {
    const host = request.hostname ?? request.host ?? 'localhost';
    const port = request.port === undefined || request.port === null || request.port === '' ? 80 : Number(request.port);
    connectSocket(reactor, port, host, options).then(
      (socket) => callback(null, socket),
      (error: unknown) => callback(error as Error, undefined as never),
    );
    return undefined;
  };
}

/**
 * The connections `listener` accepts, each as a WinmuxSocket, until the listener is closed (the
 * iteration then ends); any other accept error ends it with that error. What a net.Server's
 * 'connection' event gives, as a loop:
 *
 *   for await (const socket of acceptSockets(listener)) socket.pipe(socket);
 */
export function acceptSockets(listener: TcpListener, options: NodeDuplexOptions = {}): AsyncGenerator<WinmuxSocket, void, undefined> {
  // Checked here, at the call: a generator's own body would not run until the first next().
  if (!(listener instanceof TcpListener)) throw new TypeError(`acceptSockets: listener must be a TcpListener, got ${listener === null ? 'null' : typeof listener}`);
  return sockets(listener, checkOptions(options, 'acceptSockets: options'));
}

async function* sockets(listener: TcpListener, options: NodeDuplexOptions): AsyncGenerator<WinmuxSocket, void, undefined> {
  for await (const stream of listener) yield new WinmuxSocket(stream, options);
}
