// WinmuxSocket (toNodeDuplex): a Node stream.Duplex over a TcpStream, shaped like a net.Socket
// where Node's http and most Node libraries look (addresses, idle timeout, no-delay, keep-alive,
// byte counts), so `httpServer.emit('connection', socket)` or `serveHttp` serves it. Its reads and
// writes go through the reactor: they progress while the reactor runs (a guest reactor always
// does; a host one inside `reactor.run`). Its errors are Node's, not winmux's: a WinError met in a
// read, write or shutdown is emitted as a NodeSocketError (`code` ECONNRESET, `errno` libuv's
// number, `syscall` 'read'), the error net.Socket gives, since Node's http and code written for
// `net` test `err.code` against libuv's names.
import { Duplex } from 'node:stream';
import { TcpStream, type TcpListener } from './tcp.ts';
import { checkInteger, checkOptions } from '../core/arguments.ts';
import type { SocketAddress } from '../win32/winsock.ts';
import { ClosedResourceError, NodeSocketError } from '../core/errors.ts';
import { checkDuration } from '../core/durations.ts';

export interface NodeDuplexOptions {
  /** Bytes asked of each read, default 65536. */
  chunkSize?: number;
}

/** A read at least this share of the buffer hands the buffer itself over; a smaller one is copied. */
const HAND_OVER_FRACTION = 0.5;

export class WinmuxSocket extends Duplex {
  readonly stream: TcpStream;
  /**
   * The server that was given this connection (`serveHttp` sets it), as on a net.Socket: Node's
   * http server emits its 'timeout' through `socket.server`. Set it yourself when you emit
   * 'connection' on a server by hand.
   */
  server: ConnectionSink | null = null;
  readonly #chunkSize: number;
  /** The read buffer, kept across reads while they are small (see #read). */
  #buffer: Buffer | undefined;
  #reading = false;
  #bytesRead = 0;
  #bytesWritten = 0;
  /** Addresses, looked up on first use and kept: after close the socket can no longer say. */
  #local: SocketAddress | undefined;
  #remote: SocketAddress | undefined;
  /** The idle timer of `setTimeout`: refreshed by every read and write, like net.Socket's. */
  #idleTimer: NodeJS.Timeout | undefined;
  /** The idle timeout in ms; 0: off (the timer, if any, then fires without effect). */
  #idleMs = 0;
  /** The duration `#idleTimer` was made with (it outlives a disarm, to be refreshed by the next arm). */
  #idleTimerMs = 0;

  /** Wraps `stream`; the socket owns it from now on (destroying the socket closes it). */
  constructor(stream: TcpStream, options: NodeDuplexOptions = {}) {
    // allowHalfOpen: the peer's FIN ends the readable side only, as on a net.Socket that Node's
    // http server makes (it decides itself whether to end its side).
    if (!(stream instanceof TcpStream)) throw new TypeError(`toNodeDuplex: stream must be a TcpStream, got ${stream === null ? 'null' : typeof stream}`);
    if (stream.closed) throw new ClosedResourceError('toNodeDuplex: the stream is closed');
    options = checkOptions(options, 'toNodeDuplex: options');
    const chunkSize = checkInteger(options.chunkSize === undefined ? 65536 : options.chunkSize, 'toNodeDuplex: chunkSize', 1, 2 ** 31 - 1);
    super({ allowHalfOpen: true });
    this.stream = stream;
    this.#chunkSize = chunkSize;
  }

  override _read(): void {
    if (this.#reading) return;
    this.#reading = true;
    // A slice of a fresh 64 KiB buffer per read keeps all 64 KiB alive as long as the slice is:
    // 1 MB arriving in 1 KiB pieces pinned 51–55 MiB (Node's own socket: about 1 MB). Small reads
    // are copied out of a kept buffer instead; a large one hands the buffer over (copying it would
    // cost more than the retention it saves).
    const buffer = (this.#buffer ??= Buffer.allocUnsafe(this.#chunkSize));
    this.stream.read(buffer).then(
      (n) => {
        this.#reading = false;
        if (this.destroyed) return;
        if (n === 0) {
          this.push(null);
          return;
        }
        this.#bytesRead += n;
        this.#active();
        let chunk: Buffer;
        if (n >= buffer.length * HAND_OVER_FRACTION) {
          chunk = buffer.subarray(0, n);
          this.#buffer = undefined;
        } else {
          chunk = Buffer.from(buffer.subarray(0, n));
        }
        this.push(chunk);
      },
      (error: unknown) => {
        this.#reading = false;
        // Our own destroy closed the stream under the read: that is no error.
        if (this.destroyed && error instanceof ClosedResourceError) return;
        this.destroy(NodeSocketError.from(error, 'read'));
      },
    );
  }

  override _write(data: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#send(data, callback);
  }

  // Corked writes (Node's http writes head and body this way) go out as one send: under Wine each
  // send is a system call that costs wineserver round trips.
  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    this.#send(chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk)), callback);
  }

  #send(data: Buffer, callback: (error?: Error | null) => void): void {
    this.stream.write(data).then(
      () => {
        this.#bytesWritten += data.length;
        this.#active();
        callback();
      },
      (error: unknown) => callback(this.destroyed && error instanceof ClosedResourceError ? null : NodeSocketError.from(error, 'write')),
    );
  }

  override _final(callback: (error?: Error | null) => void): void {
    try {
      if (!this.stream.closed) this.stream.shutdownWrite();
      callback();
    } catch (error) {
      callback(NodeSocketError.from(error, 'shutdown'));
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#clearIdleTimer();
    this.stream.close();
    callback(error);
  }

  /**
   * Emits 'timeout' once `ms` pass without a read or a write (again after the next activity), as
   * net.Socket does; the socket stays open (a 'timeout' listener decides). 0 turns it off. The
   * timer is unref'd: it never holds the process. `callback` becomes a 'timeout' listener (with 0,
   * it is removed).
   */
  setTimeout(ms: number, callback?: () => void): this {
    const duration = checkDuration(ms, 'WinmuxSocket.setTimeout: ms');
    if (duration === 0 || duration === Infinity) {
      // Disarmed, not cleared: Node's http turns the timeout off and on again for every request,
      // and a timer reused by `refresh()` costs less than a new one each time.
      this.#idleMs = 0;
      if (callback !== undefined) this.removeListener('timeout', callback);
      return this;
    }
    if (!this.destroyed) {
      // Node's http disarms the timeout when a request comes and arms it again (keepAliveTimeout)
      // when its response is done: the same duration again refreshes the timer it already has.
      if (this.#idleTimer !== undefined && duration === this.#idleTimerMs) {
        this.#idleTimer.refresh();
      } else {
        this.#clearIdleTimer();
        this.#idleTimer = setTimeout(this.#onIdle, duration).unref();
        this.#idleTimerMs = duration;
      }
      this.#idleMs = duration;
    }
    if (callback !== undefined) this.once('timeout', callback);
    return this;
  }

  readonly #onIdle = (): void => {
    if (this.#idleMs > 0) this.emit('timeout');
  };

  /** A read or a write: the idle timeout starts again. */
  #active(): void {
    if (this.#idleMs > 0) this.#idleTimer?.refresh();
  }

  #clearIdleTimer(): void {
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    this.#idleMs = 0;
    this.#idleTimerMs = 0;
  }

  /** TCP_NODELAY (on by default on a TcpStream). A no-op once destroyed, as on net.Socket. */
  setNoDelay(noDelay = true): this {
    if (!this.stream.closed) this.stream.setNoDelay(noDelay);
    return this;
  }

  /** SO_KEEPALIVE, and the idle time before the first probe (`initialDelayMs`, whole seconds). */
  setKeepAlive(enable = false, initialDelayMs = 0): this {
    if (!this.stream.closed) this.stream.setKeepAlive(enable, initialDelayMs);
    return this;
  }

  /** Ends the writable side, then destroys the socket once the last byte is written. */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }

  /**
   * No-ops: what holds the process is the reactor (`reactor.ref()`/`unref()`), not a socket, since
   * a socket's waits are the reactor's. They exist because Node code calls them.
   */
  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  get bytesRead(): number {
    return this.#bytesRead;
  }

  /** Bytes the kernel has taken (not those still queued in this stream). */
  get bytesWritten(): number {
    return this.#bytesWritten;
  }

  /** Never connecting: a WinmuxSocket wraps a connected stream. */
  get connecting(): boolean {
    return false;
  }

  get readyState(): 'open' | 'readOnly' | 'writeOnly' | 'closed' {
    if (this.destroyed) return 'closed';
    if (this.readable && this.writable) return 'open';
    return this.readable ? 'readOnly' : this.writable ? 'writeOnly' : 'closed';
  }

  get remoteAddress(): string | undefined {
    return this.#peer()?.address;
  }

  get remotePort(): number | undefined {
    return this.#peer()?.port;
  }

  get remoteFamily(): string | undefined {
    return this.#peer()?.family;
  }

  get localAddress(): string | undefined {
    return this.#self()?.address;
  }

  get localPort(): number | undefined {
    return this.#self()?.port;
  }

  get localFamily(): string | undefined {
    return this.#self()?.family;
  }

  /** `{ address, family, port }` of the local end, as net.Socket's `address()`; `{}` once closed before first asked. */
  address(): { address: string; family: string; port: number } | Record<string, never> {
    const local = this.#self();
    return local === undefined ? {} : { address: local.address, family: local.family, port: local.port };
  }

  #peer(): SocketAddress | undefined {
    if (this.#remote === undefined && !this.stream.closed) {
      try {
        this.#remote = this.stream.remoteAddress;
      } catch {
        // Not connected any more (reset): undefined, as on a net.Socket.
      }
    }
    return this.#remote;
  }

  #self(): SocketAddress | undefined {
    if (this.#local === undefined && !this.stream.closed) {
      try {
        this.#local = this.stream.localAddress;
      } catch {
        // As above.
      }
    }
    return this.#local;
  }
}

/** A WinmuxSocket over `stream` (kept under its first name). */
export function toNodeDuplex(stream: TcpStream, options: NodeDuplexOptions = {}): WinmuxSocket {
  return new WinmuxSocket(stream, options);
}

/** What `serveHttp` needs of a server: an http.Server or https.Server, or any net.Server. */
export interface ConnectionSink {
  emit(event: string, ...args: unknown[]): boolean;
}

/**
 * Accepts on `listener` until it is closed and hands each connection to `server` (an
 * `http.Server`, say) as a WinmuxSocket with `socket.server` set, as its own listening socket
 * would. It first emits 'listening' on `server`: Node's http server starts the periodic check
 * behind `requestTimeout` and `headersTimeout` on that event (`server.close()` stops it). Resolves
 * when the listener is closed; rejects with any other accept error (and accepts no more).
 */
export async function serveHttp(listener: TcpListener, server: ConnectionSink, options: NodeDuplexOptions = {}): Promise<void> {
  server.emit('listening');
  for await (const stream of listener) {
    const socket = new WinmuxSocket(stream, options);
    socket.server = server;
    server.emit('connection', socket);
  }
}
