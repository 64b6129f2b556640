// The errors winmux raises besides WinError (which, with the Windows error table, is in windows-errors.ts beside this file).
// All extend WinmuxError and carry a stable `code`; docs/errors.md lists them.

export { WinError } from './windows-errors.ts';
export { WinmuxError } from './winmux-error.ts';
import { WinmuxError } from './winmux-error.ts';
import { WinError } from './windows-errors.ts';

/**
 * The resource was closed while the operation waited on it, or before it started: by
 * `notifyClosing(socket)`, by closing the reactor, or by closing the object itself.
 */
export class ClosedResourceError extends WinmuxError {
  override readonly name = 'ClosedResourceError';
  readonly code = 'ERR_CLOSED_RESOURCE';

  constructor(message = 'the resource was closed', options?: ErrorOptions) {
    super(message, options);
  }

  /** The error for anything asked of, or pending on, a reactor that is closed: the one message for it. */
  static reactor(): ClosedResourceError {
    return new ClosedResourceError('the reactor is closed');
  }
}

/** Another task is already using this resource in the same way (waiting, reading, running). */
export class BusyResourceError extends WinmuxError {
  override readonly name = 'BusyResourceError';
  readonly code = 'ERR_BUSY_RESOURCE';

  constructor(message = 'another task is already waiting on this resource', options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * A handle is not in the state the call needs: not registered with this reactor (its packets
 * would never arrive here), already registered, in emulated mode where the call needs a native
 * binding, or an OVERLAPPED already in use.
 */
export class HandleStateError extends WinmuxError {
  override readonly name = 'HandleStateError';
  readonly code = 'ERR_HANDLE_STATE';
}

/** A thread winmux depends on (the IOCP worker, a waiter thread) exited or failed; `cause` says why. */
export class ThreadExitedError extends WinmuxError {
  override readonly name = 'ThreadExitedError';
  readonly code = 'ERR_THREAD_EXITED';
}

/** A facility this system does not offer (e.g. \\Device\\Afd cannot be opened); `cause` has the WinError. */
export class UnsupportedError extends WinmuxError {
  override readonly name = 'UnsupportedError';
  readonly code = 'ERR_UNSUPPORTED';
}

/** winmux's own invariant was broken (a bug, or a backend used after close); the message says which. */
export class InternalStateError extends WinmuxError {
  override readonly name = 'InternalStateError';
  readonly code = 'ERR_INTERNAL_STATE';
}

/**
 * winmux was imported on a host that is not Windows (`process.platform` is not `'win32'`): the
 * import fails with this before anything asks for a Windows DLL. On Linux, run the Windows build
 * of Node.js under Wine.
 */
export class UnsupportedPlatformError extends WinmuxError {
  override readonly name = 'UnsupportedPlatformError';
  readonly code = 'ERR_UNSUPPORTED_PLATFORM';
}

/**
 * A write was aborted (its signal fired) after `bytesWritten` of its bytes had gone to the kernel
 * — they will reach the peer; the rest will not. `cause` is the signal's reason. An aborted
 * `TcpStream.write` or `NamedPipe.write` always rejects with this, `bytesWritten` 0 included, so
 * the caller can resume at that offset or close the stream; never a silent partial write.
 */
export class WriteAbortedError extends WinmuxError {
  override readonly name = 'WriteAbortedError';
  readonly code = 'ERR_WRITE_ABORTED';
  readonly bytesWritten: number;

  constructor(bytesWritten: number, total: number, reason: unknown) {
    super(`the write was aborted after ${bytesWritten} of its ${total} bytes went out`, { cause: reason });
    this.bytesWritten = bytesWritten;
  }

  /** What a write that failed with `error` after `bytesWritten` of `total` bytes rejects with: this error if `signal` aborted it, else `error`. */
  static wrap(signal: AbortSignal | undefined, error: unknown, bytesWritten: number, total: number): unknown {
    return signal?.aborted === true && error === signal.reason ? new WriteAbortedError(bytesWritten, total, error) : error;
  }
}

/**
 * An error a WinmuxSocket (`toNodeDuplex`, `serveHttp`) emits, shaped like the error Node's own
 * net.Socket gives for the same failure, so code written for `net` (and Node's http, which
 * compares `err.code === 'ECONNRESET'`) matches it as it is: the WinError's `code`, `errno`,
 * `winCode` and `winErrno`, but `syscall` Node's name for the step (`read`, `write`, `shutdown`,
 * where the WinError says `recv`, `send`), message `"<syscall> <code>"` as Node's; `cause` is the
 * WinError.
 */
export class NodeSocketError extends WinmuxError {
  override readonly name = 'NodeSocketError';
  readonly code: string;
  /** libuv's number for `code` (negative, as Node's `errno`); undefined if the running Node has none. */
  readonly errno: number | undefined;
  readonly syscall: string;
  /** The Windows name of the failure (`WSAECONNRESET`). */
  readonly winCode: string;
  /** The Windows number of the failure (10054). */
  readonly winErrno: number;

  constructor(error: WinError, syscall: string) {
    super(`${syscall} ${error.code}`, { cause: error });
    this.code = error.code;
    this.errno = error.errno;
    this.syscall = syscall;
    this.winCode = error.winCode;
    this.winErrno = error.winErrno;
  }

  /** What a WinmuxSocket emits for `error`, met in its `syscall` step: a WinError as Node would say it, anything else as it is. */
  static from(error: unknown, syscall: 'read' | 'write' | 'shutdown'): Error {
    return error instanceof WinError ? new NodeSocketError(error, syscall) : (error as Error);
  }
}
