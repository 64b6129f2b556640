// ReactorSocket: a socket owned by one object and waited on through a reactor. `close()` tells
// the reactor first (its waiters reject with ClosedResourceError), then closes the socket.
import * as sock from '../win32/winsock.ts';
import type { Reactor } from '../scheduler/reactor.ts';
import { ClosedResourceError } from '../errors.ts';

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
