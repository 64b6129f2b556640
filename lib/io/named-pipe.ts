// Named pipes over the completion port: NamedPipeServer (CreateNamedPipeW + overlapped
// ConnectNamedPipe, one instance per client) and NamedPipe (a connected end, server or client).
// Byte mode. End of stream — the peer closed (ERROR_BROKEN_PIPE) — reads as 0 bytes.
import * as kernel32 from '../win32/kernel32.ts';
import { ERROR, WinError } from '../core/windows-errors.ts';
import { connectNamedPipeOverlapped } from '../win32/overlapped-calls.ts';
import type { Reactor } from '../scheduler/reactor.ts';
import type { OverlappedOptions } from '../iocp-worker/completion-port.ts';
import { BusyResourceError, ClosedResourceError, WriteAbortedError } from '../core/errors.ts';
import { checkBuffer } from '../core/buffers.ts';
import { OverlappedHandle, closeHandle, createFile, createNamedPipe, registerOrClose } from './handles.ts';
import { checkSignal } from '../core/abort.ts';
import { checkChoice, checkInteger, checkOptions, checkPath } from '../core/arguments.ts';
import { checkReactor } from '../scheduler/check-reactor.ts';
import { checkDuration } from '../core/durations.ts';
import { untilClosed } from '../core/until-closed.ts';

/** Each direction's kernel buffer: 64 KiB, the size Windows' own tools use by default. */
const PIPE_BUFFER_SIZE = 65536;
/** How often a client retries while every server instance is busy (ERROR_PIPE_BUSY). */
const BUSY_RETRY_MS = 5;
/** The local pipe namespace; the only prefix a full pipe path may have. */
const LOCAL_PIPE_PREFIX = '\\\\.\\pipe\\';
/** CreateNamedPipeW: "The entire pipe name string can be up to 256 characters long" (Wine 8 takes up to 259). */
const MAX_PIPE_PATH = 256;

/**
 * `\\.\pipe\<name>` for a bare name; a full path is accepted only with that local prefix. The
 * name is what a pipe name is, not a path: no `\` or `/` (Win32 path rules would read one as a
 * separator, and `\\.\pipe\..\C:\file` is the file C:\file), no trailing `.` or space (they
 * strip those, and `..` walks out of the pipe namespace). Remote paths (`\\server\pipe\x`: a
 * connect would send this process's credentials to that server) and other devices are refused.
 * TypeError for any of these, RangeError for a path over 256 characters.
 */
export function pipePath(name: string): string {
  checkPath(name, 'pipe name');
  const full = /^[\\/]{2}/.test(name);
  if (full && name.slice(0, LOCAL_PIPE_PREFIX.length).toLowerCase() !== LOCAL_PIPE_PREFIX) {
    throw new TypeError(`pipe name ${JSON.stringify(name)} is not a local pipe path: a full path must start with \\\\.\\pipe\\ (remote pipes and other devices are refused)`);
  }
  const bare = full ? name.slice(LOCAL_PIPE_PREFIX.length) : name;
  if (bare === '') throw new TypeError(`pipe name ${JSON.stringify(name)} has nothing after \\\\.\\pipe\\`);
  if (/[\\/]/.test(bare)) throw new TypeError(`pipe name ${JSON.stringify(name)} contains '\\' or '/', which Windows would read as a path separator`);
  if (/[. ]$/.test(bare)) throw new TypeError(`pipe name ${JSON.stringify(name)} ends with '.' or ' ', which Windows strips from a path`);
  const path = full ? name : `${LOCAL_PIPE_PREFIX}${name}`;
  if (path.length > MAX_PIPE_PATH) throw new RangeError(`pipe name: the path ${JSON.stringify(path.slice(0, 40))}… is ${path.length} characters long; Windows takes at most ${MAX_PIPE_PATH}`);
  return path;
}

/**
 * The first instance of a new pipe named `path`. It is made with FILE_FLAG_FIRST_PIPE_INSTANCE,
 * with which Windows fails ERROR_ACCESS_DENIED when the name exists already — another server's,
 * or a squatter's made first to catch this server's clients. Wine 8 ignores the flag (the second
 * server joins the first one's pipe, docs/wine.md), so the instance count is checked as well:
 * GetNamedPipeHandleStateW counts the instances of the name made by any process, and the first
 * of a new pipe is the only one. Either way a name in use fails with ERROR_ACCESS_DENIED, whose
 * `code` is EADDRINUSE, as libuv's uv_pipe_bind says for it (Node's net.Server.listen on a pipe).
 */
export function createFirstInstance(path: string, openMode: number, pipeMode: number, bufferSize: number, maxInstances?: number): number {
  const inUse = (cause?: unknown): WinError =>
    new WinError('CreateNamedPipeW', ERROR.ERROR_ACCESS_DENIED, { detail: `${path}: the pipe name is in use (another server made it first), or this process may not create it`, cause, nodeCode: 'EADDRINUSE' });
  let handle: number;
  try {
    handle = createNamedPipe(path, openMode | kernel32.FILE_FLAG_FIRST_PIPE_INSTANCE, pipeMode, bufferSize, maxInstances);
  } catch (error) {
    throw error instanceof WinError && error.winErrno === ERROR.ERROR_ACCESS_DENIED ? inUse(error) : error;
  }
  const instances = new Uint32Array(1);
  if (!kernel32.GetNamedPipeHandleStateW(handle, null, instances, null, null, null, 0)) {
    const error = new WinError('GetNamedPipeHandleStateW', kernel32.GetLastError(), { detail: path });
    closeHandle(handle);
    throw error;
  }
  if (instances[0] !== 1) {
    closeHandle(handle);
    throw inUse();
  }
  return handle;
}

/**
 * What the server of a pipe may do with its client's identity (CreateFileW's SECURITY_SQOS_PRESENT
 * with a SECURITY_* level; the server uses it through ImpersonateNamedPipeClient). The default,
 * `identification`, lets the server learn who the client is but not act as it — as tokio's pipe
 * client does by default; Windows' own default, when the flag is left out, is `impersonation`,
 * which hands the client's rights to whatever process owns the name (a squatter included).
 */
export type ImpersonationLevel = 'anonymous' | 'identification' | 'impersonation' | 'delegation';

const IMPERSONATION_LEVELS: Readonly<Record<ImpersonationLevel, number>> = {
  anonymous: kernel32.SECURITY_ANONYMOUS,
  identification: kernel32.SECURITY_IDENTIFICATION,
  impersonation: kernel32.SECURITY_IMPERSONATION,
  delegation: kernel32.SECURITY_DELEGATION,
};

/**
 * The client end of the pipe at `path`, opened for overlapped I/O — or an error if what opened is
 * not a pipe (GetFileType), which is closed again: a connect never hands back a file or a device.
 * @internal NamedPipe.connect's open; exported for its test.
 */
export function openPipeClient(path: string, impersonation: ImpersonationLevel = 'identification'): number {
  const flags = kernel32.FILE_FLAG_OVERLAPPED | kernel32.SECURITY_SQOS_PRESENT | IMPERSONATION_LEVELS[impersonation];
  const handle = createFile(path, kernel32.GENERIC_READ | kernel32.GENERIC_WRITE, 0, kernel32.OPEN_EXISTING, flags);
  const type = kernel32.GetFileType(handle);
  if (type !== kernel32.FILE_TYPE_PIPE) {
    closeHandle(handle);
    throw new WinError('GetFileType', ERROR.ERROR_BAD_PIPE, { detail: `${path} is not a pipe (file type ${type})` });
  }
  return handle;
}

export class NamedPipe extends OverlappedHandle implements AsyncIterable<Uint8Array> {
  #reading = false;
  #writing = false;

  /** @internal Use `NamedPipeServer.accept` or `NamedPipe.connect`. */
  constructor(reactor: Reactor, handle: number) {
    super(reactor, handle);
  }

  /**
   * Connects to a server's pipe. While every instance is busy it retries until `timeoutMs`
   * (default 5000) or the signal aborts; a pipe that does not exist fails at once
   * (ENOENT, ERROR_FILE_NOT_FOUND). `impersonation` (default `'identification'`) is the most the
   * server may do with this process's identity (`ImpersonationLevel`).
   */
  static async connect(
    reactor: Reactor,
    name: string,
    options: { signal?: AbortSignal; timeoutMs?: number; impersonation?: ImpersonationLevel } = {},
  ): Promise<NamedPipe> {
    checkReactor(reactor, 'NamedPipe.connect: reactor');
    const path = pipePath(name);
    options = checkOptions(options, 'NamedPipe.connect: options');
    const signal = checkSignal(options.signal, 'NamedPipe.connect: signal');
    const impersonation = checkChoice(options.impersonation, 'NamedPipe.connect: impersonation', IMPERSONATION_LEVELS, 'identification');
    const deadline = reactor.now() + checkDuration(options.timeoutMs === undefined ? 5000 : options.timeoutMs, 'NamedPipe.connect: timeoutMs');
    if (signal?.aborted) throw signal.reason;
    // ends: the pipe opens, or fails other than ERROR_PIPE_BUSY, or the deadline (timeoutMs) passes, or the signal aborts the sleep
    for (;;) {
      try {
        return new NamedPipe(reactor, registerOrClose(reactor, openPipeClient(path, impersonation)));
      } catch (error) {
        if (!(error instanceof WinError && error.winErrno === ERROR.ERROR_PIPE_BUSY) || reactor.now() >= deadline) throw error;
        await reactor.sleep(BUSY_RETRY_MS, signal ? { signal } : {});
      }
    }
  }

  /**
   * Reads what is available into `buffer` (waits for at least one byte); 0 = the peer closed.
   * One read at a time: a second one while the first waits gets BusyResourceError (it would take
   * bytes meant for the first, in no defined order).
   */
  async read(buffer: Uint8Array, options?: OverlappedOptions): Promise<number> {
    const closed = this.closedError('pipe');
    if (closed) throw closed;
    checkBuffer(buffer, 'NamedPipe.read: buffer', { forRead: true });
    options = checkOptions(options, 'NamedPipe.read: options');
    checkSignal(options.signal, 'NamedPipe.read: signal');
    if (this.#reading) throw new BusyResourceError('another task is already reading from this pipe');
    this.#reading = true;
    try {
      return await this.reactor.readOverlapped(this.handle, buffer, 0, options);
    } finally {
      this.#reading = false;
    }
  }

  /** The incoming bytes as chunks (copies), until the peer closes (end of stream). */
  async *readable(options: OverlappedOptions & { chunkSize?: number } = {}): AsyncGenerator<Uint8Array> {
    const { chunkSize = 65536, ...readOptions } = checkOptions(options, 'NamedPipe.readable: options');
    checkInteger(chunkSize, 'NamedPipe.readable: chunkSize', 1, 2 ** 31 - 1);
    const buffer = new Uint8Array(chunkSize);
    // ends: at end of stream (a read of 0), or when a read throws (closed, broken pipe, aborted)
    for (;;) {
      const n = await this.read(buffer, readOptions);
      if (n === 0) return;
      yield buffer.slice(0, n);
    }
  }

  /** `readable()` with its defaults: `for await (const chunk of pipe)`. */
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this.readable();
  }

  /**
   * Writes all of `data`. Rejects with WinError ERROR_NO_DATA / ERROR_BROKEN_PIPE if the peer is
   * gone. One write at a time, as for reads. An abort rejects with WriteAbortedError, as
   * TcpStream.write's does: `bytesWritten` is what the completed WriteFile calls took plus what
   * the cancelled one's packet reports (a cancel can race a partial completion), and `cause` is
   * the signal's reason.
   */
  async write(data: Uint8Array, options?: OverlappedOptions): Promise<void> {
    const closed = this.closedError('pipe');
    if (closed) throw closed;
    checkBuffer(data, 'NamedPipe.write: data');
    options = checkOptions(options, 'NamedPipe.write: options');
    const signal = checkSignal(options.signal, 'NamedPipe.write: signal');
    if (this.#writing) throw new BusyResourceError('another task is already writing to this pipe');
    this.#writing = true;
    let offset = 0;
    try {
      if (signal?.aborted) throw signal.reason;
      while (offset < data.length) {
        const stillClosed = this.closedError('pipe');
        if (stillClosed) throw stillClosed;
        // A cancelled write whose packet reports bytes resolves with them (completion-port.ts);
        // the next turn then finds the signal aborted and rejects with its reason.
        offset += await this.reactor.writeOverlapped(this.handle, data.subarray(offset), 0, options);
      }
    } catch (error) {
      throw WriteAbortedError.wrap(signal, error, offset, data.length);
    } finally {
      this.#writing = false;
    }
  }
}

export class NamedPipeServer implements Disposable, AsyncDisposable, AsyncIterable<NamedPipe> {
  readonly path: string;
  readonly #reactor: Reactor;
  /** The instance clients can connect to now: made ahead, so a client never finds none. */
  #listening: number | undefined;
  #first = true;
  #accepting = false;
  #closed = false;

  constructor(reactor: Reactor, name: string) {
    this.#reactor = checkReactor(reactor, 'new NamedPipeServer: reactor');
    this.path = pipePath(name);
    this.#listening = this.#createInstance();
  }

  /** Waits for a client and returns the connected server end; a fresh instance listens for the next. */
  async accept(options: OverlappedOptions = {}): Promise<NamedPipe> {
    options = checkOptions(options, 'NamedPipeServer.accept: options');
    checkSignal(options.signal, 'NamedPipeServer.accept: signal');
    if (this.#closed || this.#listening === undefined) throw new ClosedResourceError('the pipe server is closed');
    // One accept at a time: two would both wait on the one listening instance and both resolve
    // with its handle (two owners of one handle).
    if (this.#accepting) throw new BusyResourceError('another task is already accepting on this pipe server');
    this.#accepting = true;
    const handle = this.#listening;
    try {
      await this.#reactor.submitOverlapped(handle, 'ConnectNamedPipe', (ov) => connectNamedPipeOverlapped(handle, ov), {
        ...options,
        // A client that connected before the call is already there: success, and no packet comes.
        // One that connected and closed again before the call makes it fail ERROR_NO_DATA: that
        // client was accepted too — its pipe reads end of stream, as if it had hung up just after
        // — and the instance is this accept's, so the next accept gets a fresh one (kept as the
        // listening instance, every later accept would fail ERROR_NO_DATA on it, and every client
        // ERROR_PIPE_BUSY). libuv's pipe server closes such an instance and listens on a new one.
        mapError: (errno) => (errno === ERROR.ERROR_PIPE_CONNECTED || errno === ERROR.ERROR_NO_DATA ? { bytes: 0 } : undefined),
      });
    } finally {
      this.#accepting = false;
    }
    this.#listening = this.#closed ? undefined : this.#createInstance();
    return new NamedPipe(this.#reactor, handle);
  }

  /** Stops listening (a pending accept rejects with ClosedResourceError). Accepted pipes stay open. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const handle = this.#listening;
    this.#listening = undefined;
    if (handle !== undefined) {
      this.#reactor.releaseHandle(handle);
      closeHandle(handle);
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  /** The clients as they connect (`accept()` in a loop); ends when the server is closed. */
  [Symbol.asyncIterator](): AsyncIterator<NamedPipe> {
    return untilClosed(() => this.accept(), () => this.#closed);
  }

  /** An instance for the next client: the first checked as a new pipe's (createFirstInstance), the later ones joining it. */
  #createInstance(): number {
    const openMode = kernel32.PIPE_ACCESS_DUPLEX | kernel32.FILE_FLAG_OVERLAPPED;
    // PIPE_REJECT_REMOTE_CLIENTS: a client on another machine (\\server\pipe\…) is refused.
    const pipeMode = kernel32.PIPE_TYPE_BYTE | kernel32.PIPE_READMODE_BYTE | kernel32.PIPE_WAIT | kernel32.PIPE_REJECT_REMOTE_CLIENTS;
    const handle = this.#first ? createFirstInstance(this.path, openMode, pipeMode, PIPE_BUFFER_SIZE) : createNamedPipe(this.path, openMode, pipeMode, PIPE_BUFFER_SIZE);
    this.#first = false;
    return registerOrClose(this.#reactor, handle);
  }
}
