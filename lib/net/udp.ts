// UdpSocket: datagrams on top of the reactor. Sends use the kernel's buffering (a full buffer is
// an error, not a queue); receives wait for readiness and report the sender and truncation.
import * as sock from '../win32/winsock.ts';
import { ERROR, WinError } from '../win32/errors.ts';
import type { Reactor } from '../scheduler/reactor.ts';
import { resolveHost } from './resolve.ts';
import type { IoOptions } from './tcp.ts';
import { ReactorSocket, openBound } from './reactor-socket.ts';
import { Turn } from '../fair-share.ts';
import { checkBuffer } from '../buffers.ts';

export interface Received {
  data: Uint8Array;
  /** The datagram was longer than `maxSize`: `data` holds its start, the rest is lost. */
  truncated: boolean;
  address: string;
  port: number;
}

export class UdpSocket extends ReactorSocket {
  readonly #receiveTurn = new Turn();

  private constructor(reactor: Reactor, socket: sock.Socket) {
    super(reactor, socket, 'socket');
  }

  /** A socket bound to host:port (defaults 127.0.0.1 and a free port). */
  // `override`: a class's static side inherits Function.prototype.bind, which this shadows.
  static override bind(reactor: Reactor, options: { host?: string; port?: number } = {}): UdpSocket {
    return openBound('udp', options, (s) => new UdpSocket(reactor, s));
  }

  /**
   * Sends one datagram. The kernel buffers it; if its buffer is full this throws WinError
   * WSAEWOULDBLOCK saying so (UDP has no backpressure to wait for: retry later or drop).
   */
  send(data: Uint8Array, host: string, port: number): void {
    this.check();
    checkBuffer(data, 'UdpSocket.send: data');
    const address = resolveHost(host);
    if (sock.sendTo(this.socket, data, address.address, port) === null) {
      throw new WinError('sendto', ERROR.WSAEWOULDBLOCK, { detail: 'the socket send buffer is full' });
    }
  }

  /** The next datagram, with its sender; `maxSize` (default 65536) bounds what is kept of it. */
  async receive(options: IoOptions & { maxSize?: number } = {}): Promise<Received> {
    const buffer = new Uint8Array(options.maxSize ?? 65536);
    for (let waited = false; ; waited = true) {
      this.check();
      const got = sock.recvFrom(this.socket, buffer);
      if (got !== null) {
        const turn = this.reactor.yieldIfDue(this.#receiveTurn, waited);
        if (turn !== undefined) await turn;
        return { data: buffer.slice(0, got.bytes), truncated: got.truncated, address: got.from.address, port: got.from.port };
      }
      await this.reactor.waitReadable(this.socket, options);
    }
  }
}
