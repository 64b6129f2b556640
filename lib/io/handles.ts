// Opening overlapped handles: CreateFileW and CreateNamedPipeW, checked.
import * as kernel32 from '../win32/kernel32.ts';
import { WinError } from '../core/windows-errors.ts';
import type { PointerValue } from '../win32/ffi.ts';
import type { Reactor } from '../scheduler/reactor.ts';
import { ClosedResourceError } from '../core/errors.ts';
import { SECURITY_ATTRIBUTES } from '../win32/structs.ts';

function checkedHandle(result: PointerValue, syscall: string, what: string): number {
  if (kernel32.isInvalidHandle(result)) throw new WinError(syscall, kernel32.GetLastError(), { detail: what });
  return Number(result);
}

/** `security`: a SECURITY_ATTRIBUTES (e.g. `inheritableAttributes()`), or none. */
export function createFile(path: string, access: number, share: number, disposition: number, flags: number, security: Uint8Array | null = null): number {
  return checkedHandle(kernel32.CreateFileW(path, access, share, security, disposition, flags, null), 'CreateFileW', path);
}

/** SECURITY_ATTRIBUTES with bInheritHandle TRUE: a handle made with it can be given to a child. */
export function inheritableAttributes(): Uint8Array {
  const attributes = new Uint8Array(SECURITY_ATTRIBUTES.SIZE);
  const view = new DataView(attributes.buffer);
  view.setUint32(SECURITY_ATTRIBUTES.LENGTH, SECURITY_ATTRIBUTES.SIZE, true);
  view.setUint32(SECURITY_ATTRIBUTES.INHERIT_HANDLE, 1, true);
  return attributes;
}

export function createNamedPipe(name: string, openMode: number, pipeMode: number, bufferSize: number, maxInstances = kernel32.PIPE_UNLIMITED_INSTANCES): number {
  return checkedHandle(
    kernel32.CreateNamedPipeW(name, openMode, pipeMode, maxInstances, bufferSize, bufferSize, 0, null),
    'CreateNamedPipeW',
    name,
  );
}

export function closeHandle(handle: number): void {
  if (!kernel32.CloseHandle(handle)) throw new WinError('CloseHandle', kernel32.GetLastError());
}

/**
 * Whether the handles winmux opens skip the packet of a call that succeeds at once
 * (FILE_SKIP_COMPLETION_PORT_ON_SUCCESS; lib/iocp-worker/completion-port.ts): pipes and files,
 * not the directory watcher's handle (overlapped-calls.ts says why). On by default:
 * measured a win on the pipe ping-pong (docs/benchmarks.md, `skip-on-success`).
 * @internal For that benchmark, which alternates with and without it in one run.
 */
export const ownHandles = { skipCompletionOnSuccess: true };

/**
 * Binds a freshly opened handle to the reactor's port, closing the handle if that fails.
 * `skipOnSuccess`: with FILE_SKIP_COMPLETION_PORT_ON_SUCCESS (see `ownHandles`) — only for handles
 * whose every call tells a success at once from a pending one (win32/overlapped-calls.ts).
 */
export function registerOrClose(reactor: Reactor, handle: number, skipOnSuccess = ownHandles.skipCompletionOnSuccess): number {
  try {
    reactor.registerWithIocp(handle, { skipCompletionOnSuccess: skipOnSuccess });
  } catch (error) {
    closeHandle(handle);
    throw error;
  }
  return handle;
}

/**
 * An overlapped handle bound to a reactor's port, owned by the object: `close()` releases it from
 * the reactor (pending operations then settle with ClosedResourceError) and closes it.
 */
export class OverlappedHandle implements Disposable, AsyncDisposable {
  readonly handle: number;
  protected readonly reactor: Reactor;
  #closed = false;

  protected constructor(reactor: Reactor, handle: number) {
    this.reactor = reactor;
    this.handle = handle;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Closes the handle; operations still pending reject with ClosedResourceError. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.reactor.releaseHandle(this.handle);
    closeHandle(this.handle);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  protected closedError(what: string): ClosedResourceError | undefined {
    return this.#closed ? new ClosedResourceError(`the ${what} is closed`) : undefined;
  }
}
