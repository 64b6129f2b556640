// AfdBackend: socket readiness through IOCTL_AFD_POLL completions on the reactor's completion
// port — the design wepoll, libuv's uv_poll and Trio use — behind the same ReadinessBackend
// contract as select, so the two can be compared on the same work.
//
// Each armed socket has at most one poll in flight, carrying its read and write interest
// together (two polls on one socket would complete with each other's results), issued on the
// base socket (SIO_BASE_HANDLE) through one of a few \Device\Afd handles shared by up to 32
// sockets (poll-group.ts). A poll completes when any requested event happens; its AFD_POLL_INFO
// says which. The packet is dispatched like any completion, synchronously in the poll phase, to
// this backend's callback, which reports to the sink there and then: in the port mode the
// reactor thread dequeues it itself (GetQueuedCompletionStatusEx), in the select mode the IOCP
// worker puts it in the ring and the reactor dispatches the ring right after its select.
//
// Each socket's poll is in one of three states, and every transition is one branch of `#update`
// or `#completed` (wepoll's sock.c is the model):
//   IDLE       no poll in flight;
//   PENDING    a poll in flight for the events in `polled`;
//   CANCELLED  a poll in flight that was asked to stop (CancelIoEx); its packet is still due.
// A pending poll stays armed while it covers the interest — when interest shrinks, or drops to
// nothing, it is left to complete (its result is then filtered by the interest of that moment):
// no cancel and restart per wait. Only interest the poll does not cover cancels it, and the new
// poll starts once the cancelled one's packet has come. `forget(socket)` (the socket is about to
// be closed) cancels and detaches the state at once, so a new socket that reuses the handle value
// starts afresh. The poll's memory (AFD_POLL_INFO, IO_STATUS_BLOCK) stays pinned until its packet.
//
// AFD_POLL_LOCAL_CLOSE (the socket was closed here without `forget`) and a poll that cannot be
// started fail the socket's waiters; a failed connect (AFD_POLL_CONNECT_FAIL) counts as writable.
import { READABLE, WRITABLE, type Direction, type ReadinessBackend, type ReadinessSink, type ReadinessStats } from '../readiness.ts';
import type { CompletionPort, PendingOperation } from '../iocp-worker/completion-port.ts';
import { OverlappedPool, type OverlappedSlot } from '../iocp-worker/overlapped-pool.ts';
import { PollGroups, type PollGroup } from './poll-group.ts';
import { SelectSet } from '../select/select-set.ts';
import * as afd from '../win32/afd.ts';
import * as ws from '../win32/ws2_32.ts';
import { ERROR, WinError } from '../win32/errors.ts';
import { Timeval } from '../select/timeval.ts';
import type { Socket } from '../win32/winsock.ts';
import { InternalStateError, UnsupportedError } from '../errors.ts';

const READ_EVENTS = afd.AFD_POLL_RECEIVE | afd.AFD_POLL_RECEIVE_EXPEDITED | afd.AFD_POLL_DISCONNECT | afd.AFD_POLL_ACCEPT | afd.AFD_POLL_ABORT | afd.AFD_POLL_CONNECT_FAIL;
const WRITE_EVENTS = afd.AFD_POLL_SEND | afd.AFD_POLL_CONNECT_FAIL | afd.AFD_POLL_ABORT;

const IDLE = 0;
const PENDING = 1;
const CANCELLED = 2;

interface SocketState {
  readonly socket: Socket;
  readonly group: PollGroup;
  base: number | undefined;
  /** Directions armed now (READABLE | WRITABLE bits). */
  interest: number;
  status: typeof IDLE | typeof PENDING | typeof CANCELLED;
  /** The directions the poll in flight was started for. */
  polled: number;
  /** The poll in flight (PENDING or CANCELLED): its operation and its AFD_POLL_INFO. */
  operation: PendingOperation | undefined;
  info: OverlappedSlot | undefined;
  /** `forget` was called: the state is no longer reachable from the socket; drop it when its packet comes. */
  forgotten: boolean;
}

export class AfdBackend implements ReadinessBackend {
  readonly name = 'afd';
  readonly #port: CompletionPort;
  readonly #sink: ReadinessSink;
  readonly #groups: PollGroups;
  /** Select mode only: the wakeup socket, the one socket `wait` selects on. */
  readonly #wakeup: Socket | undefined;
  readonly #wakeupSet = new SelectSet(1);
  readonly #timeval = new Timeval();
  /** AFD_POLL_INFO buffers: 32 bytes each, in memory that never moves (the kernel writes them). */
  readonly #infos = new OverlappedPool();
  readonly #states = new Map<Socket, SocketState>();
  #inFlight = 0;
  #pollsStarted = 0;
  #pollsCancelled = 0;
  #baseLookups = 0;
  #closed = false;

  /**
   * Reports to `sink` from the port's dispatch. `wakeup` is the reactor's wakeup socket when the
   * reactor sleeps in select (`wait` selects on it alone); without it the reactor waits in the
   * port and never calls `wait`. Throws a clear error if \Device\Afd cannot be opened (no silent
   * fallback to select).
   */
  constructor(port: CompletionPort, sink: ReadinessSink, wakeup?: Socket) {
    ws.ensureWinsock();
    this.#port = port;
    this.#sink = sink;
    this.#wakeup = wakeup;
    if (wakeup !== undefined) this.#wakeupSet.add(wakeup);
    try {
      this.#groups = new PollGroups(port);
    } catch (error) {
      throw new UnsupportedError(`the 'afd' readiness backend cannot start: ${(error as Error).message}`, { cause: error });
    }
  }

  arm(socket: Socket, direction: Direction): void {
    if (socket === this.#wakeup) return; // always in the select set
    let state = this.#states.get(socket);
    if (state === undefined) {
      state = { socket, group: this.#groups.acquire(), base: undefined, interest: 0, status: IDLE, polled: 0, operation: undefined, info: undefined, forgotten: false };
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

  /** `socket` is about to be closed: stop polling it now, and never mistake a reused handle value for it. */
  forget(socket: Socket): void {
    const state = this.#states.get(socket);
    if (state === undefined) return;
    this.#states.delete(socket);
    state.forgotten = true;
    state.interest = 0;
    if (state.status === PENDING) this.#cancel(state);
    else if (state.status === IDLE) this.#groups.release(state.group);
  }

  /** Select mode: blocks in select on the wakeup socket alone; poll packets come through the ring. */
  wait(timeoutMs: number, sink: ReadinessSink): number {
    if (this.#closed) throw new InternalStateError('AfdBackend.wait: the backend is closed');
    if (this.#wakeup === undefined) throw new InternalStateError('AfdBackend.wait: in port mode the reactor waits in its completion port');
    const set = this.#wakeupSet.prepare();
    const result = ws.select(0, set, null, null, this.#timeval.of(timeoutMs));
    if (result === ws.SOCKET_ERROR) throw new WinError('select', ws.WSAGetLastError());
    if (result > 0) sink.ready(this.#wakeup, READABLE);
    return result;
  }

  selectSets(): readonly (Uint32Array | null)[] {
    if (this.#wakeup === undefined) throw new InternalStateError('AfdBackend.selectSets: in port mode the reactor waits in its completion port');
    return [this.#wakeupSet.prepare(), null, null];
  }

  stats(): ReadinessStats {
    let read = this.#wakeup === undefined ? 0 : 1;
    let write = 0;
    for (const state of this.#states.values()) {
      if (state.interest & READABLE) read++;
      if (state.interest & WRITABLE) write++;
    }
    return {
      backend: this.name, readArmed: read, writeArmed: write,
      /** Polls whose packets have not come back yet, cancelled ones included. */
      pollsInFlight: this.#inFlight,
      pollsStarted: this.#pollsStarted,
      pollsCancelled: this.#pollsCancelled,
      pollGroups: this.#groups.count,
      /** Sockets on each \Device\Afd handle (poll group): they add up to `registeredSockets`. */
      groupSizes: this.#groups.sizes(),
      registeredSockets: this.#states.size,
      /** SIO_BASE_HANDLE calls made. */
      baseHandleLookups: this.#baseLookups,
    };
  }

  /** Closes the AFD handles. Call after the completion port has cancelled and drained the polls. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#groups.close();
  }

  /** Brings the socket's poll in line with its interest: one branch per state. */
  #update(state: SocketState): void {
    switch (state.status) {
      case CANCELLED:
        // A packet is due; `#completed` calls this again once it has come.
        return;
      case PENDING:
        // The poll in flight covers what is wanted (the same, less, or nothing): leave it armed.
        if ((state.interest & ~state.polled) === 0) return;
        // It misses a direction now wanted: cancel; the new poll starts after its packet.
        this.#cancel(state);
        return;
      case IDLE:
        if (state.interest !== 0) this.#start(state);
        else if (!state.forgotten) this.#drop(state);
        return;
    }
  }

  #start(state: SocketState): void {
    if (this.#closed) return;
    try {
      if (state.base === undefined) {
        this.#baseLookups++;
        state.base = afd.baseSocket(state.socket);
      }
    } catch (error) {
      this.#fail(state, error);
      return;
    }
    const polled = state.interest;
    const events = ((polled & READABLE) ? READ_EVENTS : 0) | ((polled & WRITABLE) ? WRITE_EVENTS : 0) | afd.AFD_POLL_LOCAL_CLOSE;
    const info = this.#infos.acquire();
    new afd.AfdPollInfo(info.view).prepare(state.base, events);
    const started = this.#port.start(state.group.handle, 'IOCTL_AFD_POLL', 0, info.view,
      (ioStatus) => afd.startAfdPoll(state.group.handle, ioStatus, info.view),
      (error) => this.#completed(state, info, error));
    if (started.pending === undefined) {
      this.#infos.release(info);
      this.#fail(state, started.error);
      return;
    }
    state.status = PENDING;
    state.polled = polled;
    state.operation = started.pending;
    state.info = info;
    this.#inFlight++;
    this.#pollsStarted++;
  }

  #cancel(state: SocketState): void {
    state.status = CANCELLED;
    this.#pollsCancelled++;
    this.#port.cancel(state.operation!, CANCELLED_BY_BACKEND);
  }

  /** The poll's packet, dispatched in the poll phase: report, then bring the poll in line again. */
  #completed(state: SocketState, info: OverlappedSlot, error: unknown): void {
    const events = error === undefined ? new afd.AfdPollInfo(info.view).events : 0;
    this.#infos.release(info);
    this.#inFlight--;
    state.status = IDLE;
    state.operation = undefined;
    state.info = undefined;
    if (state.forgotten) {
      this.#groups.release(state.group);
      return;
    }
    if (error !== undefined && error !== CANCELLED_BY_BACKEND) {
      // The reactor is closing (ClosedResourceError), or the driver refused the poll.
      if (!this.#closed) this.#fail(state, error);
      return;
    }
    if (events & afd.AFD_POLL_LOCAL_CLOSE) {
      this.#fail(state, new WinError('IOCTL_AFD_POLL', ERROR.WSAENOTSOCK, { detail: 'the socket was closed (AFD_POLL_LOCAL_CLOSE)' }));
      return;
    }
    // A cancelled poll may still carry events (it completed before the cancel): report them too.
    if (events & READ_EVENTS && state.interest & READABLE) this.#sink.ready(state.socket, READABLE);
    if (events & WRITE_EVENTS && state.interest & WRITABLE) this.#sink.ready(state.socket, WRITABLE);
    this.#update(state);
  }

  /**
   * The socket cannot be polled: forget it and fail its waiters. A handle the driver calls
   * invalid is reported as Winsock does for a value that is not a socket: WSAENOTSOCK.
   */
  #fail(state: SocketState, error: unknown): void {
    if (this.#states.get(state.socket) === state) this.#states.delete(state.socket);
    state.interest = 0;
    if (state.status === IDLE) this.#groups.release(state.group);
    else state.forgotten = true;
    const winError = error instanceof WinError && error.errno !== ERROR.ERROR_INVALID_HANDLE
      ? error
      : new WinError('IOCTL_AFD_POLL', ERROR.WSAENOTSOCK, { cause: error, detail: 'not a socket (or closed)' });
    this.#sink.failed(state.socket, winError);
  }

  /** An idle socket nobody waits on: let go of its state and its group slot. */
  #drop(state: SocketState): void {
    this.#states.delete(state.socket);
    this.#groups.release(state.group);
  }
}

/** The reason the backend gives its own cancels, to tell them from the reactor closing. */
const CANCELLED_BY_BACKEND = Symbol('cancelled by the AFD backend');
