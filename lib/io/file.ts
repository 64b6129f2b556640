// File: a file opened for overlapped I/O (FILE_FLAG_OVERLAPPED), bound to a reactor's completion
// port; reads and writes at explicit offsets, any number in flight at once.
import * as kernel32 from '../win32/kernel32.ts';
import type { Reactor } from '../scheduler/reactor.ts';
import type { OverlappedOptions } from '../iocp-worker/completion-port.ts';
import { ClosedResourceError } from '../errors.ts';
import { closeHandle, createFile } from './handles.ts';

export type FileMode = 'read' | 'write' | 'readwrite';

export interface FileOpenOptions {
  /** 'read' (default), 'write' or 'readwrite'. */
  mode?: FileMode;
  /** 'open' (must exist, default), 'create' (create or truncate), 'openOrCreate', 'createNew' (must not exist). */
  disposition?: 'open' | 'create' | 'openOrCreate' | 'createNew';
}

const DISPOSITIONS = {
  open: kernel32.OPEN_EXISTING,
  create: kernel32.CREATE_ALWAYS,
  openOrCreate: kernel32.OPEN_ALWAYS,
  createNew: kernel32.CREATE_NEW,
} as const;

const ACCESS = {
  read: kernel32.GENERIC_READ,
  write: kernel32.GENERIC_WRITE,
  readwrite: kernel32.GENERIC_READ | kernel32.GENERIC_WRITE,
} as const;

export class File implements AsyncDisposable {
  readonly handle: number;
  readonly path: string;
  readonly #reactor: Reactor;
  #closed = false;

  private constructor(reactor: Reactor, handle: number, path: string) {
    this.#reactor = reactor;
    this.handle = handle;
    this.path = path;
  }

  /** Opens `path` for overlapped I/O on `reactor`'s completion port. */
  static open(reactor: Reactor, path: string, options: FileOpenOptions = {}): File {
    const access = ACCESS[options.mode ?? 'read'];
    const disposition = DISPOSITIONS[options.disposition ?? 'open'];
    const share = kernel32.FILE_SHARE_READ | kernel32.FILE_SHARE_WRITE | kernel32.FILE_SHARE_DELETE;
    const handle = createFile(path, access, share, disposition, kernel32.FILE_ATTRIBUTE_NORMAL | kernel32.FILE_FLAG_OVERLAPPED);
    try {
      reactor.registerWithIocp(handle);
    } catch (error) {
      closeHandle(handle);
      throw error;
    }
    return new File(reactor, handle, path);
  }

  /** Reads into `buffer` from `offset`; resolves with the byte count (0 at or past end of file). */
  read(buffer: Uint8Array, offset: number, options?: OverlappedOptions): Promise<number> {
    if (this.#closed) return Promise.reject(new ClosedResourceError('the file is closed'));
    return this.#reactor.readOverlapped(this.handle, buffer, offset, options);
  }

  /** Writes all of `data` at `offset` (one WriteFile; files take it whole). Resolves with the byte count. */
  write(data: Uint8Array, offset: number, options?: OverlappedOptions): Promise<number> {
    if (this.#closed) return Promise.reject(new ClosedResourceError('the file is closed'));
    return this.#reactor.writeOverlapped(this.handle, data, offset, options);
  }

  /** Closes the handle; operations still pending reject with ClosedResourceError. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#reactor.releaseHandle(this.handle);
    closeHandle(this.handle);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }
}
