// ChildProcess: a process started with CreateProcessW; its exit is awaited through the reactor's
// object-wait family.
import * as kernel32 from '../win32/kernel32.ts';
import { WinError } from '../win32/errors.ts';
import { PROCESS_INFORMATION, STARTUPINFOW } from '../win32/structs.ts';
import type { Reactor } from '../scheduler/reactor.ts';
import { ClosedResourceError } from '../errors.ts';
import { checkSignal } from '../abort.ts';

export interface SpawnOptions {
  /** Working directory (default: this process's). */
  cwd?: string;
  /** The child's whole environment (default: inherit this process's). */
  env?: Record<string, string>;
}

/** A Windows environment block: "NAME=value\0…\0\0" in UTF-16, sorted by name case-insensitively. */
function environmentBlock(env: Record<string, string>): Uint8Array {
  if (typeof env !== 'object' || env === null) throw new TypeError(`spawnProcess: env must be an object of strings, got ${env === null ? 'null' : typeof env}`);
  for (const [key, value] of Object.entries(env)) {
    // The block separates entries with NUL and a name from its value with '=' (a leading '=' is
    // Windows' own per-drive variables, which a name cannot otherwise contain).
    if (key === '' || key.slice(1).includes('=') || key.includes('\0')) throw new TypeError(`spawnProcess: env name ${JSON.stringify(key)} is not a valid environment variable name`);
    if (typeof value !== 'string') throw new TypeError(`spawnProcess: env.${key} must be a string, got ${typeof value}`);
    if (value.includes('\0')) throw new TypeError(`spawnProcess: env.${key} contains a NUL character`);
  }
  const entries = Object.entries(env).sort(([a], [b]) => a.toUpperCase().localeCompare(b.toUpperCase()));
  return Buffer.from(`${entries.map(([k, v]) => `${k}=${v}\0`).join('')}\0`, 'utf16le');
}

export class ChildProcess implements AsyncDisposable {
  readonly pid: number;
  readonly handle: number;
  readonly #reactor: Reactor;
  /** Waits in flight on the handle: a waiter thread may hold it in its set until each settles. */
  readonly #waits = new Set<Promise<unknown>>();
  /** Aborted by close(): ends the waits before the handle is closed. */
  readonly #closing = new AbortController();
  /** Settles once the handle is really closed (after the waits, if any). */
  #released: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(reactor: Reactor, handle: number, pid: number) {
    this.#reactor = reactor;
    this.handle = handle;
    this.pid = pid;
  }

  /**
   * Starts `commandLine` (the program and its arguments as one string, as CreateProcessW takes
   * it) with no console window and no inherited handles.
   */
  static spawn(reactor: Reactor, commandLine: string, options: SpawnOptions = {}): ChildProcess {
    if (typeof commandLine !== 'string' || commandLine.includes('\0')) {
      throw new TypeError(`spawnProcess: the command line must be a string without NUL characters, got ${typeof commandLine}`);
    }
    const startup = new Uint8Array(STARTUPINFOW.SIZE);
    new DataView(startup.buffer).setUint32(STARTUPINFOW.CB, STARTUPINFOW.SIZE, true);
    const info = new Uint8Array(PROCESS_INFORMATION.SIZE);
    const command = Buffer.from(`${commandLine}\0`, 'utf16le'); // writable, as CreateProcessW requires
    const flags = kernel32.CREATE_NO_WINDOW | (options.env ? kernel32.CREATE_UNICODE_ENVIRONMENT : 0);
    const env = options.env ? environmentBlock(options.env) : null;
    if (!kernel32.CreateProcessW(null, command, null, null, 0, flags, env, options.cwd ?? null, startup, info)) {
      throw new WinError('CreateProcessW', kernel32.GetLastError(), { detail: commandLine });
    }
    const view = new DataView(info.buffer);
    const process = Number(view.getBigUint64(PROCESS_INFORMATION.PROCESS, true));
    kernel32.CloseHandle(Number(view.getBigUint64(PROCESS_INFORMATION.THREAD, true)));
    return new ChildProcess(reactor, process, view.getUint32(PROCESS_INFORMATION.PROCESS_ID, true));
  }

  /** The exit code, or null while the process runs. */
  get exitCode(): number | null {
    this.#check();
    const code = new Uint32Array(1);
    if (!kernel32.GetExitCodeProcess(this.handle, code)) throw new WinError('GetExitCodeProcess', kernel32.GetLastError());
    // STILL_ACTIVE (259) is also a legal exit code; a zero-timeout wait tells them apart.
    if (code[0] === kernel32.STILL_ACTIVE && kernel32.WaitForSingleObject(this.handle, 0) === kernel32.WAIT_TIMEOUT) return null;
    return code[0]!;
  }

  /**
   * Resolves with the exit code once the process has exited; rejects with ClosedResourceError if
   * `close()` is called meanwhile.
   */
  async wait(options: { signal?: AbortSignal } = {}): Promise<number> {
    this.#check();
    const own = this.#closing.signal;
    const user = checkSignal(options.signal);
    const waiting = this.#reactor.waitForObject(this.handle, { signal: user === undefined ? own : AbortSignal.any([user, own]) });
    this.#waits.add(waiting);
    try {
      await waiting;
    } catch (error) {
      if (own.aborted && error === own.reason) throw new ClosedResourceError('the process handle was closed while a task waited for the exit');
      throw error;
    } finally {
      this.#waits.delete(waiting);
    }
    return this.exitCode!;
  }

  /** TerminateProcess with `exitCode` (default 1). No error if it has already exited. */
  kill(exitCode = 1): void {
    this.#check();
    if (!kernel32.TerminateProcess(this.handle, exitCode) && this.exitCode === null) {
      throw new WinError('TerminateProcess', kernel32.GetLastError());
    }
  }

  /**
   * Closes the process handle (the process itself runs on). Idempotent. Pending waits reject with
   * ClosedResourceError first, and the handle is closed once they have settled — once no waiter
   * thread holds it in its set (libuv's uv__process_close unregisters its wait the same way);
   * closing under a waiting thread would let a reused handle value be waited on by mistake.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#waits.size === 0) {
      kernel32.CloseHandle(this.handle);
      return;
    }
    this.#closing.abort(new ClosedResourceError('the process handle is closing'));
    this.#released = Promise.allSettled([...this.#waits]).then(() => {
      kernel32.CloseHandle(this.handle);
    });
  }

  /** close(), then waits until the handle is really closed. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.#released;
  }

  #check(): void {
    if (this.#closed) throw new ClosedResourceError('the process handle is closed');
  }
}

/** Starts a child process whose exit `reactor` can await: `ChildProcess.spawn` as a function. */
export function spawnProcess(reactor: Reactor, commandLine: string, options: SpawnOptions = {}): ChildProcess {
  return ChildProcess.spawn(reactor, commandLine, options);
}
