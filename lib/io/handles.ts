// Opening overlapped handles: CreateFileW and CreateNamedPipeW, checked.
import * as kernel32 from '../win32/kernel32.ts';
import { WinError } from '../win32/errors.ts';
import type { PointerValue } from '../win32/ffi.ts';
import type { Reactor } from '../scheduler/reactor.ts';
import { ClosedResourceError } from '../errors.ts';

function checkedHandle(result: PointerValue, syscall: string, what: string): number {
  if (kernel32.isInvalidHandle(result)) throw new WinError(syscall, kernel32.GetLastError(), { detail: what });
  return Number(result);
}

export function createFile(path: string, access: number, share: number, disposition: number, flags: number): number {
  return checkedHandle(kernel32.CreateFileW(path, access, share, null, disposition, flags, null), 'CreateFileW', path);
}

export function createNamedPipe(name: string, openMode: number, pipeMode: number, bufferSize: number): number {
  return checkedHandle(
    kernel32.CreateNamedPipeW(name, openMode, pipeMode, kernel32.PIPE_UNLIMITED_INSTANCES, bufferSize, bufferSize, 0, null),
    'CreateNamedPipeW',
    name,
  );
}

export function closeHandle(handle: number): void {
  if (!kernel32.CloseHandle(handle)) throw new WinError('CloseHandle', kernel32.GetLastError());
}

/** Binds a freshly opened handle to the reactor's port, closing the handle if that fails. */
export function registerOrClose(reactor: Reactor, handle: number): number {
  try {
    reactor.registerWithIocp(handle);
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
