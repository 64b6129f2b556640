// Named pipes over the completion port: NamedPipeServer (CreateNamedPipeW + overlapped
// ConnectNamedPipe, one instance per client) and NamedPipe (a connected end, server or client).
// Byte mode. End of stream — the peer closed (ERROR_BROKEN_PIPE) — reads as 0 bytes.
import * as kernel32 from '../win32/kernel32.ts';
import { ERROR, WinError } from '../win32/errors.ts';
import { connectNamedPipeOverlapped } from '../win32/overlapped-calls.ts';
import type { Reactor } from '../scheduler/reactor.ts';
import type { OverlappedOptions } from '../iocp-worker/completion-port.ts';
import { BusyResourceError, ClosedResourceError, WriteAbortedError } from '../errors.ts';
import { checkBuffer } from '../buffers.ts';
import { OverlappedHandle, closeHandle, createFile, createNamedPipe, registerOrClose } from './handles.ts';
import { checkSignal } from '../abort.ts';
import { checkInteger, checkOptions, checkPath } from '../arguments.ts';
import { checkReactor } from '../scheduler/check-reactor.ts';
import { checkDuration } from '../durations.ts';
import { untilClosed } from '../until-closed.ts';

/** Each direction's kernel buffer: 64 KiB, the size Windows' own tools use by default. */
const PIPE_BUFFER_SIZE = 65536;
/** How often a client retries while every server instance is busy (ERROR_PIPE_BUSY). */
const BUSY_RETRY_MS = 5;

/** `\\.\pipe\<name>` for a bare name; a full pipe path is kept as it is. */
export function pipePath(name: string): string {
  checkPath(name, 'pipe name');
  return name.startsWith('\\\\') ? name : `\\\\.\\pipe\\${name}`;
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
   * (ERROR_FILE_NOT_FOUND).
   */
  static async connect(reactor: Reactor, name: string, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<NamedPipe> {
    checkReactor(reactor, 'NamedPipe.connect: reactor');
    const path = pipePath(name);
    options = checkOptions(options, 'NamedPipe.connect: options');
    const signal = checkSignal(options.signal, 'NamedPipe.connect: signal');
    const deadline = reactor.now() + checkDuration(options.timeoutMs === undefined ? 5000 : options.timeoutMs, 'NamedPipe.connect: timeoutMs');
    if (signal?.aborted) throw signal.reason;
    for (;;) { // bounded by timeoutMs: ERROR_PIPE_BUSY at the deadline is thrown, and an abort ends the sleep
      try {
        const handle = createFile(path, kernel32.GENERIC_READ | kernel32.GENERIC_WRITE, 0, kernel32.OPEN_EXISTING, kernel32.FILE_FLAG_OVERLAPPED);
        return new NamedPipe(reactor, registerOrClose(reactor, handle));
      } catch (error) {
        if (!(error instanceof WinError && error.errno === ERROR.ERROR_PIPE_BUSY) || reactor.now() >= deadline) throw error;
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
    for (;;) { // ends at end of stream (a read of 0) or when a read throws (an abort, a close)
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
        mapError: (errno) => (errno === ERROR.ERROR_PIPE_CONNECTED ? { bytes: 0 } : undefined),
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

  #createInstance(): number {
    const openMode = kernel32.PIPE_ACCESS_DUPLEX | kernel32.FILE_FLAG_OVERLAPPED | (this.#first ? kernel32.FILE_FLAG_FIRST_PIPE_INSTANCE : 0);
    const pipeMode = kernel32.PIPE_TYPE_BYTE | kernel32.PIPE_READMODE_BYTE | kernel32.PIPE_WAIT | kernel32.PIPE_REJECT_REMOTE_CLIENTS;
    const handle = createNamedPipe(this.path, openMode, pipeMode, PIPE_BUFFER_SIZE);
    this.#first = false;
    return registerOrClose(this.#reactor, handle);
  }
}
