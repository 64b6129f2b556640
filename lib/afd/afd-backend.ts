// AfdBackend: socket readiness through IOCTL_AFD_POLL completions on the reactor's IOCP — the
// design wepoll, libuv's uv_poll and Trio use — behind the same ReadinessBackend contract as
// select, so the two can be compared on the same work.
//
// One AFD handle per reactor (\Device\Afd, opened with NtCreateFile) is bound to the reactor's
// completion port. Each armed socket has at most one poll in flight, carrying its read and write
// interest together (two polls on one socket would complete with each other's results). A poll
// completes when any requested event happens; its AFD_POLL_INFO says which; the IOCP worker
// delivers the packet like any other completion, and this backend reports readiness to the sink
// from the packet's settlement. Changing the interest of a socket with a poll in flight cancels
// the poll (CancelIoEx) and re-arms once its packet has come — the poll's memory stays pinned
// until then (CompletionPort's rules). AFD_POLL_LOCAL_CLOSE (the socket was closed here) and a
// poll that cannot be started fail the socket's waiters; a failed connect counts as writable.
//
// Blocking: the reactor thread still has to sleep somewhere, and the IOCP belongs to its worker
// thread. So `wait` runs select over the wakeup socket alone — one socket, whatever the number of
// armed sockets — and poll completions arrive through the worker, the ring and that socket.
import { READABLE, WRITABLE, type Direction, type ReadinessBackend, type ReadinessSink, type ReadinessStats } from '../readiness.ts';
import type { CompletionPort } from '../iocp-worker/completion-port.ts';
import { OverlappedPool, type OverlappedSlot } from '../iocp-worker/overlapped-pool.ts';
import { SelectSet } from '../select/select-set.ts';
import * as afd from '../win32/afd.ts';
import * as ws from '../win32/ws2_32.ts';
import * as kernel32 from '../win32/kernel32.ts';
import { ERROR, WinError } from '../win32/errors.ts';
import { AFD_POLL_INFO } from '../win32/structs.ts';
import { Timeval } from '../select/timeval.ts';
import type { Socket } from '../win32/winsock.ts';
import { ClosedResourceError } from '../errors.ts';

const READ_EVENTS = afd.AFD_POLL_RECEIVE | afd.AFD_POLL_RECEIVE_EXPEDITED | afd.AFD_POLL_DISCONNECT | afd.AFD_POLL_ACCEPT | afd.AFD_POLL_ABORT | afd.AFD_POLL_CONNECT_FAIL;
const WRITE_EVENTS = afd.AFD_POLL_SEND | afd.AFD_POLL_CONNECT_FAIL | afd.AFD_POLL_ABORT;

interface PollState {
  readonly socket: Socket;
  base: number | undefined;
  /** Directions armed now (READABLE | WRITABLE bits). */
  interest: number;
  /** The poll in flight: the interest it was started with, its cancel switch, its AFD_POLL_INFO. */
  inFlight: { mask: number; controller: AbortController; info: OverlappedSlot } | undefined;
}

export class AfdBackend implements ReadinessBackend {
  readonly name = 'afd';
  readonly #port: CompletionPort;
  readonly #afd: number;
  readonly #wakeup: Socket;
  readonly #wakeupSet = new SelectSet(1);
  readonly #timeval = new Timeval();
  /** AFD_POLL_INFO buffers: 32 bytes each, in memory that never moves (the kernel writes them). */
  readonly #infos = new OverlappedPool();
  readonly #states = new Map<Socket, PollState>();
  #sink: ReadinessSink | undefined;
  readonly #deferred: (() => void)[] = [];
  #pollsStarted = 0;
  #closed = false;

  /**
   * `wakeup` is the reactor's wakeup socket: the one socket this backend selects on. Throws a
   * clear error if \Device\Afd cannot be opened (no silent fallback to select).
   */
  constructor(port: CompletionPort, wakeup: Socket) {
    ws.ensureWinsock();
    this.#port = port;
    this.#wakeup = wakeup;
    this.#wakeupSet.add(wakeup);
    try {
      this.#afd = afd.openAfd();
    } catch (error) {
      throw new Error(`the 'afd' readiness backend cannot start: ${(error as Error).message}`, { cause: error });
    }
    try {
      port.register(this.#afd);
    } catch (error) {
      kernel32.CloseHandle(this.#afd);
      throw new Error(`the 'afd' readiness backend cannot start: ${(error as Error).message}`, { cause: error });
    }
  }

  arm(socket: Socket, direction: Direction): void {
    if (socket === this.#wakeup) return; // always in the select set
    let state = this.#states.get(socket);
    if (state === undefined) {
      state = { socket, base: undefined, interest: 0, inFlight: undefined };
      this.#states.set(socket, state);
    }
    state.interest |= direction;
    this.#update(state);
  }

  disarm(socket: Socket, direction: Direction): void {
    const state = this.#states.get(socket);
    if (state === undefined) return;
    state.interest &= ~direction;
    this.#update(state);
  }

  wait(timeoutMs: number, sink: ReadinessSink): number {
    if (this.#closed) throw new Error('AfdBackend.wait: the backend is closed');
    this.#sink = sink;
    for (const report of this.#deferred.splice(0)) report();
    const set = this.#wakeupSet.prepare();
    const result = ws.select(0, set, null, null, this.#timeval.of(timeoutMs));
    if (result === ws.SOCKET_ERROR) throw new WinError('select', ws.WSAGetLastError());
    if (result > 0) sink.ready(this.#wakeup, READABLE);
    return result;
  }

  stats(): ReadinessStats {
    let read = 1; // the wakeup socket
    let write = 0;
    let inFlight = 0;
    for (const state of this.#states.values()) {
      if (state.interest & READABLE) read++;
      if (state.interest & WRITABLE) write++;
      if (state.inFlight) inFlight++;
    }
    return { backend: this.name, readArmed: read, writeArmed: write, pollsInFlight: inFlight, pollsStarted: this.#pollsStarted };
  }

  /** Closes the AFD handle. Call after the completion port has cancelled and drained the polls. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#port.release(this.#afd);
    kernel32.CloseHandle(this.#afd);
  }

  /** Starts, cancels or leaves the socket's poll so that it matches its interest. */
  #update(state: PollState): void {
    const inFlight = state.inFlight;
    if (inFlight !== undefined) {
      // A poll with another mask in flight: cancel it; its settlement re-arms with the new interest.
      if (inFlight.mask !== state.interest) inFlight.controller.abort();
      return;
    }
    if (state.interest === 0) {
      this.#states.delete(state.socket);
      return;
    }
    this.#start(state);
  }

  #start(state: PollState): void {
    if (this.#closed) return;
    try {
      state.base ??= afd.baseSocket(state.socket);
    } catch (error) {
      this.#fail(state, error);
      return;
    }
    const mask = state.interest;
    const events = ((mask & READABLE) ? READ_EVENTS : 0) | ((mask & WRITABLE) ? WRITE_EVENTS : 0) | afd.AFD_POLL_LOCAL_CLOSE;
    const info = this.#infos.acquire();
    const view = new DataView(info.view.buffer, info.view.byteOffset, AFD_POLL_INFO.SIZE);
    view.setBigInt64(AFD_POLL_INFO.TIMEOUT, 0x7fff_ffff_ffff_ffffn, true);
    view.setUint32(AFD_POLL_INFO.NUMBER_OF_HANDLES, 1, true);
    view.setUint32(AFD_POLL_INFO.EXCLUSIVE, 0, true);
    view.setBigUint64(AFD_POLL_INFO.HANDLE, BigInt(state.base), true);
    view.setUint32(AFD_POLL_INFO.EVENTS, events, true);
    const controller = new AbortController();
    state.inFlight = { mask, controller, info };
    this.#pollsStarted++;
    this.#port
      .submit(this.#afd, 'IOCTL_AFD_POLL', 0, info.view, (ioStatus) => afd.startAfdPoll(this.#afd, ioStatus, info.view), { signal: controller.signal })
      .then(
        () => this.#completed(state, info),
        (error: unknown) => this.#cancelledOrFailed(state, info, controller, error),
      );
  }

  #completed(state: PollState, info: OverlappedSlot): void {
    const view = new DataView(info.view.buffer, info.view.byteOffset, AFD_POLL_INFO.SIZE);
    const events = view.getUint32(AFD_POLL_INFO.NUMBER_OF_HANDLES, true) > 0 ? view.getUint32(AFD_POLL_INFO.EVENTS, true) : 0;
    state.inFlight = undefined;
    this.#infos.release(info);
    if (this.#states.get(state.socket) !== state) return; // forgotten meanwhile
    if (events & afd.AFD_POLL_LOCAL_CLOSE) {
      this.#fail(state, new WinError('IOCTL_AFD_POLL', ERROR.WSAENOTSOCK, { detail: 'the socket was closed (AFD_POLL_LOCAL_CLOSE)' }));
      return;
    }
    if (events & READ_EVENTS && state.interest & READABLE) this.#report(() => this.#sink?.ready(state.socket, READABLE));
    if (events & WRITE_EVENTS && state.interest & WRITABLE) this.#report(() => this.#sink?.ready(state.socket, WRITABLE));
    this.#update(state); // re-arm what is still wanted (or forget the socket)
  }

  #cancelledOrFailed(state: PollState, info: OverlappedSlot, controller: AbortController, error: unknown): void {
    state.inFlight = undefined;
    this.#infos.release(info);
    if (this.#states.get(state.socket) !== state || error instanceof ClosedResourceError) return;
    if (controller.signal.aborted && error === controller.signal.reason) {
      this.#update(state); // cancelled to change the interest: re-arm
      return;
    }
    this.#fail(state, error);
  }

  /**
   * The socket cannot be polled: forget it and fail its waiters. A handle the driver calls
   * invalid is reported as Winsock does for a value that is not a socket: WSAENOTSOCK.
   */
  #fail(state: PollState, error: unknown): void {
    this.#states.delete(state.socket);
    const winError = error instanceof WinError && error.errno !== ERROR.ERROR_INVALID_HANDLE
      ? error
      : new WinError('IOCTL_AFD_POLL', ERROR.WSAENOTSOCK, { cause: error, detail: 'not a socket (or closed)' });
    this.#report(() => this.#sink?.failed(state.socket, winError));
  }

  /** Reports now if the reactor has waited once (it has a sink), else at the start of the next wait. */
  #report(report: () => void): void {
    if (this.#sink !== undefined) report();
    else this.#deferred.push(report);
  }
}
