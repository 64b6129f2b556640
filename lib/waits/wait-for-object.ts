// waitForObject, the checked entry of the object-wait part: its argument checks live here, beside
// the pool they protect, with the zero-timeout look that needs no thread for a handle already
// signalled (or invalid); only a wait that must block takes a slot on a waiter thread.
import * as kernel32 from '../win32/kernel32.ts';
import { toHandle } from '../win32/kernel32.ts';
import { WinError } from '../core/windows-errors.ts';
import { checkSignal } from '../core/abort.ts';
import { checkOptions, checkedCall } from '../core/arguments.ts';
import { checkDuration } from '../core/durations.ts';
import { HandleStateError, type ClosedResourceError } from '../core/errors.ts';
import { whenTurn, type Pace } from '../loop/fair-share.ts';
import type { ObjectWaitResult, WaitPool } from './wait-pool.ts';

/** What the wait needs of its reactor. */
export interface ObjectWaitContext {
  /** The error for a closed reactor, or undefined while it is open. */
  closedError(): ClosedResourceError | undefined;
  /** The reactor's own completion port: waiting on it would take packets from under the loop. */
  port(): number;
  /** Paces a wait that completed at once, like any fast path (a loop over a set event must not starve the loop). */
  readonly pace: Pace;
  /** A wait has started that only the loop can end. */
  started<T>(wait: Promise<T>): Promise<T>;
}

/** Resolves when `handle` is signalled, or `{ timedOut: true }` after `timeoutMs` (Reactor.waitForObject). */
export function waitForObject(pool: WaitPool, reactor: ObjectWaitContext, handle: number | bigint, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<ObjectWaitResult> {
  return checkedCall(() => {
    const h = toHandle(handle, 'waitForObject: handle');
    const { signal, timeoutMs } = checkOptions(options, 'waitForObject: options');
    const checked = checkSignal(signal, 'waitForObject: signal');
    if (timeoutMs !== undefined) {
      checkDuration(timeoutMs, 'waitForObject: timeoutMs'); // a number, not NaN
      // Unlike a sleep, a negative timeout is refused rather than taken as 0.
      if (timeoutMs < 0) throw new RangeError(`waitForObject: timeoutMs must be ≥ 0, got ${timeoutMs}`);
    }
    return { h, signal: checked, timeoutMs };
  }, ({ h, signal, timeoutMs }) => {
    const closed = reactor.closedError();
    if (closed !== undefined) return Promise.reject(closed);
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (h === reactor.port()) return Promise.reject(new HandleStateError('waitForObject: that handle is this reactor\'s own completion port'));
    // A zero-timeout check first: no thread for a handle that is already signalled (or invalid).
    const now = kernel32.WaitForSingleObject(h, 0);
    if (now === kernel32.WAIT_OBJECT_0 || now === kernel32.WAIT_ABANDONED_0) {
      return whenTurn(reactor.pace(undefined, false), { signaled: true, timedOut: false, abandoned: now === kernel32.WAIT_ABANDONED_0 });
    }
    if (now === kernel32.WAIT_FAILED) return Promise.reject(new WinError('WaitForSingleObject', kernel32.GetLastError()));
    if (timeoutMs === 0) return Promise.resolve({ signaled: false, timedOut: true, abandoned: false });
    return reactor.started(pool.wait(h, signal, timeoutMs));
  });
}
