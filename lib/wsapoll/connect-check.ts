// ConnectCheck: finds the failed non-blocking connects that WSAPoll does not report.
//
// Before Windows 10 version 2004 (build 19041), WSAPoll does not report a non-blocking connect
// that fails: no POLLERR, no POLLHUP, no POLLWRNORM — the socket just never becomes ready, and
// a writer waiting for the connect waits until its own timeout (the reason curl stopped using
// WSAPoll in 2012; Microsoft fixed it in build 19041). select reports the same failure in its
// except set ("exceptfds: if processing a connect call (nonblocking), connection attempt
// failed"), so the check is a select with timeout 0 over the sockets armed for writing, except
// set only. It does not read SO_ERROR, which getsockopt resets on Windows ("The SO_ERROR option
// returns and resets the per socket–based error code"): the waiter reads it afterwards.
//
// The set is kept incrementally (a SelectSet: O(1) add/remove), and `due` paces the check: at
// most once per CONNECT_CHECK_MS, however often the loop polls.
import { SelectSet } from '../win32/select-set.ts';
import { Timeval } from '../win32/timeval.ts';
import * as ws from '../win32/ws2_32.ts';
import type { Socket } from '../win32/winsock.ts';

/** How often the check runs while sockets are armed for writing: a refused connect is seen within this. */
export const CONNECT_CHECK_MS = 100;

/** The first Windows build whose WSAPoll reports a failed connect (Windows 10 version 2004). */
export const WSAPOLL_FIXED_BUILD = 19041;

/** Whether this system's WSAPoll misses failed connects, from the build number in `os.release()` ("10.0.18362"). */
export function wsapollMissesFailedConnects(release: string): boolean {
  const [major, , build] = release.split('.').map(Number);
  if (major === undefined || build === undefined || Number.isNaN(build)) return true; // unknown: check
  return major < 10 || build < WSAPOLL_FIXED_BUILD;
}

export class ConnectCheck {
  readonly #writers = new SelectSet();
  readonly #timeval = new Timeval();
  #lastRun = -Infinity;
  #runs = 0;

  get size(): number {
    return this.#writers.size;
  }

  /** Times the check has called select. */
  get runs(): number {
    return this.#runs;
  }

  add(socket: Socket): void {
    this.#writers.add(socket);
  }

  remove(socket: Socket): void {
    this.#writers.remove(socket);
  }

  /** How long the next WSAPoll may block so that the check is not late: `timeoutMs` or less. */
  cap(timeoutMs: number, now: number): number {
    if (this.#writers.size === 0) return timeoutMs;
    return Math.min(timeoutMs, Math.max(0, this.#lastRun + CONNECT_CHECK_MS - now));
  }

  /** Whether the check is due at `now`. */
  due(now: number): boolean {
    return this.#writers.size > 0 && now - this.#lastRun >= CONNECT_CHECK_MS;
  }

  /**
   * Runs the check: the sockets armed for writing whose connect has failed (select's except
   * set). A select failure (a socket closed behind the loop's back) finds nothing here: the
   * next WSAPoll reports that socket as POLLNVAL.
   */
  run(now: number): Socket[] {
    this.#lastRun = now;
    const except = this.#writers.prepare();
    if (except === null) return [];
    this.#runs++;
    if (ws.select(0, null, null, except, this.#timeval.of(0)) <= 0) return [];
    const failed: Socket[] = [];
    for (let i = 0, n = this.#writers.readyCount(); i < n; i++) failed.push(this.#writers.readyAt(i));
    return failed;
  }
}
