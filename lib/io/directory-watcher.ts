// DirectoryWatcher: changes under a directory, from ReadDirectoryChangesW overlapped on the
// reactor's completion port, as an async iterator of { action, path } (and { action: 'rescan' }).
//
// Windows facts it relies on (ReadDirectoryChangesW's documentation):
// - the first call allocates a buffer in the kernel, of the size that call passed, tied to the
//   directory handle until the handle is closed: changes made while no call is pending are kept
//   there and returned by the next call. So one read is always pending (re-issued as soon as the
//   last one's records are parsed), and nothing is lost between reads;
// - when that buffer overflows, the call completes with success and 0 bytes (or with
//   ERROR_NOTIFY_ENUM_DIR): the changes are gone and the caller must rescan the directory. That
//   is surfaced as { action: 'rescan' }, never dropped;
// - over the network the buffer may not exceed 64 KiB (ERROR_INVALID_PARAMETER); winmux caps it
//   there for every path, since it cannot tell a redirected drive from a local one.
import * as kernel32 from '../win32/kernel32.ts';
import { ERROR, WinError } from '../core/windows-errors.ts';
import { readDirectoryChangesOverlapped } from '../win32/overlapped-calls.ts';
import { BY_HANDLE_FILE_INFORMATION } from '../win32/structs.ts';
import type { Reactor } from '../scheduler/reactor.ts';
import { checkCompletionTarget, type CompletionTarget, type HandleTransfer } from '../iocp-worker/completion-port.ts';
import { ClosedResourceError } from '../core/errors.ts';
import { Turn, whenTurn } from '../loop/fair-share.ts';
import { checkSignal, onAbort } from '../core/abort.ts';
import { checkBoolean, checkNullableOptions, checkPath, checkedCall } from '../core/arguments.ts';
import { checkReactor } from '../scheduler/check-reactor.ts';
import { closeHandle, createFile, registerOrClose } from './handles.ts';
import {
  DEFAULT_FILTER, DEFAULT_WATCH_BUFFER_SIZE, checkBufferSize, filterMask, parseNotifications, type DirectoryChange, type DirectoryChangeFilter,
} from './directory-changes.ts';

/** `null` for any field (or for the whole bag) is its default, as in Node's fs.watch. */
export interface DirectoryWatchOptions {
  /** Watch the whole subtree (bWatchSubtree), not only the directory's own entries. Default false. */
  recursive?: boolean | null;
  /** Kinds of change reported. Default: fileName, dirName, attributes, size, lastWrite, creation. */
  filter?: readonly DirectoryChangeFilter[] | null;
  /** Bytes for the records of one read, and the kernel's buffer between reads: a multiple of 4, 16 to 65536. Default 16384. */
  bufferSize?: number | null;
  /** Aborting closes the watcher; pending and later `next()` calls reject with the reason. */
  signal?: AbortSignal | null;
}

/** What `DirectoryWatcher.adopt` takes: plain data, so it can be posted to another thread. */
export interface DirectoryWatcherTransfer {
  handle: HandleTransfer;
  path: string;
  recursive: boolean;
  filter: number;
  bufferSize: number;
  /** Changes already read but not yet taken: the adopting watcher yields them first. */
  queued: DirectoryChange[];
}

/**
 * Changes read but not taken past which no new read is issued: the kernel then keeps what comes
 * in its own buffer, and reports an overflow as 'rescan' if it fills — a bounded queue, never
 * a silent drop.
 */
const MAX_QUEUED = 4096;

const SHARE_ALL = kernel32.FILE_SHARE_READ | kernel32.FILE_SHARE_WRITE | kernel32.FILE_SHARE_DELETE;

/** The abort reason of the watcher's own cancellations (close, transfer): never shown to a caller. */
const STOPPING = Symbol('winmux.directoryWatcher.stopping');

interface Waiter {
  resolve: (result: IteratorResult<DirectoryChange, undefined>) => void;
  reject: (error: unknown) => void;
  stopListening: () => void;
}

export class DirectoryWatcher implements AsyncIterator<DirectoryChange, undefined, { signal?: AbortSignal } | undefined>, AsyncDisposable {
  readonly path: string;
  readonly recursive: boolean;
  /** 'emulated' when adopted from a reactor whose port still holds the handle (see Reactor.adoptHandle). */
  readonly mode: 'native' | 'emulated';
  readonly #reactor: Reactor;
  readonly #handle: number;
  readonly #filter: number;
  /** The records of the read in flight; ArrayBuffer memory is 8-aligned, as the call needs (DWORD). */
  readonly #buffer: Uint8Array;
  readonly #turn = new Turn();
  #queue: DirectoryChange[];
  #waiters: Waiter[] = [];
  /** Settles when the read in flight has (its packet came, or it was abandoned). */
  #reading: Promise<void> | undefined;
  #stopRead: AbortController | undefined;
  /** 'transferring' between `transfer()`'s start and the handle's hand-over. */
  #state: 'open' | 'transferring' | 'ended' = 'open';
  /** Why iteration fails (reactor closed, watcher aborted, read failed): given after the queue. */
  #failure: unknown;
  #handleClosed = false;
  #shutdown: Promise<void> | undefined;
  #stopListening: () => void = () => {};

  private constructor(reactor: Reactor, handle: number, mode: 'native' | 'emulated', settings: Omit<DirectoryWatcherTransfer, 'handle'>) {
    this.#reactor = reactor;
    this.#handle = handle;
    this.mode = mode;
    this.path = settings.path;
    this.recursive = settings.recursive;
    this.#filter = settings.filter;
    this.#buffer = new Uint8Array(new ArrayBuffer(settings.bufferSize));
    this.#queue = [...settings.queued];
  }

  /**
   * Watches the directory at `path`. A missing path fails with WinError ERROR_FILE_NOT_FOUND or
   * ERROR_PATH_NOT_FOUND, a file with ERROR_DIRECTORY. The first read is issued at once: changes
   * from now on are kept (while the reactor is not running, until it runs).
   */
  static open(reactor: Reactor, path: string, options?: DirectoryWatchOptions | null): DirectoryWatcher {
    checkReactor(reactor, 'DirectoryWatcher.open: reactor');
    checkPath(path, 'DirectoryWatcher.open: path');
    const given = checkNullableOptions(options, 'DirectoryWatcher.open: options');
    const recursive = checkBoolean(given.recursive, 'DirectoryWatcher.open: recursive', false);
    const filter = filterMask(given.filter ?? DEFAULT_FILTER);
    const bufferSize = checkBufferSize(given.bufferSize ?? DEFAULT_WATCH_BUFFER_SIZE);
    const signal = checkSignal(given.signal, 'DirectoryWatcher.open: signal');
    if (signal?.aborted) throw signal.reason;
    // FILE_FLAG_BACKUP_SEMANTICS is what lets CreateFileW open a directory; FILE_LIST_DIRECTORY
    // is the access ReadDirectoryChangesW checks; sharing delete lets others rename and delete
    // the watched entries (and the directory itself) while it is watched.
    const handle = createFile(path, kernel32.FILE_LIST_DIRECTORY, SHARE_ALL, kernel32.OPEN_EXISTING,
      kernel32.FILE_FLAG_BACKUP_SEMANTICS | kernel32.FILE_FLAG_OVERLAPPED);
    try {
      checkIsDirectory(handle, path);
    } catch (error) {
      closeHandle(handle);
      throw error;
    }
    // Without skip-on-success: ReadDirectoryChangesW's TRUE does not tell a read done at once
    // (no packet, with the mode) from one queued (lib/win32/overlapped-calls.ts).
    const watcher = new DirectoryWatcher(reactor, registerOrClose(reactor, handle, false), 'native', { path, recursive, filter, bufferSize, queued: [] });
    watcher.#start(signal);
    return watcher;
  }

  /**
   * Takes a watcher handed over with `transfer` (on this thread or another): it goes on from
   * where the old one stopped — queued changes first, then what the kernel kept meanwhile.
   * Where the OS cannot move the handle to this reactor's port (Wine 8, Windows before 8.1) its
   * reads run in emulated mode.
   */
  static adopt(reactor: Reactor, transfer: DirectoryWatcherTransfer, options?: { signal?: AbortSignal | null } | null): DirectoryWatcher {
    checkReactor(reactor, 'DirectoryWatcher.adopt: reactor');
    // Everything is checked before the handle is adopted: a failure after would leave it registered and unowned.
    if (typeof transfer !== 'object' || transfer === null || typeof transfer.handle !== 'object' || transfer.handle === null
      || typeof transfer.path !== 'string' || typeof transfer.recursive !== 'boolean' || !Number.isInteger(transfer.filter)
      || !Array.isArray(transfer.queued)) {
      throw new TypeError('DirectoryWatcher.adopt: transfer must be what DirectoryWatcher.transfer returned');
    }
    const signal = checkSignal(checkNullableOptions(options, 'DirectoryWatcher.adopt: options').signal, 'DirectoryWatcher.adopt: signal');
    const bufferSize = checkBufferSize(transfer.bufferSize);
    if (signal?.aborted) throw signal.reason;
    const mode = reactor.adoptHandle(transfer.handle);
    const watcher = new DirectoryWatcher(reactor, transfer.handle.handle, mode, { ...transfer, bufferSize });
    watcher.#start(signal);
    return watcher;
  }

  /** The watcher has ended: closed, failed, aborted or transferred. */
  get closed(): boolean {
    return this.#state !== 'open';
  }

  /**
   * The next change. Resolves `{ done: true }` once the watcher is closed; rejects with the
   * failure once it failed (ClosedResourceError when the reactor closed, the abort reason when
   * the watcher's signal aborted, a WinError when a read failed) — after the changes already
   * read. `signal` abandons this call only: no change is lost, the next call gets it.
   */
  next(options?: { signal?: AbortSignal | null } | null): Promise<IteratorResult<DirectoryChange, undefined>> {
    return checkedCall(() => checkSignal(checkNullableOptions(options, 'DirectoryWatcher.next: options').signal, 'DirectoryWatcher.next: signal'), (signal) => this.#next(signal));
  }

  #next(signal: AbortSignal | undefined): Promise<IteratorResult<DirectoryChange, undefined>> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const change = this.#queue.shift();
    if (change !== undefined) {
      this.#resume();
      return whenTurn(this.#reactor.yieldIfDue(this.#turn, false), { done: false, value: change });
    }
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#state !== 'open') return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, stopListening: () => {} };
      waiter.stopListening = onAbort(signal, () => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(signal!.reason);
      });
      this.#waiters.push(waiter);
    });
  }

  /** Ends a `for await` loop (break, return, throw): closes the watcher. */
  async return(): Promise<IteratorResult<DirectoryChange, undefined>> {
    await this.close();
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /**
   * Stops watching: cancels the pending read (CancelIoEx), waits for its packet while the reactor
   * runs, then releases and closes the handle. Pending `next()` calls resolve `{ done: true }`;
   * changes read but not taken are dropped. Idempotent.
   */
  close(): Promise<void> {
    if (this.#state === 'open') this.#shutdown = this.#shutDown(undefined, true);
    return this.#shutdown ?? Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Hands the watcher to the reactor whose `completionTarget()` is `target`: stops the pending
   * read (the kernel keeps later changes for the handle), moves the handle (Reactor.
   * transferHandle) and returns what that reactor's `DirectoryWatcher.adopt` takes. This watcher
   * then ends (`next()` resolves done). Call it while this reactor runs: it waits for the packet.
   */
  async transfer(target: CompletionTarget): Promise<DirectoryWatcherTransfer> {
    checkCompletionTarget(target, 'DirectoryWatcher.transfer: target'); // a TypeError now, while the watcher still runs
    if (this.#state !== 'open') throw this.#failure ?? new ClosedResourceError('the directory watcher is closed');
    this.#state = 'transferring';
    this.#stopListening();
    const reading = this.#reading;
    if (reading !== undefined) {
      this.#stopRead!.abort(STOPPING);
      await reading;
    }
    this.#state = 'ended';
    // The read failed meanwhile (the reactor closed): the handle cannot move; it is closed here.
    if (this.#failure !== undefined) {
      this.#endWaiters();
      this.#closeHandle();
      throw this.#failure;
    }
    let handle: HandleTransfer;
    try {
      handle = this.#reactor.transferHandle(this.#handle, target);
    } catch (error) {
      // The reactor closed meanwhile, or the target is gone: the watcher ends with that error.
      this.#failure = error;
      this.#endWaiters();
      this.#closeHandle();
      throw error;
    }
    this.#handleClosed = true; // it belongs to the transfer now
    const queued = this.#queue;
    this.#queue = [];
    this.#endWaiters();
    return { handle, path: this.path, recursive: this.recursive, filter: this.#filter, bufferSize: this.#buffer.byteLength, queued };
  }

  #start(signal: AbortSignal | undefined): void {
    this.#stopListening = onAbort(signal, () => {
      if (this.#state === 'open') this.#shutdown = this.#shutDown(signal!.reason, true);
    });
    this.#issue();
  }

  /** Starts the one read (never more than one: each reuses the buffer). */
  #issue(): void {
    const handle = this.#handle;
    const buffer = this.#buffer;
    const stop = new AbortController();
    this.#stopRead = stop;
    this.#reading = this.#reactor.submitOverlapped(
      handle,
      'ReadDirectoryChangesW',
      (overlapped) => readDirectoryChangesOverlapped(handle, buffer, this.recursive, this.#filter, overlapped),
      {
        pinned: buffer,
        signal: stop.signal,
        // The buffer overflowed: the same news as a successful read of 0 bytes.
        mapError: (errno) => (errno === ERROR.ERROR_NOTIFY_ENUM_DIR ? { bytes: 0 } : undefined),
      },
    ).then(
      (bytes) => this.#onRead(bytes),
      (error: unknown) => this.#onReadFailed(error),
    );
  }

  #onRead(bytes: number): void {
    this.#reading = undefined;
    if (this.#state === 'ended') return; // closed or aborted meanwhile: what it read is dropped
    const changes = bytes === 0 ? [{ action: 'rescan' } as const] : parseNotifications(this.#buffer, bytes);
    if (this.#state === 'transferring') {
      // It completed before the transfer's cancel reached it: its changes move with the handle.
      this.#queue.push(...changes);
      return;
    }
    for (const change of changes) this.#deliver(change);
    this.#resume();
  }

  #onReadFailed(error: unknown): void {
    this.#reading = undefined;
    if (error === STOPPING) return;
    if (this.#state === 'transferring') {
      this.#failure = error;
      return;
    }
    // The reactor closed, its worker died, or the directory went away (on Windows the pending
    // read fails when the watched directory is deleted; Wine 8 leaves it pending, docs/wine.md).
    // Changes read before stay to be taken, then `next()` rejects with the error.
    if (this.#state === 'open') this.#shutdown = this.#shutDown(error, false);
  }

  /** Issues the next read unless one is pending, the watcher ended, or the queue is full. */
  #resume(): void {
    if (this.#reading === undefined && this.#state === 'open' && this.#queue.length < MAX_QUEUED) this.#issue();
  }

  #deliver(change: DirectoryChange): void {
    const waiter = this.#waiters.shift();
    if (waiter === undefined) {
      this.#queue.push(change);
      return;
    }
    waiter.stopListening();
    this.#reactor.yieldIfDue(this.#turn, true);
    waiter.resolve({ done: false, value: change });
  }

  /**
   * Ends an open watcher: `failure` undefined for close(), else what later `next()` calls reject
   * with; `dropQueued` for close and abort (stop now), not for a failed read.
   */
  async #shutDown(failure: unknown, dropQueued: boolean): Promise<void> {
    this.#state = 'ended';
    this.#failure = failure;
    this.#stopListening();
    if (dropQueued) this.#queue = [];
    this.#endWaiters();
    const reading = this.#reading;
    if (reading !== undefined) {
      this.#stopRead!.abort(STOPPING);
      // Only a running loop dispatches the packet; otherwise the handle is closed now (the
      // reactor keeps the buffer until the packet comes, so the kernel never writes freed memory).
      if (this.#reactor.stats().running) await reading;
    }
    this.#closeHandle();
  }

  /** Settles every pending `next()`: with the failure if there is one, else done. */
  #endWaiters(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) {
      waiter.stopListening();
      if (this.#failure !== undefined) waiter.reject(this.#failure);
      else waiter.resolve({ done: true, value: undefined });
    }
  }

  #closeHandle(): void {
    if (this.#handleClosed) return;
    this.#handleClosed = true;
    this.#reactor.releaseHandle(this.#handle);
    closeHandle(this.#handle);
  }
}

/**
 * CreateFileW with FILE_FLAG_BACKUP_SEMANTICS opens a file as readily as a directory; the NT
 * open with FILE_DIRECTORY_FILE would fail with STATUS_NOT_A_DIRECTORY, i.e. ERROR_DIRECTORY,
 * which is what this reports.
 */
function checkIsDirectory(handle: number, path: string): void {
  const info = new Uint8Array(BY_HANDLE_FILE_INFORMATION.SIZE);
  if (!kernel32.GetFileInformationByHandle(handle, info)) throw new WinError('GetFileInformationByHandle', kernel32.GetLastError(), { detail: path });
  const attributes = new DataView(info.buffer).getUint32(BY_HANDLE_FILE_INFORMATION.FILE_ATTRIBUTES, true);
  if ((attributes & kernel32.FILE_ATTRIBUTE_DIRECTORY) === 0) {
    throw new WinError('CreateFileW', ERROR.ERROR_DIRECTORY, { detail: `${path} is a file, not a directory` });
  }
}

