// SelectBackend: socket readiness through Winsock `select`, run on the reactor's own thread.
//
// Why select: it is the one documented readiness check for Windows sockets, it needs no binding
// between a socket and the loop (so sockets move freely between reactors), and it reports
// writability, which IOCP cannot. Its cost is O(n) in the set size per call: fine for the
// hundreds, measurable in the thousands, and under Wine it grows faster than linear (see
// docs/wine.md). The AFD backend exists to be compared against it on the same work.
//
// Three interest sets, each a SelectSet (an fd_set kept incrementally, copied once per call):
// - read: sockets with a readable waiter, plus the reactor's wakeup socket, always — select
//   fails with WSAEINVAL when all three sets are empty, and the wakeup socket keeps the read set
//   non-empty;
// - write: sockets with a writable waiter;
// - except: every socket armed for writing, and every socket armed for reading that select has
//   not yet reported ready. A non-blocking connect that fails is reported only in the except set
//   (select docs: "exceptfds: if processing a connect call (nonblocking), connection attempt
//   failed"), and that must wake the writable waiter, who then reads SO_ERROR — and a
//   readable-only waiter too, as AFD (AFD_POLL_CONNECT_FAIL) and epoll (EPOLLERR) wake it: its
//   next recv reports the error. A socket once reported readable or writable is connected (or
//   listening): no connect of its can fail any more, and a reset shows in the read set, so its
//   read waits leave it out of the except set. That is not only tidier: under Wine every except
//   entry is one more poll of the socket and a getsockopt(SO_OOBINLINE) per entry on each
//   select, and again each time the wineserver re-evaluates the socket while the select's request
//   is alive (docs/wine.md) — a quarter of the wineserver's work per request of a one-connection
//   HTTP server. The mark is dropped when the socket is forgotten (closed through the reactor).
//   `established` sets it beforehand for a socket known to be connected: the reactor's wakeup
//   socket, which is armed for reading for its whole life and is rarely reported (only on wakes),
//   and so was an except entry on nearly every select (6 of the wineserver's getsockopt calls per
//   round trip of a one-connection echo, counted with strace -c, now 0).
//
// When select fails (WSAENOTSOCK: a socket was closed behind the loop's back; under Wine also
// WSAEOPNOTSUPP: a handle that never was a socket), the backend probes each armed socket
// (getsockopt SO_TYPE), disarms the bad ones and reports them to the sink, so only their waiters
// fail; the other sockets are served by the next call.
import { SelectSet } from '../win32/select-set.ts';
import { READABLE, WRITABLE, type Direction, type ReadinessBackend, type ReadinessSink, type ReadinessStats } from '../loop/readiness.ts';
import * as ws from '../win32/ws2_32.ts';
import { WinError } from '../core/windows-errors.ts';
import { probeSocket, type Socket } from '../win32/winsock.ts';
import { Timeval } from '../win32/timeval.ts';
import { InternalStateError } from '../core/errors.ts';

export class SelectBackend implements ReadinessBackend {
  readonly name = 'select';
  readonly #read = new SelectSet();
  readonly #write = new SelectSet();
  readonly #except = new SelectSet();
  readonly #timeval = new Timeval();
  /** Sockets select has reported readable or writable: connected or listening (see the top). */
  readonly #settled = new Set<Socket>();
  #calls = 0;
  #closed = false;

  constructor() {
    ws.ensureWinsock();
  }

  arm(socket: Socket, direction: Direction): void {
    (direction === READABLE ? this.#read : this.#write).add(socket);
    if (direction === WRITABLE || !this.#settled.has(socket)) this.#except.add(socket);
  }

  disarm(socket: Socket, direction: Direction): void {
    (direction === READABLE ? this.#read : this.#write).remove(socket);
    if (!this.#write.has(socket) && (this.#settled.has(socket) || !this.#read.has(socket))) this.#except.remove(socket);
  }

  established(socket: Socket): void {
    this.#settled.add(socket);
    if (!this.#write.has(socket)) this.#except.remove(socket);
  }

  forget(socket: Socket): void {
    this.#settled.delete(socket);
  }

  wait(timeoutMs: number, sink: ReadinessSink): number {
    if (this.#closed) throw new InternalStateError('SelectBackend.wait: the backend is closed');
    const read = this.#read.prepare();
    const write = this.#write.prepare();
    const except = this.#except.prepare();
    if (read === null && write === null && except === null) {
      throw new InternalStateError('SelectBackend.wait: nothing is armed (select fails with WSAEINVAL on three empty sets)');
    }
    this.#calls++;
    const result = ws.select(0, read, write, except, this.#timeval.of(timeoutMs));
    if (result === ws.SOCKET_ERROR) {
      // Whatever the code — WSAENOTSOCK on Windows for a closed socket; under Wine also
      // WSAEOPNOTSUPP for a handle that is not a socket at all — look for the armed sockets to
      // blame first: only their waiters fail, and the loop goes on. No culprit: the loop fails.
      return this.#failBadSockets(sink, ws.WSAGetLastError());
    }
    if (result === 0) return 0;
    let events = 0;
    for (let i = 0, n = this.#read.readyCount(); i < n; i++, events++) {
      const socket = this.#read.readyAt(i);
      this.#settled.add(socket);
      sink.ready(socket, READABLE);
    }
    for (let i = 0, n = this.#write.readyCount(); i < n; i++, events++) {
      const socket = this.#write.readyAt(i);
      this.#settled.add(socket);
      sink.ready(socket, WRITABLE);
    }
    for (let i = 0, n = this.#except.readyCount(); i < n; i++) {
      // Whoever still waits on it (a waiter woken above by the same socket is gone already).
      const socket = this.#except.readyAt(i);
      if (this.#read.has(socket)) (events++, sink.ready(socket, READABLE));
      if (this.#write.has(socket)) (events++, sink.ready(socket, WRITABLE));
    }
    return events;
  }

  selectSets(): readonly (Uint32Array | null)[] {
    return [this.#read.prepare(), this.#write.prepare(), this.#except.prepare()];
  }

  stats(): ReadinessStats {
    return {
      backend: this.name,
      readArmed: this.#read.size,
      writeArmed: this.#write.size,
      readSet: this.#read.size,
      writeSet: this.#write.size,
      exceptSet: this.#except.size,
      selectCalls: this.#calls,
    };
  }

  close(): void {
    this.#closed = true;
  }

  /** select failed: find every armed socket that is not (or no longer) a socket and report it. */
  #failBadSockets(sink: ReadinessSink, errno: number): number {
    const invalid: [Socket, number][] = [];
    for (const socket of new Set([...this.#read.sockets(), ...this.#write.sockets()])) {
      const error = probeSocket(socket);
      if (error !== 0) invalid.push([socket, error]);
    }
    if (invalid.length === 0) throw new WinError('select', errno);
    for (const [socket, error] of invalid) {
      this.disarm(socket, READABLE);
      this.disarm(socket, WRITABLE);
      this.#settled.delete(socket);
      sink.failed(socket, new WinError('select', error));
    }
    return invalid.length;
  }
}
