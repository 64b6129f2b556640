// WinEvent: a Win32 event object (CreateEventW). Any thread can set it by handle value
// (`WinEvent.fromHandle(handle).set()`), and a reactor waits on it with `waitForObject`.
import * as kernel32 from '../win32/kernel32.ts';
import { WinError } from '../win32/errors.ts';
import { ClosedResourceError } from '../errors.ts';
import { toHandle } from '../win32/kernel32.ts';
import { checkBoolean, checkOptions } from '../arguments.ts';

export interface WinEventOptions {
  /** Manual reset: stays signalled until `reset()` (default false: auto-reset, one waiter per `set()`). */
  manualReset?: boolean;
  /** Start signalled (default false). */
  signaled?: boolean;
}

export class WinEvent implements Disposable, AsyncDisposable {
  readonly handle: number;
  readonly #owned: boolean;
  #closed = false;

  private constructor(handle: number, owned: boolean) {
    this.handle = handle;
    this.#owned = owned;
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

  /** Closes the handle if this object made it. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#owned) kernel32.CloseHandle(this.handle);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  #check(): void {
    if (this.#closed) throw new ClosedResourceError('the event is closed');
  }
}
