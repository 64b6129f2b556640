// WinEvent: a Win32 event object (CreateEventW). Any thread can set it by handle value
// (`WinEvent.fromHandle(handle).set()`), and a reactor waits on it with `event.wait(reactor)` —
// through HandleWaits, so that `close()` ends those waits before it closes the handle (a waiter
// thread may still hold it in its WaitForMultipleObjects set; closing under it is undefined).
import * as kernel32 from '../win32/kernel32.ts';
import { WinError } from '../core/windows-errors.ts';
import { ClosedResourceError } from '../core/errors.ts';
import { toHandle } from '../win32/kernel32.ts';
import type { Reactor } from '../scheduler/reactor.ts';
import type { ObjectWaitResult } from '../waits/wait-pool.ts';
import { checkSignal } from '../core/abort.ts';
import { checkBoolean, checkOptions } from '../core/arguments.ts';
import { checkReactor } from '../scheduler/check-reactor.ts';
import { HandleWaits } from './handle-waits.ts';

export interface WinEventOptions {
  /** Manual reset: stays signalled until `reset()` (default false: auto-reset, one waiter per `set()`). */
  manualReset?: boolean;
  /** Start signalled (default false). */
  signaled?: boolean;
}

export class WinEvent implements Disposable, AsyncDisposable {
  readonly handle: number;
  /** The waits made with `wait()`, and closing the handle (if this object made it) only once none holds it. */
  readonly #waits: HandleWaits;
  /** Settles once the waits have ended and the handle, if owned, is closed. */
  #released: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(handle: number, owned: boolean) {
    this.handle = handle;
    this.#waits = new HandleWaits(handle, { owned });
  }

  static create(options: WinEventOptions = {}): WinEvent {
    options = checkOptions(options, 'WinEvent.create: options');
    const manualReset = checkBoolean(options.manualReset, 'WinEvent.create: manualReset', false);
    const signaled = checkBoolean(options.signaled, 'WinEvent.create: signaled', false);
    const handle = kernel32.CreateEventW(null, manualReset ? 1 : 0, signaled ? 1 : 0, null);
    if (kernel32.isNullHandle(handle)) throw new WinError('CreateEventW', kernel32.GetLastError());
    return new WinEvent(Number(handle), true);
  }

  /** Wraps a handle value made elsewhere (another thread's event); `close()` will not close it. */
  static fromHandle(handle: number | bigint): WinEvent {
    return new WinEvent(toHandle(handle, 'WinEvent.fromHandle: handle'), false);
  }

  set(): void {
    this.#check();
    if (!kernel32.SetEvent(this.handle)) throw new WinError('SetEvent', kernel32.GetLastError());
  }

  reset(): void {
    this.#check();
    if (!kernel32.ResetEvent(this.handle)) throw new WinError('ResetEvent', kernel32.GetLastError());
  }

  /**
   * Waits on `reactor` until the event is signalled (`reactor.waitForObject` on its handle, with
   * the same options and results); `close()` rejects it with ClosedResourceError. Waits made with
   * `reactor.waitForObject(event.handle)` directly are not the event's to end: settle or abort
   * those before `close()`.
   */
  async wait(reactor: Reactor, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<ObjectWaitResult> {
    checkReactor(reactor, 'WinEvent.wait: reactor');
    options = checkOptions(options, 'WinEvent.wait: options');
    const signal = checkSignal(options.signal, 'WinEvent.wait: signal');
    this.#check();
    return this.#waits.wait(reactor, { signal, timeoutMs: options.timeoutMs }, 'the event was closed while a task waited on it');
  }

  /**
   * Ends the waits made with `wait()` (they reject with ClosedResourceError) and closes the handle
   * if this object made it — once no waiter thread holds it. Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#released = this.#waits.close('the event is closing');
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** close(), then waits until the handle is really closed. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.#released;
  }

  #check(): void {
    if (this.#closed) throw new ClosedResourceError('the event is closed');
  }
}
