// HandleWaits: the object waits an owner (a ChildProcess, a ConsoleInput) makes on its own
// handle, and the one safe way to close that handle. A waiter thread holds the handle in its
// WaitForMultipleObjects set until the wait ends, so closing it under a pending wait could make
// the thread wait on a closed (or reused) handle value; libuv unregisters a wait before closing
// its handle, and so does this: `closeHandle` ends the pending waits first (they reject with
// ClosedResourceError), then closes the handle once none holds it.
import type { Reactor } from '../scheduler/reactor.ts';
import type { ObjectWaitResult } from '../waits/wait-pool.ts';
import * as kernel32 from '../win32/kernel32.ts';
import { ClosedResourceError } from '../errors.ts';

export class HandleWaits {
  readonly #reactor: Reactor;
  readonly #handle: number;
  /** Waits in flight on the handle. */
  readonly #pending = new Set<Promise<unknown>>();
  /** Aborted by closeHandle(): ends the waits before the handle is closed. */
  readonly #closing = new AbortController();
  /** Settles once the handle is really closed. */
  #released: Promise<void> | undefined;

  constructor(reactor: Reactor, handle: number) {
    this.#reactor = reactor;
    this.#handle = handle;
  }

  /**
   * Waits for the handle to be signalled; `signal` (already checked) ends this wait with its
   * reason, and `closeHandle()` with ClosedResourceError(`closedMessage`).
   */
  async wait(signal: AbortSignal | undefined, closedMessage: string): Promise<ObjectWaitResult> {
    const own = this.#closing.signal;
    const waiting = this.#reactor.waitForObject(this.#handle, { signal: signal === undefined ? own : AbortSignal.any([signal, own]) });
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
   * Ends the pending waits (`why` is the abort reason they see) and closes the handle once no
   * waiter thread holds it: at once when none is pending. Idempotent; resolves once it is closed.
   */
  closeHandle(why: string): Promise<void> {
    if (this.#released !== undefined) return this.#released;
    if (this.#pending.size === 0) {
      kernel32.CloseHandle(this.#handle);
      this.#released = Promise.resolve();
    } else {
      this.#closing.abort(new ClosedResourceError(why));
      this.#released = Promise.allSettled([...this.#pending]).then(() => {
        kernel32.CloseHandle(this.#handle);
      });
    }
    return this.#released;
  }
}
