// ConsoleInput: the console's input buffer as an event source — key events, read without ever
// blocking the reactor thread.
//
// A console input handle is a waitable object: signalled while the input buffer holds records
// (WaitForSingleObject docs: "Console input: the handle is signaled when there is unread input
// in the console's input buffer"). So a read is an object wait like any other: the waiter thread
// blocks in WaitForMultipleObjects on the handle (reactor.waitForObject), and the reactor thread
// only ever calls ReadConsoleInputW when GetNumberOfConsoleInputEvents says records are there —
// ReadConsoleInputW itself blocks until it has read one, which must never happen on the loop.
// The wait does not consume anything (a console handle has no auto-reset): the read does.
//
// The handle is "CONIN$", the console's input buffer whatever stdin is redirected to; it is
// opened here and closed by `close()`, once no waiter thread holds it in its set (closing a
// handle a thread is waiting on is undefined behaviour — WaitForMultipleObjects docs).
//
// Only key events are returned. The other record kinds (mouse and window-size events, which
// come only in the modes that ask for them, and focus and menu events, which the docs say are
// "used internally and should be ignored") are read and dropped, so they never keep the handle
// signalled.
//
// Under Wine a process started without a terminal has no usable console (CONIN$ fails with
// ERROR_INVALID_HANDLE); a child created with CREATE_NO_WINDOW — as spawnProcess does — gets one.
// docs/wine.md has the measurements.
import type { Reactor } from '../scheduler/reactor.ts';
import * as kernel32 from '../win32/kernel32.ts';
import { INPUT_RECORD } from '../win32/structs.ts';
import { WinError } from '../core/windows-errors.ts';
import { checkSignal } from '../core/abort.ts';
import { BusyResourceError, ClosedResourceError } from '../core/errors.ts';
import { HandleWaits } from './handle-waits.ts';

export interface ConsoleKeyEvent {
  /** The key went down (true) or up (false). */
  keyDown: boolean;
  /** The character the key produced (UnicodeChar), '' for a key that makes none (Shift, arrows). */
  char: string;
  /** A key held down repeats: the count it stands for (at least 1). */
  repeatCount: number;
  /** VK_* code of the key (0x41 for A). */
  virtualKeyCode: number;
  virtualScanCode: number;
  /** Modifier and toggle state: SHIFT_PRESSED 0x10, LEFT_CTRL_PRESSED 0x8, … (wincon.h). */
  controlKeyState: number;
}

/** Records read at most per ReadConsoleInputW call. */
const BATCH = 64;

export class ConsoleInput implements AsyncIterable<ConsoleKeyEvent>, AsyncDisposable {
  readonly handle: number;
  readonly #reactor: Reactor;
  readonly #records = new Uint8Array(BATCH * INPUT_RECORD.SIZE);
  readonly #view = new DataView(this.#records.buffer);
  readonly #count = new Uint32Array(1);
  /** The wait on the handle, and closing it only once no waiter thread holds it. */
  readonly #waits: HandleWaits;
  #reading = false;
  #released: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(reactor: Reactor, handle: number) {
    this.#reactor = reactor;
    this.handle = handle;
    this.#waits = new HandleWaits(handle);
  }

  /**
   * Opens this process's console input ("CONIN$"). Throws WinError if the process has no console
   * (ERROR_INVALID_HANDLE from CreateFileW, or from GetConsoleMode when the handle opens but is
   * not a working console).
   */
  static open(reactor: Reactor): ConsoleInput {
    const handle = kernel32.CreateFileW('CONIN$', kernel32.GENERIC_READ | kernel32.GENERIC_WRITE,
      kernel32.FILE_SHARE_READ | kernel32.FILE_SHARE_WRITE, null, kernel32.OPEN_EXISTING, 0, null);
    if (kernel32.isInvalidHandle(handle)) {
      throw new WinError('CreateFileW', kernel32.GetLastError(), { detail: 'CONIN$: this process has no console' });
    }
    const h = Number(handle);
    if (!kernel32.GetConsoleMode(h, new Uint32Array(1))) {
      const errno = kernel32.GetLastError();
      kernel32.CloseHandle(h);
      throw new WinError('GetConsoleMode', errno, { detail: 'CONIN$ opened but is not a working console' });
    }
    return new ConsoleInput(reactor, h);
  }

  /** Input records waiting in the buffer, of every kind (GetNumberOfConsoleInputEvents). */
  get pending(): number {
    this.#check();
    if (!kernel32.GetNumberOfConsoleInputEvents(this.handle, this.#count)) {
      throw new WinError('GetNumberOfConsoleInputEvents', kernel32.GetLastError());
    }
    return this.#count[0]!;
  }

  /**
   * Resolves with the key events in the buffer (one or more), waiting for them without blocking
   * the loop. One read at a time (BusyResourceError otherwise); `close()` rejects a pending read
   * with ClosedResourceError; `signal` aborts it.
   */
  async read(options: { signal?: AbortSignal } = {}): Promise<ConsoleKeyEvent[]> {
    this.#check();
    const user = checkSignal(options.signal);
    if (this.#reading) throw new BusyResourceError('another task is already reading this console');
    // Before the records are read: an already-aborted read takes none, even with some waiting.
    if (user?.aborted) throw user.reason;
    this.#reading = true;
    try {
      // ends: at the first key record, or when the wait throws (closed, aborted); a pass that finds only other records has consumed them
      for (;;) {
        if (this.pending > 0) {
          const keys = this.#readRecords();
          if (keys.length > 0) return keys;
          continue; // only records that are not keys: dropped, look again
        }
        await this.#waits.wait(this.#reactor, { signal: user }, 'the console input was closed while a task read it');
        this.#check();
      }
    } finally {
      this.#reading = false;
    }
  }

  /**
   * Puts key events into the console's input buffer as if typed (WriteConsoleInputW): what a
   * test or an automation tool feeds a console program. `keyDown` defaults to true and
   * `repeatCount` to 1; the others to 0 (and `char` to '').
   */
  write(events: readonly Partial<ConsoleKeyEvent>[]): number {
    this.#check();
    const records = new Uint8Array(events.length * INPUT_RECORD.SIZE);
    const view = new DataView(records.buffer);
    events.forEach((event, i) => {
      const at = i * INPUT_RECORD.SIZE;
      const char = event.char ?? '';
      if (char.length > 1) throw new RangeError(`ConsoleInput.write: char must be one UTF-16 unit, got ${JSON.stringify(char)}`);
      view.setUint16(at + INPUT_RECORD.EVENT_TYPE, kernel32.KEY_EVENT, true);
      view.setInt32(at + INPUT_RECORD.KEY_DOWN, event.keyDown === false ? 0 : 1, true);
      view.setUint16(at + INPUT_RECORD.REPEAT_COUNT, event.repeatCount ?? 1, true);
      view.setUint16(at + INPUT_RECORD.VIRTUAL_KEY_CODE, event.virtualKeyCode ?? 0, true);
      view.setUint16(at + INPUT_RECORD.VIRTUAL_SCAN_CODE, event.virtualScanCode ?? 0, true);
      view.setUint16(at + INPUT_RECORD.UNICODE_CHAR, char === '' ? 0 : char.charCodeAt(0), true);
      view.setUint32(at + INPUT_RECORD.CONTROL_KEY_STATE, event.controlKeyState ?? 0, true);
    });
    const written = new Uint32Array(1);
    if (!kernel32.WriteConsoleInputW(this.handle, records, events.length, written)) {
      throw new WinError('WriteConsoleInputW', kernel32.GetLastError());
    }
    return written[0]!;
  }

  /**
   * Closes the handle; a pending read rejects with ClosedResourceError, and the handle is closed
   * once its wait has ended (no waiter thread holds it then). Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#released = this.#waits.close('the console input is closing');
  }

  /** `for await (const key of input)`: key events one by one, until `close()` ends the loop. */
  async *[Symbol.asyncIterator](): AsyncGenerator<ConsoleKeyEvent, undefined, undefined> {
    while (!this.#closed) {
      let keys: ConsoleKeyEvent[];
      try {
        keys = await this.read();
      } catch (error) {
        if (error instanceof ClosedResourceError && this.#closed) return undefined;
        throw error;
      }
      yield* keys;
    }
    return undefined;
  }

  /** close(), then waits until the handle is really closed. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.#released;
  }

  /** Reads what is there (it never blocks: records are pending) and keeps the key events. */
  #readRecords(): ConsoleKeyEvent[] {
    if (!kernel32.ReadConsoleInputW(this.handle, this.#records, BATCH, this.#count)) {
      throw new WinError('ReadConsoleInputW', kernel32.GetLastError());
    }
    const keys: ConsoleKeyEvent[] = [];
    const view = this.#view;
    for (let i = 0, n = this.#count[0]!; i < n; i++) {
      const at = i * INPUT_RECORD.SIZE;
      if (view.getUint16(at + INPUT_RECORD.EVENT_TYPE, true) !== kernel32.KEY_EVENT) continue;
      const code = view.getUint16(at + INPUT_RECORD.UNICODE_CHAR, true);
      keys.push({
        keyDown: view.getInt32(at + INPUT_RECORD.KEY_DOWN, true) !== 0,
        char: code === 0 ? '' : String.fromCharCode(code),
        repeatCount: view.getUint16(at + INPUT_RECORD.REPEAT_COUNT, true),
        virtualKeyCode: view.getUint16(at + INPUT_RECORD.VIRTUAL_KEY_CODE, true),
        virtualScanCode: view.getUint16(at + INPUT_RECORD.VIRTUAL_SCAN_CODE, true),
        controlKeyState: view.getUint32(at + INPUT_RECORD.CONTROL_KEY_STATE, true),
      });
    }
    return keys;
  }

  #check(): void {
    if (this.#closed) throw new ClosedResourceError('the console input is closed');
  }
}
