// The readiness backend interface: how the scheduler learns that sockets are ready, whatever the
// mechanism (select, the default; AFD polls on the IOCP; WSAPoll; or a caller's own backend). The scheduler owns time and
// passes timeouts in; a backend owns only its interest sets and the OS calls that use them.
import type { Socket } from '../win32/winsock.ts';
import type { WinError } from '../core/windows-errors.ts';

export const READABLE = 1;
export const WRITABLE = 2;
/** READABLE or WRITABLE: one direction of interest. */
export type Direction = typeof READABLE | typeof WRITABLE;

/**
 * Where a backend reports what it found. Called on the reactor thread during the poll phase:
 * from `wait` (select), or from the completion port's dispatch (AFD). A socket that cannot be
 * armed at all may be reported failed from `arm` itself.
 */
export interface ReadinessSink {
  /**
   * `socket` is ready in `direction`. For WRITABLE this includes a failed non-blocking connect
   * (select reports it in the except set). May be called twice for one socket and direction in
   * one wait; the sink ignores what it no longer waits for.
   */
  ready(socket: Socket, direction: Direction): void;
  /**
   * `socket` cannot be waited on (e.g. WSAENOTSOCK: it was closed behind the loop's back). The
   * backend has already disarmed it in both directions; the sink fails its waiters.
   */
  failed(socket: Socket, error: WinError): void;
}

export interface ReadinessStats {
  backend: string;
  /** Sockets armed for reading (the reactor's wakeup socket included) and for writing. */
  readArmed: number;
  writeArmed: number;
  /**
   * Backend-specific figures (select: set sizes and calls; afd: polls in flight and started, and
   * `groupSizes`, the sockets on each \Device\Afd handle).
   */
  [figure: string]: number | string | readonly number[];
}

export interface ReadinessBackend {
  readonly name: string;
  /** Reports `socket` when it becomes ready in `direction`, until disarmed. Idempotent; O(1). */
  arm(socket: Socket, direction: Direction): void;
  /** Stops reporting `socket` in `direction`. No effect if not armed; O(1). */
  disarm(socket: Socket, direction: Direction): void;
  /**
   * Optional: `socket` is about to be closed (it is disarmed in both directions already). A
   * backend that keeps per-socket state in the kernel (AFD's polls) lets go of it now, so that a
   * new socket reusing the handle value is never taken for this one.
   */
  forget?(socket: Socket): void;
  /**
   * Optional: `socket` can no longer fail a connect (it is connected, or listening), so a
   * backend that watches for failed connects (select's except set) need not watch it.
   */
  established?(socket: Socket): void;
  /**
   * Blocks until an armed socket is ready or `timeoutMs` passes (0 polls; Infinity blocks without
   * limit), and reports what it found to `sink`. Failures that belong to one socket go to
   * `sink.failed` and the wait returns normally; any other failure throws a WinError.
   * Returns the number of events reported.
   */
  wait(timeoutMs: number, sink: ReadinessSink): number;
  /**
   * Optional, for a guest reactor's helper thread (lib/guest/): the fd_sets (read, write, except;
   * null for an empty one) a blocking `select` on another thread must wait on to cover this
   * backend — copies, valid until the next call (select's guest wait copies them:
   * lib/select/guest-wait.ts). A backend passed as an object without it cannot run as a guest;
   * a row says its guest wait itself (scheduler/backends.ts).
   */
  selectSets?(): readonly (Uint32Array | null)[];
  stats(): ReadinessStats;
  /** Releases what the backend owns. Idempotent. Sockets stay open: they belong to the caller. */
  close(): void;
}
