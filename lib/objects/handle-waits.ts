// HandleWaits: the object waits an owner (a ChildProcess, a ConsoleInput, a WinEvent) makes on its
// own handle, and the one safe way to close that handle. A waiter thread holds the handle in its
// WaitForMultipleObjects set until the wait ends, so closing it under a pending wait could make
// the thread wait on a closed (or reused) handle value; libuv unregisters a wait before closing
// its handle, and so does this: `close` ends the pending waits first (they reject with
// ClosedResourceError), then closes the handle once none holds it.
import type { Reactor } from '../scheduler/reactor.ts';
import type { ObjectWaitResult } from '../waits/wait-pool.ts';
import * as kernel32 from '../win32/kernel32.ts';
import { ClosedResourceError } from '../core/errors.ts';

export class HandleWaits {
  readonly #handle: number;
  /** Whether `close` closes the handle (false: another owner's, as `WinEvent.fromHandle`'s). */
  readonly #owned: boolean;
  /** Waits in flight on the handle, on any reactor. */
  readonly #pending = new Set<Promise<unknown>>();
  /** Aborted by close(): ends the waits before the handle is closed. */
  readonly #closing = new AbortController();
  /** Settles once the waits have ended and the handle, if owned, is closed. */
  #released: Promise<void> | undefined;

  constructor(handle: number, { owned = true }: { owned?: boolean } = {}) {
    this.#handle = handle;
    this.#owned = owned;
  }

  /**
   * Waits on `reactor` for the handle to be signalled; `signal` (already checked) ends this wait
   * with its reason, `timeoutMs` with `{ timedOut: true }`, and `close()` with
   * ClosedResourceError(`closedMessage`).
   */
  async wait(reactor: Reactor, { signal, timeoutMs }: { signal?: AbortSignal | undefined; timeoutMs?: number | undefined }, closedMessage: string): Promise<ObjectWaitResult> {
    const own = this.#closing.signal;
    const waiting = reactor.waitForObject(this.#handle, {
      signal: signal === undefined ? own : AbortSignal.any([signal, own]),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
    this.#pending.add(waiting);
    try {
      return await waiting;
    } catch (error) {
      if (own.aborted && error === own.reason) throw new ClosedResourceError(closedMessage);
      throw error;
    } finally {
      this.#pending.delete(waiting);
    }
  }

  /**
   * Ends the pending waits (`why` is the abort reason they see) and, if the handle is owned,
   * closes it once no waiter thread holds it: at once when none is pending. Idempotent; resolves
   * once that is done.
   */
  close(why: string): Promise<void> {
    if (this.#released !== undefined) return this.#released;
    const closeHandle = (): void => {
      if (this.#owned) kernel32.CloseHandle(this.#handle);
    };
    if (this.#pending.size === 0) {
      closeHandle();
      this.#released = Promise.resolve();
    } else {
      this.#closing.abort(new ClosedResourceError(why));
      this.#released = Promise.allSettled([...this.#pending]).then(closeHandle);
    }
    return this.#released;
  }
}
