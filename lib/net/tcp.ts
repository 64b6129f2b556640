// TCP on top of the reactor: TcpListener and TcpStream. Non-blocking Winsock underneath: a call
// that would block (WSAEWOULDBLOCK) waits for readiness, then retries. Errors are WinErrors with
// the Winsock names (WSAECONNREFUSED, WSAECONNRESET, …). TCP_NODELAY is on by default.
import * as ws from '../win32/ws2_32.ts';
import * as sock from '../win32/winsock.ts';
import { ERROR, WinError } from '../core/windows-errors.ts';
import type { Reactor } from '../scheduler/reactor.ts';
import { BusyResourceError, ClosedResourceError, WriteAbortedError } from '../core/errors.ts';
import { type ResolvedAddress, checkHost, checkPort, lookupHost } from './resolve.ts';
import { ACCEPTS_PER_ITERATION, Turn } from '../loop/fair-share.ts';
import { type BindOptions, ReactorSocket, openBound, openSocket } from './reactor-socket.ts';
import { checkBuffer } from '../core/buffers.ts';
import { checkSignal } from '../core/abort.ts';
import { checkBoolean, checkInteger, checkOptions } from '../core/arguments.ts';
import { checkOpenReactor, checkReactor } from '../scheduler/check-reactor.ts';
import { checkDuration, timeoutError } from '../core/durations.ts';
import { untilClosed } from '../core/until-closed.ts';

export interface IoOptions {
  signal?: AbortSignal;
}

/** An AbortSignal that aborts when any of `signals` does. */
function anySignal(signals: (AbortSignal | undefined)[]): AbortSignal | undefined {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  return present.length <= 1 ? present[0] : AbortSignal.any(present);
}

/** The zero-byte send of `TcpStream.#throwIfReset`. */
const NOTHING = new Uint8Array(0);
/**
 * After a recv tried at once after a short read said WSAEWOULDBLOCK (the peer answers slower than
 * this task's write and its way back to the read), how many reads after a short read wait first
 * (see `TcpStream.read`) before that recv is tried again. 1 in 9 then costs a recv and
 * WSAGetLastError more; a peer that has become fast waits at most 8 reads to be read at once again.
 */
const PATIENT_READS = 8;

/**
 * Guest mode, and AFD readiness: after a recv an iteration after a short read said WSAEWOULDBLOCK, how many reads
 * after a short read wait for readiness before that recv is tried again. 1 in 8 then costs
 * select(0)/GetQueuedCompletionStatusEx(0), recv and WSAGetLastError more; a peer that has become
 * fast waits at most 8 reads to be served inline again.
 */
const READINESS_READS = 8;

/**
 * How the recv of a read after a short read came to be tried — a miss makes the stream's next
 * reads wait longer first: 'at once' (no wait: the loop has not polled since the short read),
 * 'after an iteration' (guest mode, AFD readiness), or 'plainly' (not after a short read of the
 * same iteration, or after a readiness wait).
 */
type Tried = 'plainly' | 'at once' | 'after an iteration';

export class TcpStream extends ReactorSocket {
  /** The last read returned less than its buffer: the kernel's buffer was empty after it. */
  #lastReadShort = false;
  /**
   * Reads after a short read that wait first (`#waitAfterShortRead`) before a recv at once is tried
   * again, set to PATIENT_READS when one said WSAEWOULDBLOCK. See `read`.
   */
  #patientReadsLeft = 0;
  /**
   * Guest mode and AFD readiness: reads after a short read that wait for readiness before trying the next
   * iteration's recv again, set when that recv said WSAEWOULDBLOCK (the peer answers slower than
   * an iteration). See `read`.
   */
  #readinessReadsLeft = 0;
  /** A read (or a write) is in progress: a second one at the same time would take its bytes. */
  #reading = false;
  #writing = false;
  /** Fairness: each side's turn in the loop iteration (lib/loop/fair-share.ts). */
  readonly #readTurn = new Turn();
  readonly #writeTurn = new Turn();
  /**
   * Learns which loop iteration a read starts in: `yieldIfDue(turn, true)` never defers, and it
   * sets `turn.iteration` to the current one (as it set #readTurn's when the last read completed).
   */
  readonly #clock = new Turn(Number.MAX_SAFE_INTEGER);

  /** Wraps a connected non-blocking socket (an accepted one, say); the stream owns it from now on. */
  constructor(reactor: Reactor, socket: sock.Socket) {
    super(checkReactor(reactor, 'new TcpStream: reactor'), sock.toSocket(socket), 'stream');
    sock.setIntOption(socket, ws.IPPROTO_TCP, ws.TCP_NODELAY, 1);
  }

  /**
   * Connects to host:port. `host` is an IP address or a name: a name is looked up off the loop
   * (`lookupHost`; `localhost` is 127.0.0.1 then ::1) and its addresses are tried one after the
   * other, each with what remains of `timeoutMs`, until one connects (Node's `autoSelectFamily`,
   * without the overlap). `timeoutMs` and `signal` cover the lookup and every attempt. A refused
   * connection rejects with WinError ECONNREFUSED (`winCode` WSAECONNREFUSED); when several
   * addresses all failed, with an AggregateError of the attempts' errors, `code`, `errno`,
   * `winCode`, `winErrno` and `syscall` the first one's; a name that does not resolve, with Node's dns error (ENOTFOUND).
   */
  static async connect(reactor: Reactor, host: string, port: number, options: IoOptions & { timeoutMs?: number } = {}): Promise<TcpStream> {
    checkReactor(reactor, 'TcpStream.connect: reactor');
    options = checkOptions(options, 'TcpStream.connect: options');
    const userSignal = checkSignal(options.signal, 'TcpStream.connect: signal');
    const timeoutMs = options.timeoutMs === undefined ? undefined : checkDuration(options.timeoutMs, 'TcpStream.connect: timeoutMs');
    checkHost(host, 'TcpStream.connect: host');
    checkPort(port, 'TcpStream.connect: port');
    if (userSignal?.aborted) throw userSignal.reason;
    // The timeout is a reactor sleep cancelled the moment the attempt ends, so no timer outlives
    // the connect (a timeoutSignal would keep its timer until its deadline).
    const endTimer = new AbortController();
    const timedOut = timeoutMs === undefined ? undefined : new AbortController();
    if (timedOut !== undefined) {
      reactor.sleep(timeoutMs!, { signal: endTimer.signal }).then(() => timedOut.abort(timeoutError()), () => {});
    }
    try {
      const signal = anySignal([userSignal, timedOut?.signal]);
      const addresses = await lookupHost(host, { signal });
      const failures: WinError[] = [];
      const tried: string[] = [];
      for (const address of addresses) {
        // An abort between two attempts: a loopback connect can succeed at once, without a wait
        // that would see the signal.
        if (signal?.aborted) throw signal.reason;
        try {
          return await TcpStream.#connectTo(reactor, address, port, signal);
        } catch (error) {
          // A refusal, an unreachable address, a family this system lacks: try the next. An
          // abort, a timeout or a closed reactor ends the whole connect.
          if (!(error instanceof WinError)) throw error;
          failures.push(error);
          tried.push(`${address.address} ${error.winCode}`);
        }
      }
      if (failures.length === 1) throw failures[0];
      const first = failures[0]!;
      throw Object.assign(new AggregateError(failures, `connect to ${host}:${port} failed on ${failures.length} addresses (${tried.join(', ')})`), {
        code: first.code,
        errno: first.errno,
        winCode: first.winCode,
        winErrno: first.winErrno,
        syscall: first.syscall,
      });
    } finally {
      endTimer.abort();
    }
  }

  /** One connect attempt on a fresh socket, closed again if the attempt fails. */
  static async #connectTo(reactor: Reactor, address: ResolvedAddress, port: number, signal: AbortSignal | undefined): Promise<TcpStream> {
    const s = openSocket(address.family, 'tcp');
    try {
      if (!sock.connectSocket(s, address.address, port)) {
        await reactor.waitWritable(s, signal ? { signal } : {});
        // A failed non-blocking connect reports its error through SO_ERROR (getsockopt).
        const errno = sock.socketError(s);
        if (errno !== 0) throw new WinError('connect', errno, { address: address.address, port, detail: `${address.address}:${port}` });
      }
      return new TcpStream(reactor, s);
    } catch (error) {
      reactor.notifyClosing(s);
      sock.closeQuietly(s);
      throw error;
    }
  }

  get localAddress(): sock.SocketAddress {
    return this.address;
  }

  get remoteAddress(): sock.SocketAddress {
    this.check();
    return sock.remoteAddress(this.socket);
  }

  setNoDelay(noDelay = true): void {
    this.check();
    checkBoolean(noDelay, 'TcpStream.setNoDelay: noDelay', true);
    sock.setIntOption(this.socket, ws.IPPROTO_TCP, ws.TCP_NODELAY, noDelay ? 1 : 0);
  }

  /**
   * SO_KEEPALIVE; `initialDelayMs` > 0 also sets the idle time before the first probe (whole
   * seconds, at least 1) where the system has TCP_KEEPALIVE (Windows 10 1709+; Wine 8 has not:
   * WSAENOPROTOOPT, and the system's default delay applies).
   */
  setKeepAlive(enable: boolean, initialDelayMs = 0): void {
    this.check();
    sock.setIntOption(this.socket, ws.SOL_SOCKET, ws.SO_KEEPALIVE, enable ? 1 : 0);
    if (!enable || initialDelayMs <= 0) return;
    try {
      sock.setIntOption(this.socket, ws.IPPROTO_TCP, ws.TCP_KEEPALIVE, Math.max(1, Math.floor(initialDelayMs / 1000)));
    } catch (error) {
      if (!(error instanceof WinError && error.winCode === 'WSAENOPROTOOPT')) throw error;
    }
  }

  /**
   * Reads what is there into `buffer` (waiting for at least one byte): the byte count, 0 at end of
   * stream. One read at a time: a second one while the first waits gets BusyResourceError. An
   * already-aborted `signal` rejects with its reason and reads nothing, even with bytes waiting.
   */
  async read(buffer: Uint8Array, options: IoOptions = {}): Promise<number> {
    this.check();
    checkBuffer(buffer, 'TcpStream.read: buffer', { forRead: true });
    options = checkOptions(options, 'TcpStream.read: options');
    const signal = checkSignal(options.signal, 'TcpStream.read: signal');
    if (this.#reading) throw new BusyResourceError('another task is already reading from this stream');
    // Before recv: with bytes waiting, recv would take them and the read would resolve.
    if (signal?.aborted) throw signal.reason;
    this.#reading = true;
    try {
      // The last read was short: it emptied the kernel's buffer. If it completed in this very
      // iteration, the loop has not polled since; a read that starts in a later iteration (its
      // task did something else in between, or was deferred) simply tries recv: the loop has
      // polled since.
      //
      // In the same iteration, recv is tried at once anyway, as Trio and asyncio always do: the
      // task has usually just written a request or an echo, and whether the peer's answer is
      // there yet depends on how long that write and the way back to this read took. Under Wine
      // they take longer than a loopback peer's answer (a send is three wineserver requests):
      // the bytes are there, and a one-connection echo round trip is recv and send, 2 native
      // calls, with no poll at all; the iteration comes once the fair share's slice has passed
      // (lib/loop/fair-share.ts). On Windows a send returns in microseconds, and a
      // request/response peer will often not have answered yet: then recv says WSAEWOULDBLOCK,
      // and the next PATIENT_READS reads after a short read wait first, as below, before one is
      // tried at once again — 1 in 9 costs a recv and WSAGetLastError more. Detected per stream
      // from what recv says, not from the platform. Counted by bench/echo-calls.ts and
      // test/net/call-count.test.ts.
      //
      // Waiting first (`#waitAfterShortRead`): host mode with select or WSAPoll waits for
      // readiness — the next iteration's poll, which comes anyway, reports the socket once the
      // bytes are there: select, recv, send per round trip, the C select server's 3 native calls.
      // A guest reactor waits for the next iteration, then tries recv: that iteration runs inline
      // (from process.nextTick, lib/guest/guest-loop.ts), so a peer that has answered by then
      // costs neither a turn of Node's loop nor a hand-off to the helper thread, where a
      // readiness wait costs both whenever the poll after it finds nothing yet. So does a reactor
      // whose readiness comes through its port (AFD): a readiness packet waits behind every
      // completion queued before it, so a read that waits for readiness waits out any flood of
      // completions (seen under Wine, where a thread posting at full speed keeps the port's
      // backlog from draining: the fairness test's round trips during the flood never
      // completed), where a recv tried after an iteration does not. When that recv says
      // WSAEWOULDBLOCK (a peer slower than an iteration) the next READINESS_READS of those waits
      // are for readiness instead, as in host mode, then it tries again.
      let waited = false;
      let tried: Tried = 'plainly';
      if (this.#lastReadShort) {
        this.reactor.yieldIfDue(this.#clock, true);
        if (this.#clock.iteration === this.#readTurn.iteration) {
          if (this.#patientReadsLeft === 0) {
            tried = 'at once';
          } else {
            this.#patientReadsLeft--;
            tried = await this.#waitAfterShortRead(options, signal);
            waited = true;
          }
        }
      }
      // ends: recv returns bytes or end of stream, or throws; each retry first waits (for readiness, or an iteration), which a close or an abort ends
      for (;;) {
        this.check();
        const n = sock.recvSome(this.socket, buffer);
        if (n === 0) this.#throwIfReset();
        if (n !== null) {
          this.#lastReadShort = n > 0 && n < buffer.length;
          // The bytes are ours now: a deferral for fairness delays the task, never the data.
          const turn = this.reactor.yieldIfDue(this.#readTurn, waited);
          if (turn !== undefined) await turn;
          return n;
        }
        if (tried === 'at once') {
          this.#patientReadsLeft = PATIENT_READS;
          tried = await this.#waitAfterShortRead(options, signal);
        } else {
          if (tried === 'after an iteration') this.#readinessReadsLeft = READINESS_READS;
          tried = 'plainly';
          await this.reactor.waitReadable(this.socket, options);
        }
        waited = true;
      }
    } finally {
      this.#reading = false;
    }
  }

  /**
   * A read after a short read in the same iteration waits first (see `read`): for the next
   * iteration on a guest reactor or with AFD readiness (returns 'after an iteration': its recv is
   * a try), else — or for READINESS_READS reads after such a try found nothing — for readiness.
   */
  async #waitAfterShortRead(options: IoOptions, signal: AbortSignal | undefined): Promise<Tried> {
    if ((this.reactor.guest || this.reactor.readinessQueuedOnPort) && this.#readinessReadsLeft === 0) {
      await this.reactor.checkpoint();
      if (signal?.aborted) throw signal.reason;
      return 'after an iteration';
    }
    if (this.#readinessReadsLeft > 0) this.#readinessReadsLeft--;
    await this.reactor.waitReadable(this.socket, options);
    return 'plainly';
  }

  /**
   * recv said end of stream: was it a FIN or a reset? Windows' recv fails with WSAECONNRESET on a
   * connection the peer reset, but Wine 8's returns 0 as for a FIN (and SO_ERROR is 0 after it;
   * docs/wine.md). A zero-byte send tells them apart: it sends nothing, and fails with
   * WSAECONNRESET on a reset connection only. So a reset fails the read on both, as Node's does.
   */
  #throwIfReset(): void {
    try {
      sock.sendSome(this.socket, NOTHING);
    } catch (error) {
      if (error instanceof WinError && error.winErrno === ERROR.WSAECONNRESET) throw new WinError('recv', ERROR.WSAECONNRESET);
      // Anything else (WSAESHUTDOWN after our own shutdownWrite): end of stream, as recv said.
    }
  }

  /** The incoming bytes as chunks (copies), until end of stream. */
  async *readable(options: IoOptions & { chunkSize?: number } = {}): AsyncGenerator<Uint8Array> {
    options = checkOptions(options, 'TcpStream.readable: options');
    const buffer = new Uint8Array(checkInteger(options.chunkSize === undefined ? 65536 : options.chunkSize, 'TcpStream.readable: chunkSize', 1, 2 ** 31 - 1));
    // ends: at end of stream (a read of 0), or when a read throws (closed, reset, aborted)
    for (;;) {
      const n = await this.read(buffer, options);
      if (n === 0) return;
      yield buffer.slice(0, n);
    }
  }

  /**
   * Writes all of `data`; resolves once the kernel has taken the last byte. Nothing is queued in
   * JS: while the kernel's buffer is full the call waits (backpressure). One write at a time: a
   * second one while the first waits gets BusyResourceError (its bytes would land in the middle).
   * An abort rejects with WriteAbortedError, whose `bytesWritten` says how much the kernel took
   * (those bytes will reach the peer) and whose `cause` is the signal's reason.
   */
  async write(data: Uint8Array, options: IoOptions = {}): Promise<void> {
    this.check();
    checkBuffer(data, 'TcpStream.write: data');
    options = checkOptions(options, 'TcpStream.write: options');
    const signal = checkSignal(options.signal);
    if (this.#writing) throw new BusyResourceError('another task is already writing to this stream');
    this.#writing = true;
    let offset = 0;
    try {
      if (signal?.aborted) throw signal.reason;
      let waited = false;
      while (offset < data.length) {
        this.check();
        const n = sock.sendSome(this.socket, data.subarray(offset));
        if (n === null) {
          await this.reactor.waitWritable(this.socket, options);
          waited = true;
        } else {
          offset += n;
        }
      }
      const turn = this.reactor.yieldIfDue(this.#writeTurn, waited);
      if (turn !== undefined) await turn;
    } catch (error) {
      throw WriteAbortedError.wrap(signal, error, offset, data.length);
    } finally {
      this.#writing = false;
    }
  }

  /** Sends FIN: the peer reads end of stream; this side can still read. */
  shutdownWrite(): void {
    this.check();
    sock.shutdownSocket(this.socket, ws.SD_SEND);
  }
}

export interface ListenOptions extends BindOptions {
  backlog?: number;
}

export class TcpListener extends ReactorSocket implements AsyncIterable<TcpStream> {
  readonly #turn = new Turn(ACCEPTS_PER_ITERATION);

  private constructor(reactor: Reactor, socket: sock.Socket) {
    super(reactor, socket, 'listener');
  }

  /**
   * A listener on host:port (defaults 127.0.0.1 and a free port; see `address`). `host` is an IP
   * address or `localhost` (127.0.0.1); a host name is a TypeError (resolve it with `lookupHost`).
   */
  static listen(reactor: Reactor, options: ListenOptions = {}): TcpListener {
    checkOpenReactor(reactor, 'TcpListener.listen: reactor');
    const backlog = checkInteger(options?.backlog === undefined ? 511 : options.backlog, 'TcpListener.listen: backlog', 0, 0x7fff_ffff);
    return openBound('tcp', options, (s) => {
      sock.listenSocket(s, backlog);
      return new TcpListener(reactor, s);
    });
  }

  /**
   * The next connection, as a TcpStream. An already-aborted `signal` rejects with its reason and
   * takes no connection, even with one waiting.
   */
  async accept(options: IoOptions = {}): Promise<TcpStream> {
    this.check();
    options = checkOptions(options, 'TcpListener.accept: options');
    const signal = checkSignal(options.signal, 'TcpListener.accept: signal');
    // Before accept: a connection in the backlog would be taken and returned.
    if (signal?.aborted) throw signal.reason;
    // ends: accept returns a connection, or throws; each retry first waits for readiness, which a close or an abort rejects
    for (let waited = false; ; waited = true) {
      this.check();
      const s = sock.acceptSocket(this.socket);
      if (s !== null) {
        let stream: TcpStream;
        try {
          sock.setNonBlocking(s);
          stream = new TcpStream(this.reactor, s);
        } catch (error) {
          sock.closeQuietly(s);
          throw error;
        }
        const turn = this.reactor.yieldIfDue(this.#turn, waited);
        if (turn !== undefined) await turn;
        return stream;
      }
      await this.reactor.waitReadable(this.socket, options);
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<TcpStream> {
    return untilClosed(() => this.accept(), () => this.closed);
  }
}
