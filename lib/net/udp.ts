// UdpSocket: datagrams on top of the reactor. Sends use the kernel's buffering (a full buffer is
// an error, not a queue); receives wait for readiness and report the sender and truncation.
import * as sock from '../win32/winsock.ts';
import { ERROR, WinError } from '../core/windows-errors.ts';
import type { Reactor } from '../scheduler/reactor.ts';
import { checkHost, checkPort, isLocalhost, numericAddress } from './resolve.ts';
import { checkInteger, checkOptions } from '../core/arguments.ts';
import { checkOpenReactor } from '../scheduler/check-reactor.ts';
import type { IoOptions } from './tcp.ts';
import { type BindOptions, ReactorSocket, openBound } from './reactor-socket.ts';
import { ClosedResourceError } from '../core/errors.ts';
import { Turn } from '../loop/fair-share.ts';
import { checkBuffer } from '../core/buffers.ts';
import { untilClosed } from '../core/until-closed.ts';
import { checkSignal } from '../core/abort.ts';

export interface Received {
  data: Uint8Array;
  /** The datagram was longer than `maxSize`: `data` holds its start, the rest is lost. */
  truncated: boolean;
  address: string;
  port: number;
}

export class UdpSocket extends ReactorSocket implements AsyncIterable<Received> {
  readonly #receiveTurn = new Turn();

  private constructor(reactor: Reactor, socket: sock.Socket) {
    super(reactor, socket, 'socket');
  }

  /**
   * A socket bound to host:port (defaults 127.0.0.1 and a free port); `host` is an IP address or
   * `localhost` (a host name is a TypeError: resolve it with `lookupHost`).
   */
  // `override`: a class's static side inherits Function.prototype.bind, which this shadows.
  static override bind(reactor: Reactor, options: BindOptions = {}): UdpSocket {
    checkOpenReactor(reactor, 'UdpSocket.bind: reactor');
    return openBound('udp', options, (s) => new UdpSocket(reactor, s));
  }

  /**
   * Sends one datagram to an IP address, or to `localhost` (the loopback of this socket's
   * family). No name lookup: a send is synchronous, and datagrams must not wait on a resolver;
   * resolve names once with `lookupHost`. The kernel buffers the datagram; if its buffer is full
   * this throws WinError WSAEWOULDBLOCK saying so (UDP has no backpressure to wait for: retry later
   * or drop).
   */
  send(data: Uint8Array, host: string, port: number): void {
    this.check();
    checkBuffer(data, 'UdpSocket.send: data');
    checkHost(host, 'UdpSocket.send: host');
    checkPort(port, 'UdpSocket.send: port');
    const address = isLocalhost(host) ? (this.address.family === 'IPv6' ? '::1' : '127.0.0.1') : numericAddress(host)?.address;
    if (address === undefined) {
      throw new TypeError(`UdpSocket.send: ${JSON.stringify(host)} is not an IP address (resolve names first, with lookupHost)`);
    }
    if (sock.sendTo(this.socket, data, address, port) === null) {
      throw new WinError('sendto', ERROR.WSAEWOULDBLOCK, { detail: 'the socket send buffer is full' });
    }
  }

  /**
   * The next datagram, with its sender; `maxSize` (default 65536) bounds what is kept of it. An
   * already-aborted `signal` rejects with its reason and takes no datagram, even with one waiting.
   */
  async receive(options: IoOptions & { maxSize?: number } = {}): Promise<Received> {
    options = checkOptions(options, 'UdpSocket.receive: options');
    const buffer = new Uint8Array(checkInteger(options.maxSize === undefined ? 65536 : options.maxSize, 'UdpSocket.receive: maxSize', 1, 2 ** 31 - 1));
    const signal = checkSignal(options.signal, 'UdpSocket.receive: signal');
    this.check();
    // Before recvfrom: a queued datagram would be taken and returned.
    if (signal?.aborted) throw signal.reason;
    // ends: a datagram arrives, or recvfrom throws; each retry first waits for readiness, which a close or an abort rejects
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

  /** The datagrams as they come (`receive()` in a loop); ends when the socket is closed. */
  [Symbol.asyncIterator](): AsyncIterator<Received> {
    return untilClosed(() => this.receive(), () => this.closed);
  }
}
