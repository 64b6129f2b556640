// ReactorSocket: a socket owned by one object and waited on through a reactor. `close()` tells
// the reactor first (its waiters reject with ClosedResourceError), then closes the socket.
import * as sock from '../win32/winsock.ts';
import * as ws from '../win32/ws2_32.ts';
import type { Reactor } from '../scheduler/reactor.ts';
import { ClosedResourceError } from '../core/errors.ts';
import { checkHost, checkPort, isLocalhost, numericAddress } from './resolve.ts';
import { checkSignal } from '../core/abort.ts';
import { checkOptions } from '../core/arguments.ts';

/** A new non-blocking TCP or UDP socket of the address family. */
export function openSocket(family: 'IPv4' | 'IPv6', kind: 'tcp' | 'udp'): sock.Socket {
  const s = sock.createSocket(
    family === 'IPv6' ? ws.AF_INET6 : ws.AF_INET,
    kind === 'tcp' ? ws.SOCK_STREAM : ws.SOCK_DGRAM,
    kind === 'tcp' ? ws.IPPROTO_TCP : ws.IPPROTO_UDP,
  );
  try {
    sock.setNonBlocking(s);
    return s;
  } catch (error) {
    sock.closeQuietly(s);
    throw error;
  }
}

export interface BindOptions {
  /**
   * An IP address, or `localhost` (127.0.0.1), default 127.0.0.1. Binding is synchronous, so a
   * host name is a TypeError: resolve it first with `await lookupHost(name)`.
   */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Binding never waits: an already-aborted signal throws its reason before anything is opened. */
  signal?: AbortSignal;
}

/**
 * A new non-blocking socket bound to host:port, then handed to `make`; closed again if binding or
 * `make` fails.
 */
export function openBound<T>(kind: 'tcp' | 'udp', options: BindOptions, make: (socket: sock.Socket) => T): T {
  const what = kind === 'tcp' ? 'TcpListener.listen' : 'UdpSocket.bind';
  options = checkOptions(options, `${what}: options`);
  const signal = checkSignal(options.signal, `${what}: signal`);
  const host = checkHost(options.host === undefined ? '127.0.0.1' : options.host, `${what}: host`);
  const port = checkPort(options.port === undefined ? 0 : options.port, `${what}: port`);
  if (signal?.aborted) throw signal.reason;
  const address = isLocalhost(host) ? { family: 'IPv4' as const, address: '127.0.0.1' } : numericAddress(host);
  if (address === undefined) {
    throw new TypeError(`${JSON.stringify(host)} is a host name: binding is synchronous, so resolve it first (await lookupHost(name)) and bind an address`);
  }
  const s = openSocket(address.family, kind);
  try {
    sock.bindSocket(s, address.address, port);
    return make(s);
  } catch (error) {
    sock.closeQuietly(s);
    throw error;
  }
}

export abstract class ReactorSocket implements Disposable, AsyncDisposable {
  readonly socket: sock.Socket;
  protected readonly reactor: Reactor;
  readonly #what: string;
  #closed = false;

  protected constructor(reactor: Reactor, socket: sock.Socket, what: string) {
    this.reactor = reactor;
    this.socket = socket;
    this.#what = what;
  }

  /** The local address the socket is bound to. */
  get address(): sock.SocketAddress {
    this.check();
    return sock.localAddress(this.socket);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Closes the socket; pending operations reject with ClosedResourceError. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.reactor.notifyClosing(this.socket);
    sock.closeQuietly(this.socket);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  /** Throws ClosedResourceError once closed. */
  protected check(): void {
    if (this.#closed) throw new ClosedResourceError(`the ${this.#what} is closed`);
  }
}
