// ReactorSocket: a socket owned by one object and waited on through a reactor. `close()` tells
// the reactor first (its waiters reject with ClosedResourceError), then closes the socket.
import * as sock from '../win32/winsock.ts';
import * as ws from '../win32/ws2_32.ts';
import type { Reactor } from '../scheduler/reactor.ts';
import { ClosedResourceError } from '../errors.ts';
import { resolveHost } from './resolve.ts';

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

/**
 * A new non-blocking socket bound to host:port (defaults 127.0.0.1 and a free port), then handed
 * to `make`; closed again if binding or `make` fails.
 */
export function openBound<T>(kind: 'tcp' | 'udp', options: { host?: string; port?: number }, make: (socket: sock.Socket) => T): T {
  const address = resolveHost(options.host ?? '127.0.0.1');
  const s = openSocket(address.family, kind);
  try {
    sock.bindSocket(s, address.address, options.port ?? 0);
    return make(s);
  } catch (error) {
    sock.closeQuietly(s);
    throw error;
  }
}

export abstract class ReactorSocket implements AsyncDisposable {
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

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  /** Throws ClosedResourceError once closed. */
  protected check(): void {
    if (this.#closed) throw new ClosedResourceError(`the ${this.#what} is closed`);
  }
}
