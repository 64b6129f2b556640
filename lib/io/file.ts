// File: a file opened for overlapped I/O (FILE_FLAG_OVERLAPPED), bound to a reactor's completion
// port; reads and writes at explicit offsets, any number in flight at once.
import * as kernel32 from '../win32/kernel32.ts';
import type { Reactor } from '../scheduler/reactor.ts';
import type { OverlappedOptions } from '../iocp-worker/completion-port.ts';
import { OverlappedHandle, createFile, registerOrClose } from './handles.ts';
import { checkSignal } from '../core/abort.ts';
import { checkBuffer, checkFileOffset } from '../core/buffers.ts';
import { checkChoice, checkOptions, checkPath } from '../core/arguments.ts';
import { checkReactor } from '../scheduler/check-reactor.ts';

export type FileMode = 'read' | 'write' | 'readwrite';

export interface FileOpenOptions {
  /** 'read' (default), 'write' or 'readwrite'. */
  mode?: FileMode;
  /** 'open' (must exist, default), 'create' (create or truncate), 'openOrCreate', 'createNew' (must not exist). */
  disposition?: 'open' | 'create' | 'openOrCreate' | 'createNew';
  /**
   * Opening does not wait (CreateFileW with FILE_FLAG_OVERLAPPED returns at once), so there is
   * nothing to abort; a signal already aborted throws its reason and opens nothing.
   */
  signal?: AbortSignal;
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

export class File extends OverlappedHandle {
  readonly path: string;

  private constructor(reactor: Reactor, handle: number, path: string) {
    super(reactor, handle);
    this.path = path;
  }

  /** Opens `path` for overlapped I/O on `reactor`'s completion port. */
  static open(reactor: Reactor, path: string, options: FileOpenOptions = {}): File {
    checkReactor(reactor, 'File.open: reactor');
    checkPath(path, 'File.open: path');
    options = checkOptions(options, 'File.open: options');
    const access = ACCESS[checkChoice(options.mode, 'File.open: mode', ACCESS, 'read')];
    const disposition = DISPOSITIONS[checkChoice(options.disposition, 'File.open: disposition', DISPOSITIONS, 'open')];
    const signal = checkSignal(options.signal, 'File.open: signal');
    if (signal?.aborted) throw signal.reason;
    const share = kernel32.FILE_SHARE_READ | kernel32.FILE_SHARE_WRITE | kernel32.FILE_SHARE_DELETE;
    const handle = createFile(path, access, share, disposition, kernel32.FILE_ATTRIBUTE_NORMAL | kernel32.FILE_FLAG_OVERLAPPED);
    return new File(reactor, registerOrClose(reactor, handle), path);
  }

  /** Reads into `buffer` from `offset`; resolves with the byte count (0 at or past end of file). */
  read(buffer: Uint8Array, offset: number, options?: OverlappedOptions): Promise<number> {
    const closed = this.closedError('file');
    if (closed) return Promise.reject(closed);
    try {
      checkBuffer(buffer, 'File.read: buffer', { forRead: true });
      checkFileOffset(offset, 'File.read: offset'); // required: undefined is not 0
    } catch (error) {
      return Promise.reject(error);
    }
    return this.reactor.readOverlapped(this.handle, buffer, offset, options);
  }

  /** Writes all of `data` at `offset` (one WriteFile; files take it whole). Resolves with the byte count. */
  write(data: Uint8Array, offset: number, options?: OverlappedOptions): Promise<number> {
    const closed = this.closedError('file');
    if (closed) return Promise.reject(closed);
    try {
      checkBuffer(data, 'File.write: data');
      checkFileOffset(offset, 'File.write: offset'); // required: undefined is not 0
    } catch (error) {
      return Promise.reject(error);
    }
    return this.reactor.writeOverlapped(this.handle, data, offset, options);
  }
}
