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
// A socket's state belongs to its REGISTRATION, not to its interest (wepoll's sock.c and port.c
// are the model): the first `arm` registers it — its base socket is looked up and it takes a
// place in a poll group, once — and the registration lasts, whatever the interest, until
// `forget` (the socket is about to be closed, or handed to another reactor) or until a poll finds
// it closed (AFD_POLL_LOCAL_CLOSE) or cannot be started; then the place is given back, once —
// when the packet of a poll still in flight has come, since the kernel holds it in that group's
// list until then. A socket closed without `forget` while no poll is in flight stays registered
// until the backend closes; a new socket given the same handle value takes its registration
// over, base socket included (the same value wherever no layered provider sits on the socket,
// as on current Windows and under Wine).
//
// Each socket's poll is in one of three states (wepoll's sock.c):
//   IDLE       no poll in flight;
//   PENDING    a poll in flight for the events in `polled`;
//   CANCELLED  a poll in flight that was asked to stop (CancelIoEx); its packet is still due.
// What moves a socket between them is applied in ONE place, `#applyUpdates`, one branch per state
// in `#update`: `arm`, and a poll's packet, only change the socket's interest or record what
// the packet said and queue the socket for an update; `disarm` only clears interest. So the sink,
// which disarms the socket it is told about while the packet is being handled, never re-enters
// a transition. A pending poll stays armed while it covers the interest — when interest shrinks,
// or drops to nothing, it is left to complete (its result is then filtered by the interest of
// that moment): no cancel and restart per wait. Only interest the poll does not cover cancels
// it, and the new poll starts once the cancelled one's packet has come. A cancelled poll's
// packet is a cancel whatever byte count it carries (the port's `cancelIsFinal`): its
// AFD_POLL_INFO was never written. The poll's memory (AFD_POLL_INFO, IO_STATUS_BLOCK) stays
// pinned until its packet.
//
// AFD_POLL_LOCAL_CLOSE (the socket was closed here without `forget`) and a poll that cannot be
// started fail the socket's waiters; a failed connect (AFD_POLL_CONNECT_FAIL) counts as writable.
import { READABLE, WRITABLE, type Direction, type ReadinessBackend, type ReadinessSink, type ReadinessStats } from '../loop/readiness.ts';
import type { CompletionPort, PendingOperation } from '../iocp-worker/completion-port.ts';
import { OverlappedPool, type OverlappedSlot } from '../iocp-worker/overlapped-pool.ts';
import { PollGroups, type PollGroup } from './poll-group.ts';
import { SelectSet } from '../win32/select-set.ts';
import * as afd from '../win32/afd.ts';
import * as ws from '../win32/ws2_32.ts';
import { ERROR, WinError } from '../core/windows-errors.ts';
import { Timeval } from '../win32/timeval.ts';
import { probeSocket, type Socket } from '../win32/winsock.ts';
import { InternalStateError, UnsupportedError } from '../core/errors.ts';

const READ_EVENTS = afd.AFD_POLL_RECEIVE | afd.AFD_POLL_RECEIVE_EXPEDITED | afd.AFD_POLL_DISCONNECT | afd.AFD_POLL_ACCEPT | afd.AFD_POLL_ABORT | afd.AFD_POLL_CONNECT_FAIL;
const WRITE_EVENTS = afd.AFD_POLL_SEND | afd.AFD_POLL_CONNECT_FAIL | afd.AFD_POLL_ABORT;

const IDLE = 0;
const PENDING = 1;
const CANCELLED = 2;

interface SocketState {
  readonly socket: Socket;
  /** The base socket under any layered service providers, looked up when the socket was registered. */
  readonly base: number;
  /** The \Device\Afd handle its polls go through: a place taken at registration, given back once. */
  readonly group: PollGroup;
  /** Directions armed now (READABLE | WRITABLE bits). */
  interest: number;
  status: typeof IDLE | typeof PENDING | typeof CANCELLED;
  /** The directions the poll in flight was started for. */
  polled: number;
  /** The poll in flight (PENDING or CANCELLED): its operation and its AFD_POLL_INFO. */
  operation: PendingOperation | undefined;
  info: OverlappedSlot | undefined;
  /** No longer registered (forgotten, or failed) while a poll was in flight: its group place goes back with the packet. */
  unregistered: boolean;
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
  /** The registered sockets. */
  readonly #states = new Map<Socket, SocketState>();
  /** Sockets whose poll must be brought in line with their interest, in the order they were queued. */
  readonly #updates = new Set<SocketState>();
  /** `#applyUpdates` (or a report to the sink) is on the stack: a nested call only queues. */
  #applying = false;
  /** Registrations ended while a poll was in flight, their group places still held for its packet. */
  #unregistering = 0;
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

  /** Registers `socket` on its first arm (a socket that cannot be is reported failed from here). */
  arm(socket: Socket, direction: Direction): void {
    if (socket === this.#wakeup) return; // always in the select set
    if (this.#closed) throw new InternalStateError('AfdBackend.arm: the backend is closed');
    const state = this.#states.get(socket) ?? this.#register(socket);
    if (state === undefined) return;
    state.interest |= direction;
    this.#updates.add(state);
    this.#applyUpdates();
  }

  /** Clears interest only: a poll in flight that covers more is left to complete (see the top). */
  disarm(socket: Socket, direction: Direction): void {
    const state = this.#states.get(socket);
    if (state !== undefined) state.interest &= ~direction;
  }

  /** `socket` is about to be closed (or handed on): its registration ends, and a reused handle value starts afresh. */
  forget(socket: Socket): void {
    const state = this.#states.get(socket);
    if (state !== undefined) this.#unregister(state);
  }

  /**
   * Select mode: blocks in select on the wakeup socket alone; poll packets come through the ring.
   * If select fails because the wakeup socket is no longer a socket (closed behind the loop's
   * back), that is reported to the sink like any bad socket, and the sink says what it means.
   */
  wait(timeoutMs: number, sink: ReadinessSink): number {
    if (this.#closed) throw new InternalStateError('AfdBackend.wait: the backend is closed');
    if (this.#wakeup === undefined) throw new InternalStateError('AfdBackend.wait: in port mode the reactor waits in its completion port');
    const set = this.#wakeupSet.prepare();
    const result = ws.select(0, set, null, null, this.#timeval.of(timeoutMs));
    if (result === ws.SOCKET_ERROR) {
      const errno = ws.WSAGetLastError();
      const bad = probeSocket(this.#wakeup);
      if (bad === 0) throw new WinError('select', errno);
      sink.failed(this.#wakeup, new WinError('select', bad));
      return 1;
    }
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
      /** Sockets holding a group place: registered, or forgotten with their poll's packet still to come. */
      registeredSockets: this.#states.size + this.#unregistering,
      /** SIO_BASE_HANDLE calls made: one per registration. */
      baseHandleLookups: this.#baseLookups,
    };
  }

  /** Closes the AFD handles. Call after the completion port has cancelled and drained the polls. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#states.clear();
    this.#updates.clear();
    this.#unregistering = 0;
    this.#groups.close();
  }

  /** The first arm of `socket`: its base socket and a group place, or the failure reported to the sink. */
  #register(socket: Socket): SocketState | undefined {
    let base: number;
    let group: PollGroup;
    try {
      this.#baseLookups++;
      base = afd.baseSocket(socket);
      group = this.#groups.acquire();
    } catch (error) {
      this.#sink.failed(socket, asSocketError(error));
      return undefined;
    }
    const state: SocketState = { socket, base, group, interest: 0, status: IDLE, polled: 0, operation: undefined, info: undefined, unregistered: false };
    this.#states.set(socket, state);
    return state;
  }

  /** Ends the registration: the group place goes back now, or with the packet of the poll in flight (cancelled here). */
  #unregister(state: SocketState): void {
    this.#states.delete(state.socket);
    this.#updates.delete(state);
    state.interest = 0;
    if (state.status === IDLE) {
      this.#groups.release(state.group);
      return;
    }
    state.unregistered = true;
    this.#unregistering++;
    if (state.status === PENDING) this.#cancel(state);
  }

  /** The one place transitions happen: each queued socket's poll is brought in line with its interest. */
  #applyUpdates(): void {
    if (this.#applying) return;
    this.#applying = true;
    try {
      // A Set visits what is added while it is walked: a socket queued again by a failure is served too.
      for (const state of this.#updates) {
        this.#updates.delete(state);
        this.#update(state);
      }
    } finally {
      this.#applying = false;
    }
  }

  /** One branch per state. */
  #update(state: SocketState): void {
    switch (state.status) {
      case CANCELLED:
        // A packet is due; `#completed` queues the socket again once it has come.
        return;
      case PENDING:
        // The poll in flight covers what is wanted (the same, less, or nothing): leave it armed.
        if ((state.interest & ~state.polled) === 0) return;
        // It misses a direction now wanted: cancel; the new poll starts after its packet.
        this.#cancel(state);
        return;
      case IDLE:
        // Nothing wanted: no poll; the registration stays.
        if (state.interest !== 0) this.#start(state);
        return;
    }
  }

  #start(state: SocketState): void {
    if (this.#closed) return;
    const polled = state.interest;
    const events = ((polled & READABLE) ? READ_EVENTS : 0) | ((polled & WRITABLE) ? WRITE_EVENTS : 0) | afd.AFD_POLL_LOCAL_CLOSE;
    const info = this.#infos.acquire();
    new afd.AfdPollInfo(info.view).prepare(state.base, events);
    const started = this.#port.start(state.group.handle, 'IOCTL_AFD_POLL', 0, info.view,
      (ioStatus) => afd.startAfdPoll(state.group.handle, ioStatus, info.view),
      (error) => this.#completed(state, info, error),
      { cancelIsFinal: true });
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

  /**
   * The poll's packet, dispatched in the poll phase: records what it says, reports it, and queues
   * the socket for an update, applied once the report is over.
   */
  #completed(state: SocketState, info: OverlappedSlot, error: unknown): void {
    // Our own cancel first, whatever the packet says besides (the port was told `cancelIsFinal`).
    const events = error === undefined ? new afd.AfdPollInfo(info.view).events : 0;
    this.#infos.release(info);
    this.#inFlight--;
    state.status = IDLE;
    state.operation = undefined;
    state.info = undefined;
    if (state.unregistered) {
      this.#unregistering--;
      this.#groups.release(state.group);
      return;
    }
    if (error !== undefined && error !== CANCELLED_BY_BACKEND) {
      // The reactor is closing (ClosedResourceError), or the driver failed the poll.
      this.#fail(state, error);
      return;
    }
    if (events & afd.AFD_POLL_LOCAL_CLOSE) {
      this.#fail(state, new WinError('IOCTL_AFD_POLL', ERROR.WSAENOTSOCK, { detail: 'the socket was closed (AFD_POLL_LOCAL_CLOSE)' }));
      return;
    }
    this.#updates.add(state);
    if (events !== 0) this.#report(state, events);
    this.#applyUpdates();
  }

  /** Tells the sink, which disarms what it wakes: with `#applying` set, nothing it calls moves a poll. */
  #report(state: SocketState, events: number): void {
    const nested = this.#applying;
    this.#applying = true;
    try {
      if (events & READ_EVENTS && state.interest & READABLE) this.#sink.ready(state.socket, READABLE);
      if (events & WRITE_EVENTS && state.interest & WRITABLE) this.#sink.ready(state.socket, WRITABLE);
    } finally {
      this.#applying = nested;
    }
  }

  /** The socket cannot be polled: its registration ends, and its waiters fail. */
  #fail(state: SocketState, error: unknown): void {
    if (this.#states.get(state.socket) === state) this.#unregister(state);
    const nested = this.#applying;
    this.#applying = true;
    try {
      this.#sink.failed(state.socket, asSocketError(error));
    } finally {
      this.#applying = nested;
    }
  }
}

/**
 * A handle the driver (or SIO_BASE_HANDLE) calls invalid is reported as Winsock does for a value
 * that is not a socket: WSAENOTSOCK. Other Windows errors pass as they are.
 */
function asSocketError(error: unknown): WinError {
  if (error instanceof WinError && error.winErrno !== ERROR.ERROR_INVALID_HANDLE) return error;
  return new WinError('IOCTL_AFD_POLL', ERROR.WSAENOTSOCK, { cause: error, detail: 'not a socket (or closed)' });
}

/** The reason the backend gives its own cancels, to tell them from the reactor closing. */
const CANCELLED_BY_BACKEND = Symbol('cancelled by the AFD backend');
