// WsaPollBackend: socket readiness through Winsock `WSAPoll`, run on the reactor's own thread —
// the third backend behind the ReadinessBackend contract, next to select and AFD, so the three
// can be compared on the same work (bench/readiness.ts; docs/benchmarks.md has the answer to
// "is WSAPoll any better than select?").
//
// The interest is one WSAPOLLFD array (poll-set.ts): one entry per socket, read and write interest
// in its `events` together, O(1) arm and disarm, no copy per call (WSAPoll writes only
// `revents`). What it reports:
// - POLLRDNORM | POLLRDBAND: readable; POLLWRNORM: writable;
// - POLLERR, POLLHUP (documented as always reported, asked for or not): ready in every armed
//   direction — the waiter's recv/send/SO_ERROR then says what happened;
// - POLLNVAL: the entry is not a socket (closed behind the loop's back): that socket alone fails,
//   WSAENOTSOCK, with no culprit search (select has to probe every socket to find it). Under
//   Wine POLLNVAL is set but neither counted in the result nor ends the wait (measured: a closed
//   socket next to an idle one returns 0 after the full timeout), so every call scans every
//   entry, and a closed socket is found when the wait ends — within maxBlockMs.
// The reactor's wakeup socket is armed for reading like any socket, which also keeps the array
// non-empty: WSAPoll with no entries fails at once with WSAEINVAL (measured under Wine; the docs
// require "at least one structure with a valid socket").
//
// Two things WSAPoll does not do, both measured (docs/wine.md):
// - it does not report a failed non-blocking connect before Windows 10 2004 (connect-check.ts
//   covers that with a paced select over the write-armed sockets, on those systems only);
// - it is not an alertable wait: an APC queued to the thread does not run during WSAPoll (it runs
//   during select, and during SleepEx). No guest mode either: its helper thread blocks in select
//   over fd_sets, which this backend does not keep (Reactor refuses `{ guest: true }` with it).
import os from 'node:os';
import { PollSet } from './poll-set.ts';
import { ConnectCheck, wsapollMissesFailedConnects } from './connect-check.ts';
import { READABLE, WRITABLE, type Direction, type ReadinessBackend, type ReadinessSink, type ReadinessStats } from '../loop/readiness.ts';
import * as ws from '../win32/ws2_32.ts';
import { ERROR, WinError } from '../core/windows-errors.ts';
import { probeSocket, type Socket } from '../win32/winsock.ts';
import { pollTimeout } from '../win32/timeouts.ts';
import { InternalStateError } from '../core/errors.ts';

const READ_EVENTS = ws.POLLRDNORM | ws.POLLRDBAND;
const WRITE_EVENTS = ws.POLLWRNORM;
/** Reported whatever `events` asked for: the socket is ready in every direction it is armed for. */
const ERROR_EVENTS = ws.POLLERR | ws.POLLHUP;

export interface WsaPollBackendOptions {
  /**
   * Look for failed connects with a paced select (connect-check.ts). Default: on where WSAPoll
   * misses them, Windows builds before 19041 — which includes Wine, which reports build 18362
   * although its WSAPoll does report them.
   */
  connectCheck?: boolean;
}

export class WsaPollBackend implements ReadinessBackend {
  readonly name = 'wsapoll';
  readonly #set = new PollSet();
  readonly #connectCheck: ConnectCheck | undefined;
  #readArmed = 0;
  #writeArmed = 0;
  #calls = 0;
  #connectFailuresFound = 0;
  #closed = false;

  constructor(options: WsaPollBackendOptions = {}) {
    ws.ensureWinsock();
    const check = options.connectCheck ?? wsapollMissesFailedConnects(os.release());
    this.#connectCheck = check ? new ConnectCheck() : undefined;
  }

  arm(socket: Socket, direction: Direction): void {
    const events = this.#set.eventsOf(socket);
    if (direction === READABLE) {
      if (events & READ_EVENTS) return;
      this.#set.add(socket, READ_EVENTS);
      this.#readArmed++;
    } else {
      if (events & WRITE_EVENTS) return;
      this.#set.add(socket, WRITE_EVENTS);
      this.#writeArmed++;
      this.#connectCheck?.add(socket);
    }
  }

  disarm(socket: Socket, direction: Direction): void {
    const events = this.#set.eventsOf(socket);
    if (direction === READABLE) {
      if (!(events & READ_EVENTS)) return;
      this.#set.remove(socket, READ_EVENTS);
      this.#readArmed--;
    } else {
      if (!(events & WRITE_EVENTS)) return;
      this.#set.remove(socket, WRITE_EVENTS);
      this.#writeArmed--;
      this.#connectCheck?.remove(socket);
    }
  }

  wait(timeoutMs: number, sink: ReadinessSink): number {
    if (this.#closed) throw new InternalStateError('WsaPollBackend.wait: the backend is closed');
    const count = this.#set.size;
    if (count === 0) throw new InternalStateError('WsaPollBackend.wait: nothing is armed (WSAPoll fails with WSAEINVAL on an empty array)');
    const check = this.#connectCheck;
    if (check !== undefined) timeoutMs = check.cap(timeoutMs, performance.now());
    this.#calls++;
    const result = ws.WSAPoll(this.#set.array, count, pollTimeout(timeoutMs));
    if (result === ws.SOCKET_ERROR) return this.#failBadSockets(sink, ws.WSAGetLastError());
    // Scanned even when WSAPoll returns 0: under Wine a POLLNVAL entry is not counted (and does
    // not end the wait), so a closed socket shows only in its `revents` after a timed-out call.
    let events = this.#report(count, sink);
    if (check !== undefined) {
      const now = performance.now();
      if (check.due(now)) {
        for (const socket of check.run(now)) {
          // Still armed for writing? (a sink callback above may have disarmed it)
          if (!(this.#set.eventsOf(socket) & WRITE_EVENTS)) continue;
          this.#connectFailuresFound++;
          sink.ready(socket, WRITABLE);
          events++;
        }
      }
    }
    return events;
  }

  stats(): ReadinessStats {
    return {
      backend: this.name,
      readArmed: this.#readArmed,
      writeArmed: this.#writeArmed,
      /** Entries in the WSAPOLLFD array: one per socket armed in either direction. */
      pollEntries: this.#set.size,
      pollCalls: this.#calls,
      /** Selects run by the failed-connect check (0 where it is off), and the failures they found. */
      connectChecks: this.#connectCheck?.runs ?? 0,
      connectFailuresFound: this.#connectFailuresFound,
    };
  }

  close(): void {
    this.#closed = true;
  }

  /**
   * Reads every entry's `revents` (WSAPoll's count is not trusted: see poll-set.ts). The sink may
   * disarm sockets while this runs, which moves entries; so the reports are collected first and
   * made after the scan.
   */
  #report(count: number, sink: ReadinessSink): number {
    const ready: Socket[] = [];
    const directions: number[] = [];
    const invalid: Socket[] = [];
    for (let slot = 0; slot < count; slot++) {
      const revents = this.#set.reventsAt(slot);
      if (revents === 0) continue;
      const socket = this.#set.socketAt(slot);
      if (revents & ws.POLLNVAL) {
        invalid.push(socket);
        continue;
      }
      const armed = this.#set.eventsAt(slot);
      let direction = 0;
      if (armed & READ_EVENTS && revents & (READ_EVENTS | ERROR_EVENTS)) direction |= READABLE;
      if (armed & WRITE_EVENTS && revents & (WRITE_EVENTS | ERROR_EVENTS)) direction |= WRITABLE;
      if (direction === 0) continue;
      ready.push(socket);
      directions.push(direction);
    }
    let events = 0;
    for (let i = 0; i < ready.length; i++) {
      const socket = ready[i]!;
      const direction = directions[i]!;
      if (direction & READABLE) {
        sink.ready(socket, READABLE);
        events++;
      }
      if (direction & WRITABLE) {
        sink.ready(socket, WRITABLE);
        events++;
      }
    }
    for (const socket of invalid) {
      this.#fail(socket, sink, new WinError('WSAPoll', ERROR.WSAENOTSOCK, { detail: 'not a socket, or closed (POLLNVAL)' }));
      events++;
    }
    return events;
  }

  /**
   * WSAPoll failed as a whole (under Wine: WSAENOTSOCK when no entry is a valid socket). Find the
   * armed sockets that are not sockets, fail them alone, and let the loop go on; with none to
   * blame the failure is the loop's.
   */
  #failBadSockets(sink: ReadinessSink, errno: number): number {
    const invalid: [Socket, number][] = [];
    for (const socket of [...this.#set.sockets()]) {
      const error = probeSocket(socket);
      if (error !== 0) invalid.push([socket, error]);
    }
    if (invalid.length === 0) throw new WinError('WSAPoll', errno);
    for (const [socket, error] of invalid) this.#fail(socket, sink, new WinError('WSAPoll', error));
    return invalid.length;
  }

  #fail(socket: Socket, sink: ReadinessSink, error: WinError): void {
    this.disarm(socket, READABLE);
    this.disarm(socket, WRITABLE);
    sink.failed(socket, error);
  }
}
