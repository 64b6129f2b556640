// CompletionPort: the reactor's side of the completion family, and the loop's completion part
// (lib/loop-part.ts): in port mode also the part the reactor thread blocks in.
//
// Why this file is longer than the house limit of ~400 lines: an operation's whole life — its
// OVERLAPPED, its pinned memory, its cancellation, its packet, and its emulated-mode event when
// its handle is bound to another port — and the handle registry that decides which of those
// paths an operation takes share one table of operations keyed by OVERLAPPED address; split,
// each half would reach into the other's table. Its other jobs live apart: the ring
// (completion-ring.ts), the OVERLAPPED pool (overlapped-pool.ts), key monitors (key-monitor.ts),
// the worker thread (worker-loop.ts, ../worker-thread.ts).
//
// How it fits together. Each reactor owns one I/O completion port. Handles are bound to it with
// CreateIoCompletionPort (a handle binds to one port for life: a second bind fails with
// ERROR_INVALID_PARAMETER). Overlapped calls on a bound handle queue one completion packet each
// on the port — on success, failure or cancellation alike, unless the call failed outright.
// A worker_thread (entry.ts / worker-loop.ts) blocks in GetQueuedCompletionStatusEx, copies each
// packet into a SharedArrayBuffer ring (completion-ring.ts) and wakes the reactor through its
// wakeup socket if it may be asleep. The reactor, after each select, drains the ring — only what
// is there at that moment — and settles the operations the packets name.
//
// Two ways to receive the packets (the reactor picks one, `waitIn`):
// - through the worker (select mode): as above; the loop calls `dispatch()` after select;
// - in the loop (port mode): no worker, no ring; the reactor thread itself blocks in
//   GetQueuedCompletionStatusEx through `poll(timeout)`, and cross-thread wakes arrive as
//   KEY_WAKE packets (wakeup/port-wakeup.ts), each handed to `onWake`.
// Either way each packet is dispatched synchronously, inside the poll phase, to the callback its
// operation carries (mio's `Overlapped { callback }`); the promise API is a thin layer over that.
//
// Operations are matched by OVERLAPPED address. The OVERLAPPED (from OverlappedPool) and the data
// buffer stay referenced by the operation record until its packet has been dequeued, even after
// an abort, because the kernel may write them until then.
//
// Cancellation: abort → CancelIoEx(handle, overlapped) → wait for the packet. STATUS_CANCELLED
// (ERROR_OPERATION_ABORTED, 995) rejects with the abort reason; a packet that reports success
// (the operation finished before the cancel) returns its result, so no data is lost, and so does
// a cancelled one that reports bytes moved (a pipe write partly taken before the cancel): the
// caller learns what went. A 995 that nobody asked for means the handle was closed:
// ClosedResourceError.
import type { Worker } from 'node:worker_threads';
import { THREAD_CHECK_MS, entryBeside, startWorkerThread, type StartedThread } from '../worker-thread.ts';
import type { HandedOver, PollingPart } from '../loop-part.ts';
import * as kernel32 from '../win32/kernel32.ts';
import { toHandle } from '../win32/kernel32.ts';
import { KeyMonitor, type KeyCompletion } from './key-monitor.ts';
export { KeyMonitor, type KeyCompletion } from './key-monitor.ts';
export { toHandle } from '../win32/kernel32.ts';
import { RtlNtStatusToDosError } from '../win32/ntdll.ts';
import { addressOf } from '../win32/ffi.ts';
import { ERROR, WinError } from '../win32/errors.ts';
import { cancelIo } from '../win32/overlapped-calls.ts';
import { detachFromCompletionPort } from '../win32/completion-binding.ts';
import { OVERLAPPED } from '../win32/structs.ts';
import { BusyResourceError, HandleStateError, InternalStateError, ThreadExitedError } from '../errors.ts';
import { CompletionRing, readEntry, type Completion } from './completion-ring.ts';
import { OverlappedPool, type OverlappedSlot } from './overlapped-pool.ts';
import { EXITING, TAIL, FAILED, KEY_OVERLAPPED, KEY_STOP, KEY_WAKE, MAX_ENTRIES_PER_DEQUEUE, ENTRY_SIZE, RING_CAPACITY, STATE, ERRNO, USER_KEY_BASE, type IocpWorkerData } from './protocol.ts';
import type { WakeTarget } from '../wakeup/protocol.ts';
import { ClosedResourceError } from '../errors.ts';
import type { Pace } from '../fair-share.ts';
import { checkSignal, onAbort } from '../abort.ts';
import { setU64 } from '../u64.ts';
import { whileOpen } from '../wakeup/wake.ts';

/** A handle as winmux keeps it: a JS number (kernel handles are significant in 32 bits). */
export type Handle = number;

/** How an operation's Win32 error (from the call or its packet) becomes its result. */
export type ErrorMapping = (errno: number) => { bytes: number } | undefined;

export interface OverlappedOptions {
  signal?: AbortSignal | undefined;
}

/** How an operation ends: `error` undefined and the byte count, or the error. */
export type OperationDone = (error: unknown, bytes: number) => void;

/** An operation in flight, for its starter to cancel (`CompletionPort.cancel`). Opaque. */
export interface PendingOperation {
  readonly syscall: string;
}

/** What `start` returns: the operation in flight, or the result of a call that failed (or was mapped) at once. */
export type StartResult = { pending: PendingOperation; error: undefined; bytes: 0 } | { pending: undefined; error: unknown; bytes: number };

/** Packets one port-mode wait dequeues: the same batch bound as the worker's, for the same reason. */
const MAX_ENTRIES_PER_WAIT = MAX_ENTRIES_PER_DEQUEUE;

interface Operation {
  readonly handle: Handle;
  readonly syscall: string;
  readonly overlapped: Uint8Array;
  readonly address: number;
  readonly slot: OverlappedSlot | undefined;
  /** Memory the kernel may write until the packet arrives: kept referenced until then. */
  readonly pinned: unknown;
  readonly mapError: ErrorMapping | undefined;
  /** Called once, in the dispatch of its packet (or when it is abandoned): error undefined on success. */
  readonly done: OperationDone;
  /** Removes the abort listener (lib/abort.ts). */
  stopListening: () => void;
  abortRequested: boolean;
  /** `release(handle)` was called while this was pending: the caller is closing the handle. */
  handleReleased: boolean;
  /** Emulated mode: the event the OVERLAPPED carries, observed through the object-wait family. */
  event: number | undefined;
}

/**
 * A handle on its way from one reactor to another (`transferHandle` → `adoptHandle`): 'native'
 * when it was detached and bound to the target's port, 'emulated' when it stays bound to the
 * old port and the target must run its operations in emulated mode.
 */
export interface HandleTransfer {
  handle: Handle;
  port: Handle;
  mode: 'native' | 'emulated';
}

/**
 * What another thread needs to post completions to a reactor's port: the port, and the reactor's
 * wake state (wakeup/protocol.ts), whose CLOSED flag and SENDERS count keep a post made after the
 * reactor closed from reaching whatever port reuses the handle value.
 */
export interface CompletionTarget {
  port: Handle;
  state: SharedArrayBuffer;
}

/** Memory of operations whose packets never came: never freed, because the kernel may still write it. */
const abandoned: unknown[] = [];

export class CompletionPort implements PollingPart {
  readonly port: Handle;
  readonly #ring = new CompletionRing();
  /** Select mode: where the worker wakes the reactor. Undefined in port mode (no worker). */
  readonly #wake: WakeTarget | undefined;
  /** Port mode: the entries one GetQueuedCompletionStatusEx call writes, and its count out-parameter. */
  readonly #entries = new Uint8Array(new ArrayBuffer(MAX_ENTRIES_PER_WAIT * ENTRY_SIZE));
  readonly #entryWords = new Uint32Array(this.#entries.buffer);
  readonly #removed = new Uint32Array(1);
  readonly #entry: Completion = { key: 0, overlapped: 0, status: 0, bytes: 0 };
  /** Port mode: the last wait filled its whole batch, so more packets may be queued. */
  #moreQueued = false;
  readonly #pool = new OverlappedPool();
  readonly #operations = new Map<number, Operation>();
  readonly #registered = new Set<Handle>();
  readonly #monitors = new Map<number, KeyMonitor>();
  /** Handles bound to a port this reactor does not own: their operations are emulated. */
  readonly #emulated = new Set<Handle>();
  readonly #freeEvents: number[] = [];
  readonly #events = new Set<number>();
  readonly #waitEvent: (event: Handle) => Promise<unknown>;
  /** Port mode: what a KEY_WAKE packet calls (the reactor drains its wake state and reads its channels). */
  readonly #onWake: () => void;
  #emulatedOperations = 0;
  #worker: Worker | undefined;
  #workerExited: Promise<void> | undefined;
  /** The worker as started: liveness checks and joining (lib/worker-thread.ts). */
  #thread: StartedThread | undefined;
  #stopping = false;
  #failure: Error | undefined;
  /** What operations pending at close reject with (beginClose). */
  #closing: unknown;
  #closed = false;
  #nextKey = USER_KEY_BASE;
  #completions = 0;
  #stray = 0;

  /**
   * `waitEvent` waits for an event handle through the reactor's object-wait family. `wake` is
   * where the IOCP worker wakes the reactor (select mode); without it the port runs in port mode:
   * no worker, the reactor calls `poll` to dequeue, and each KEY_WAKE packet calls `onWake`.
   */
  constructor(waitEvent: (event: Handle) => Promise<unknown>, onWake: () => void, wake?: WakeTarget) {
    this.#wake = wake;
    this.#waitEvent = waitEvent;
    this.#onWake = onWake;
    const port = kernel32.CreateIoCompletionPort(kernel32.INVALID_HANDLE_VALUE, null, 0, 1);
    if (kernel32.isNullHandle(port)) throw new WinError('CreateIoCompletionPort', kernel32.GetLastError());
    this.port = Number(port);
  }

  /** The worker thread, once started (for tests that need to kill it). */
  get worker(): Worker | undefined {
    return this.#worker;
  }

  /** The worker's OS thread id once it has reported it, else 0 (for tests that kill it natively). */
  get workerThreadId(): number {
    return this.#thread?.threadId() ?? 0;
  }

  /** The reactor thread waits in this port (no worker thread). */
  get inLoop(): boolean {
    return this.#wake === undefined;
  }

  /** Packets known to wait for dispatch: in the ring, or (port mode) maybe in the port, if the last poll stopped at its cap. */
  hasPending(): boolean {
    return this.inLoop ? this.#moreQueued : this.#ring.backlog() > 0;
  }

  /** While the worker thread lives, the loop looks at it every THREAD_CHECK_MS (a killed one is found by looking). */
  blockLimitMs(): number {
    return this.#worker !== undefined ? THREAD_CHECK_MS : Infinity;
  }

  /** Operations waiting for their packets, or key monitors with a `next()` waiting. */
  hasWaiters(): boolean {
    if (this.#operations.size > 0) return true;
    for (const monitor of this.#monitors.values()) if (monitor.waiting) return true;
    return false;
  }

  stats(): {
    overlappedWaiters: number; iocpBacklog: number; completions: number; strayCompletions: number; iocpWorker: string;
    emulatedHandles: number; emulatedOperations: number;
  } {
    const worker = this.inLoop ? 'none (port mode)' : this.#failure ? 'failed' : this.#worker ? 'running' : 'not started';
    return {
      overlappedWaiters: this.#operations.size,
      iocpBacklog: this.#ring.backlog(),
      completions: this.#completions,
      strayCompletions: this.#stray,
      iocpWorker: this.#closed && this.#failure === undefined ? 'stopped' : worker,
      emulatedHandles: this.#emulated.size,
      emulatedOperations: this.#emulatedOperations,
    };
  }

  /** Binds `handle` to this port. */
  register(value: unknown): void {
    const handle = toHandle(value);
    this.#checkUsable();
    if (this.#registered.has(handle)) {
      throw new WinError('CreateIoCompletionPort', ERROR.ERROR_INVALID_PARAMETER, { detail: `handle ${handle} is already bound to this reactor's completion port` });
    }
    const result = kernel32.CreateIoCompletionPort(handle, this.port, KEY_OVERLAPPED, 0);
    if (kernel32.isNullHandle(result)) {
      const errno = kernel32.GetLastError();
      const detail = errno === ERROR.ERROR_INVALID_PARAMETER
        ? `handle ${handle} is already bound to a completion port (a handle binds to one port for its whole life)`
        : `could not bind handle ${handle} to the reactor's completion port`;
      throw new WinError('CreateIoCompletionPort', errno, { detail });
    }
    this.#registered.add(handle);
    this.#ensureWorker();
  }

  /**
   * Forgets `handle` (call before CloseHandle). Its pending operations settle when their packets
   * come: with their data if they completed, else with ClosedResourceError — whatever status the
   * driver picks for I/O cut off by a close (STATUS_CANCELLED, or for a pipe end-of-pipe).
   */
  release(value: unknown): void {
    const handle = toHandle(value);
    this.#registered.delete(handle);
    this.#emulated.delete(handle);
    for (const operation of this.#operations.values()) {
      if (operation.handle === handle) operation.handleReleased = true;
    }
  }

  isRegistered(handle: Handle): boolean {
    return this.#registered.has(handle) || this.#emulated.has(handle);
  }

  /**
   * Hands `handle` to another reactor's port. Refused while operations on it are pending. Where
   * the OS can detach a handle from its port (FileReplaceCompletionInformation, Windows 8.1+), it
   * is detached and bound to `target`; elsewhere (Wine 8, older Windows) it stays bound here and
   * the target will run its operations in emulated mode. Either way this reactor forgets it.
   */
  transfer(value: unknown, target: CompletionTarget): HandleTransfer {
    const handle = toHandle(value);
    // Checked before anything changes: a bad target must leave the handle registered here.
    if (typeof target !== 'object' || target === null) throw new TypeError('transferHandle: target must be another reactor\'s completionTarget()');
    toHandle(target.port);
    this.#checkUsable();
    if (!this.isRegistered(handle)) throw new HandleStateError(`handle ${handle} is not registered with this reactor`);
    for (const operation of this.#operations.values()) {
      if (operation.handle === handle) throw new BusyResourceError(`handle ${handle} has pending operations: finish or cancel them before transferring it`);
    }
    const wasEmulated = this.#emulated.has(handle);
    let mode: HandleTransfer['mode'] = 'emulated';
    if (!wasEmulated && detachFromCompletionPort(handle)) {
      if (kernel32.isNullHandle(kernel32.CreateIoCompletionPort(handle, target.port, KEY_OVERLAPPED, 0))) {
        throw new WinError('CreateIoCompletionPort', kernel32.GetLastError(), { detail: `could not bind handle ${handle} to the target reactor's port` });
      }
      mode = 'native';
    }
    this.#registered.delete(handle);
    this.#emulated.delete(handle);
    return { handle, port: target.port, mode };
  }

  /**
   * Takes a handle transferred from another reactor, or any handle already bound to a port winmux
   * does not own (pass `{ handle }` alone): native when it is bound to this port, else emulated.
   */
  adopt(transfer: HandleTransfer | { handle: number | bigint }): 'native' | 'emulated' {
    const handle = toHandle(transfer.handle);
    this.#checkUsable();
    if (this.isRegistered(handle)) throw new HandleStateError(`handle ${handle} is already registered with this reactor`);
    if ('mode' in transfer && transfer.mode === 'native') {
      if (transfer.port !== this.port) throw new HandleStateError('this transfer was made for another reactor\'s port');
      this.#registered.add(handle);
      this.#ensureWorker();
      return 'native';
    }
    if (!kernel32.isNullHandle(kernel32.CreateIoCompletionPort(handle, this.port, KEY_OVERLAPPED, 0))) {
      this.#registered.add(handle); // it was not bound anywhere after all
      this.#ensureWorker();
      return 'native';
    }
    const errno = kernel32.GetLastError();
    if (errno !== ERROR.ERROR_INVALID_PARAMETER) throw new WinError('CreateIoCompletionPort', errno);
    this.#emulated.add(handle);
    return 'emulated';
  }

  /**
   * Starts an overlapped operation with a pooled OVERLAPPED: `issue` makes the call and returns
   * 0 if a packet will come, else the Win32 error (see win32/overlapped-calls.ts).
   */
  submit(
    value: unknown,
    syscall: string,
    fileOffset: number,
    pinned: unknown,
    issue: (overlapped: Uint8Array) => number,
    options: OverlappedOptions & { mapError?: ErrorMapping } = {},
  ): Promise<number> {
    try {
      checkSignal(options.signal);
    } catch (error) {
      return Promise.reject(error);
    }
    if (options.signal?.aborted) return Promise.reject(options.signal.reason);
    return new Promise<number>((resolve, reject) => {
      const done: OperationDone = (error, bytes) => (error === undefined ? resolve(bytes) : reject(error));
      const started = this.start(value, syscall, fileOffset, pinned, issue, done, options);
      if (started.pending === undefined) done(started.error, started.bytes);
    });
  }

  /**
   * The callback form of `submit`, for winmux's own parts (the AFD backend): `done` is called
   * during the dispatch of the packet. Returns `{ pending }`, the operation (for `cancel`), or —
   * when the call failed outright (or the handle is bad or unregistered) and no packet will
   * come — `{ error, bytes }` for the caller to act on; `done` is not called then.
   */
  start(
    value: unknown,
    syscall: string,
    fileOffset: number,
    pinned: unknown,
    issue: (overlapped: Uint8Array) => number,
    done: OperationDone,
    options: OverlappedOptions & { mapError?: ErrorMapping } = {},
  ): StartResult {
    let handle: Handle;
    try {
      handle = this.#checkHandle(value);
      checkSignal(options.signal);
    } catch (error) {
      return { pending: undefined, error, bytes: 0 };
    }
    const slot = this.#pool.acquire(fileOffset);
    const event = this.#emulated.has(handle) ? this.#acquireEvent(slot.view) : undefined;
    let errno: number;
    try {
      errno = issue(slot.view);
    } catch (error) {
      // The call never reached the kernel (a bad argument at the binding): nothing is pending.
      this.#pool.release(slot);
      if (event !== undefined) this.#freeEvents.push(event);
      return { pending: undefined, error, bytes: 0 };
    }
    if (errno !== 0) {
      // No packet will be queued (nor the event set): the OVERLAPPED is ours again at once.
      this.#pool.release(slot);
      if (event !== undefined) this.#freeEvents.push(event);
      const mapped = options.mapError?.(errno);
      return mapped ? { pending: undefined, error: undefined, bytes: mapped.bytes } : { pending: undefined, error: new WinError(syscall, errno), bytes: 0 };
    }
    const operation = this.#track(handle, syscall, slot.view, slot.address, slot, pinned, options, done, event);
    if (event !== undefined) this.#observe(operation, event);
    return { pending: operation, error: undefined, bytes: 0 };
  }

  /**
   * Cancels an operation from `start` (CancelIoEx): its packet still comes, and `done` gets
   * `reason` if the cancellation won, or the result if the operation had completed.
   */
  cancel(pending: PendingOperation, reason: unknown): void {
    const operation = pending as Operation;
    if (operation.abortRequested || !this.#operations.has(operation.address)) return;
    operation.abortRequested = true;
    this.#requestCancel(operation, reason);
  }

  /**
   * Waits for the packet of an overlapped call the caller issued on a registered handle with its
   * own OVERLAPPED (which must stay alive and unmoved until this settles). Resolves with the
   * byte count.
   */
  waitOverlapped(value: unknown, overlapped: Uint8Array, options: OverlappedOptions & { mapError?: ErrorMapping } = {}): Promise<number> {
    let handle: Handle;
    try {
      handle = this.#checkHandle(value);
      checkSignal(options.signal);
    } catch (error) {
      return Promise.reject(error);
    }
    if (!(overlapped instanceof Uint8Array) || overlapped.byteLength < OVERLAPPED.SIZE) {
      return Promise.reject(new TypeError(`waitOverlapped: overlapped must be a Uint8Array of at least ${OVERLAPPED.SIZE} bytes (an OVERLAPPED)`));
    }
    if (this.#emulated.has(handle)) {
      return Promise.reject(new HandleStateError(`handle ${handle} runs in emulated mode (bound to another port): use submitOverlapped, which gives its OVERLAPPED an event`));
    }
    const address = Number(addressOf(overlapped));
    if (this.#operations.has(address)) {
      return Promise.reject(new HandleStateError(`an operation with the OVERLAPPED at 0x${address.toString(16)} is already pending`));
    }
    if (options.signal?.aborted) return Promise.reject(options.signal.reason);
    return new Promise<number>((resolve, reject) => {
      this.#track(handle, 'waitOverlapped', overlapped, address, undefined, overlapped, options,
        (error, bytes) => (error === undefined ? resolve(bytes) : reject(error)));
    });
  }

  /** Queues a completion for `key` with PostQueuedCompletionStatus. */
  post(key: number, bytes = 0): void {
    checkUserCompletion(key, bytes);
    this.#checkUsable();
    this.#ensureWorker();
    postPrivate(this.port, key, bytes);
  }

  /** What other threads need to post to this port (`postCompletion(target, key, bytes)`). */
  /** The port for a CompletionTarget (the reactor adds its wake state). */
  target(): Handle {
    this.#checkUsable();
    this.#ensureWorker();
    return this.port;
  }

  /** A fresh key whose completions are delivered, in order, to the returned monitor (paced by `pace`). */
  monitor(pace: Pace, onWait?: () => void): KeyMonitor {
    this.#checkUsable();
    this.#ensureWorker();
    const key = this.#nextKey++;
    const monitor = new KeyMonitor(key, () => this.#monitors.delete(key), pace, onWait);
    this.#monitors.set(key, monitor);
    return monitor;
  }

  /**
   * Port mode: dispatches `handedOver` (what a guest's helper thread dequeued from this port),
   * then blocks in GetQueuedCompletionStatusEx for up to `timeoutMs` and dispatches what it
   * dequeued. Returns the packet count, wakes included.
   */
  poll(timeoutMs: number, handedOver?: HandedOver): number {
    const handed = handedOver === undefined ? 0 : this.dispatchHandedOver(handedOver);
    return handed + this.#wait(timeoutMs, this.#onWake);
  }

  /**
   * Port mode: dispatches the OVERLAPPED_ENTRYs a guest reactor's helper thread dequeued from this
   * port (lib/guest/), in order. Returns their count.
   */
  dispatchHandedOver(handedOver: HandedOver): number {
    this.#dispatchEntries(handedOver.batch, handedOver.count, this.#onWake);
    return handedOver.count;
  }

  /**
   * Port mode: blocks in GetQueuedCompletionStatusEx for up to `timeoutMs` (0 polls; Infinity
   * waits without limit) and dispatches what it dequeued; while batches come back full it
   * dequeues again without waiting, up to RING_CAPACITY packets — the most the worker's ring
   * hands the loop in select mode. Fewer (one batch) let a thread posting without pause outrun
   * the loop, and then socket readiness (AFD packets on the same first-in-first-out port) waited
   * behind an ever longer queue. A KEY_WAKE packet calls `onWake`. Returns the packet count.
   */
  #wait(timeoutMs: number, onWake: () => void): number {
    let ms = timeoutMs === Infinity ? kernel32.INFINITE : Math.min(Math.ceil(timeoutMs), MAX_WAIT_MS);
    let total = 0;
    while (total < RING_CAPACITY) {
      if (!kernel32.GetQueuedCompletionStatusEx(this.port, this.#entries, MAX_ENTRIES_PER_WAIT, this.#removed, ms, 0)) {
        const errno = kernel32.GetLastError();
        if (errno === kernel32.WAIT_TIMEOUT) break;
        throw new WinError('GetQueuedCompletionStatusEx', errno);
      }
      const count = this.#removed[0]!;
      this.#dispatchEntries(this.#entryWords, count, onWake);
      total += count;
      if (count < MAX_ENTRIES_PER_WAIT) break;
      ms = 0;
    }
    // The loop stops when the port ran dry (a partial batch, or the wait timed out) or when it
    // reached the cap with full batches — then more packets may wait.
    this.#moreQueued = total >= RING_CAPACITY;
    return total;
  }

  /**
   * Port mode: dispatches `count` OVERLAPPED_ENTRYs that GetQueuedCompletionStatusEx wrote into
   * `words` — this thread's own wait, or a guest reactor's helper thread's. A KEY_WAKE packet
   * calls `onWake`.
   */
  #dispatchEntries(words: Uint32Array, count: number, onWake: () => void): void {
    for (let i = 0; i < count; i++) {
      const entry = readEntry(words, i, this.#entry);
      if (entry.key === KEY_WAKE && entry.overlapped === 0) {
        onWake(); // a wake, not a completion: not counted
      } else {
        this.#completions++;
        this.#onCompletion(entry);
      }
    }
  }

  /** Looks at the IOCP worker's OS thread now: a killed one fails what waits on it (lib/worker-thread.ts). */
  checkThreads(): void {
    this.#thread?.checkAlive();
  }

  /**
   * Dispatches what has arrived and is not dispatched yet: select mode, every packet in the ring
   * now; port mode — where the loop polls the port instead, and only a closing reactor calls
   * this — a zero-timeout wait (wakes are dropped: nothing is left to read them).
   */
  dispatch(): number {
    if (this.inLoop) return this.#wait(0, () => {});
    const count = this.#ring.drain(this.#onCompletion);
    this.#completions += count;
    this.#thread?.checkAlive(); // a worker killed behind Node's back (lib/worker-thread.ts)
    if (this.#worker !== undefined && this.#failure === undefined && Atomics.load(this.#ring.control, STATE) === FAILED) {
      this.#fail(new ThreadExitedError('the IOCP worker thread failed', { cause: new WinError('GetQueuedCompletionStatusEx', Atomics.load(this.#ring.control, ERRNO)) }));
    }
    return count;
  }

  /** For a reactor that failed to start: closes the port, which no worker uses yet. */
  closeUnused(): void {
    if (this.#worker !== undefined) throw new InternalStateError('CompletionPort.closeUnused: the worker has started');
    this.#closed = true;
    kernel32.CloseHandle(this.port);
  }

  /** Step 1 of closing: refuse new work, close the key monitors, cancel every pending operation (they reject with `closing`). */
  beginClose(closing: unknown = ClosedResourceError.reactor()): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closing = closing;
    for (const monitor of [...this.#monitors.values()]) monitor.close(closing);
    for (const operation of this.#operations.values()) {
      if (!operation.abortRequested) {
        operation.abortRequested = true;
        this.#requestCancel(operation, closing);
      }
    }
  }

  /** Operations still waiting for their packet (or, emulated, their event): the loop dispatches until there are none. */
  draining(): number {
    return this.#operations.size;
  }

  /**
   * Step 2, once the caller has dispatched packets (and, for emulated operations, object waits)
   * until nothing is `draining` or it gave up: whatever is left is abandoned (its memory kept
   * forever), and the worker, if any, is stopped and joined.
   */
  async finishClose(): Promise<void> {
    if (this.#operations.size > 0) this.#abandonAll(this.#closing ?? ClosedResourceError.reactor());
    if (this.#worker !== undefined) {
      this.#stopping = true;
      this.#thread!.hold(); // keep Node alive until the worker has been joined
      if (this.#failure === undefined) postPrivate(this.port, KEY_STOP, 0);
      // The worker reaches the stop key only after every packet queued before it. Keep draining
      // the ring meanwhile (what comes now is stray: everything pending was settled or
      // abandoned), or a backlog larger than the ring leaves the worker waiting for space and
      // close() waiting for the worker — seen with a thread posting without pause.
      let exited = false;
      void this.#workerExited!.then(() => {
        exited = true;
      });
      while (!exited) {
        this.#ring.drain(this.#onCompletion);
        this.#thread!.checkAlive();
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    }
  }

  /** Step 3, once nothing can post to the port any more (the reactor refused wakes, the AFD handles are closed): closes the events and the port. */
  closeHandles(): void {
    for (const event of this.#events) kernel32.CloseHandle(event);
    this.#events.clear();
    kernel32.CloseHandle(this.port);
  }

  readonly #onCompletion = (entry: Completion): void => {
    if (entry.key === KEY_OVERLAPPED || entry.overlapped !== 0) {
      const operation = this.#operations.get(entry.overlapped);
      if (operation === undefined) {
        this.#stray++;
        return;
      }
      this.#settle(operation, entry.status, entry.bytes);
      return;
    }
    const monitor = this.#monitors.get(entry.key);
    if (monitor === undefined) {
      this.#stray++;
      return;
    }
    monitor.deliver({ bytes: entry.bytes, overlapped: entry.overlapped, status: entry.status });
  };

  #track(
    handle: Handle,
    syscall: string,
    overlapped: Uint8Array,
    address: number,
    slot: OverlappedSlot | undefined,
    pinned: unknown,
    options: OverlappedOptions & { mapError?: ErrorMapping },
    done: OperationDone,
    event?: number,
  ): Operation {
    const operation: Operation = {
      handle, syscall, overlapped, address, slot, pinned, mapError: options.mapError,
      done, stopListening: () => {}, abortRequested: false, handleReleased: false, event,
    };
    const { signal } = options;
    operation.stopListening = onAbort(signal, () => this.cancel(operation, signal!.reason));
    this.#operations.set(address, operation);
    return operation;
  }

  /** Abort reasons by operation, for the packet that reports the cancellation. */
  readonly #abortReasons = new WeakMap<Operation, unknown>();

  #requestCancel(operation: Operation, reason: unknown): void {
    this.#abortReasons.set(operation, reason);
    // ERROR_NOT_FOUND: the operation already completed; its packet is on the way and wins.
    // Any other failure (the handle is gone): closing a handle cancels its I/O, so a packet comes anyway.
    cancelIo(operation.handle, operation.overlapped);
  }

  #settle(operation: Operation, status: number, bytes: number): void {
    this.#operations.delete(operation.address);
    if (operation.slot !== undefined) this.#pool.release(operation.slot);
    if (operation.event !== undefined) this.#freeEvents.push(operation.event);
    operation.stopListening();
    if (status === 0 && (bytes > 0 || !operation.handleReleased)) {
      operation.done(undefined, bytes);
      return;
    }
    const errno = status === 0 ? 0 : RtlNtStatusToDosError(status);
    if (errno === ERROR.ERROR_OPERATION_ABORTED && operation.abortRequested) {
      if (bytes > 0) operation.done(undefined, bytes); // the cancel came after some bytes moved
      else operation.done(this.#abortReasons.get(operation), 0);
      return;
    }
    if (errno === ERROR.ERROR_OPERATION_ABORTED || operation.handleReleased) {
      operation.done(new ClosedResourceError(`the handle was closed while ${operation.syscall} was pending`), 0);
      return;
    }
    // ERROR_MORE_DATA (a message-mode pipe's message is longer than the buffer): data did arrive.
    if (errno === ERROR_MORE_DATA) {
      operation.done(undefined, bytes);
      return;
    }
    const mapped = operation.mapError?.(errno);
    if (mapped) operation.done(undefined, mapped.bytes);
    else operation.done(new WinError(operation.syscall, errno), 0);
  }

  /**
   * Emulated mode: the OVERLAPPED gets a manual-reset event with the low bit set in hEvent, which
   * tells the kernel not to queue a packet to the port the handle is bound to (documented for
   * GetQueuedCompletionStatus); the call resets the event when it starts and sets it when done.
   */
  #acquireEvent(overlapped: Uint8Array): number {
    let event = this.#freeEvents.pop();
    if (event === undefined) {
      const created = kernel32.CreateEventW(null, 1, 0, null);
      if (kernel32.isNullHandle(created)) throw new WinError('CreateEventW', kernel32.GetLastError());
      event = Number(created);
      this.#events.add(event);
    }
    const view = new DataView(overlapped.buffer, overlapped.byteOffset, OVERLAPPED.SIZE);
    setU64(view, OVERLAPPED.EVENT, event + 1); // event handles are multiples of 4: +1 sets the low bit
    this.#emulatedOperations++;
    return event;
  }

  /** Emulated mode: when the event fires, the OVERLAPPED holds the result the packet would have. */
  #observe(operation: Operation, event: number): void {
    this.#waitEvent(event).then(
      () => {
        const view = new DataView(operation.overlapped.buffer, operation.overlapped.byteOffset, OVERLAPPED.SIZE);
        this.#settle(operation, view.getUint32(OVERLAPPED.INTERNAL, true), view.getUint32(OVERLAPPED.INTERNAL_HIGH, true));
      },
      (error: unknown) => {
        // The wait itself failed (the reactor closed, or its waiter thread died): the kernel may
        // still write this operation's memory, so it is kept forever.
        if (this.#operations.delete(operation.address)) this.#abandon(operation, error);
      },
    );
  }

  #checkUsable(): void {
    if (this.#closed) throw ClosedResourceError.reactor();
    if (this.#failure !== undefined) throw this.#failure;
  }

  #checkHandle(value: unknown): Handle {
    const handle = toHandle(value);
    this.#checkUsable();
    if (!this.isRegistered(handle)) {
      throw new HandleStateError(`handle ${handle} is not registered with this reactor's completion port: call registerWithIocp(handle) first (its completions would never arrive)`);
    }
    return handle;
  }

  #ensureWorker(): void {
    if (this.#worker !== undefined || this.#closed || this.#wake === undefined) return;
    const data: IocpWorkerData = { port: this.port, ring: this.#ring.bytes.buffer as SharedArrayBuffer, control: this.#ring.control.buffer as SharedArrayBuffer, wake: this.#wake };
    const thread = startWorkerThread(entryBeside(import.meta.url), data, 'the IOCP worker thread',
      () => this.#stopping, (error) => this.#fail(error), () => {
        // At exit: the worker leaves at once, whatever is queued (EXITING), from a full ring's
        // wait (TAIL) or from its port wait (KEY_STOP).
        this.#stopping = true;
        Atomics.store(this.#ring.control, EXITING, 1);
        Atomics.notify(this.#ring.control, TAIL);
        postPrivate(this.port, KEY_STOP, 0);
      });
    this.#thread = thread;
    this.#worker = thread.worker;
    this.#workerExited = thread.exited;
  }

  /** The worker is gone: everything pending fails now, and its memory is never freed. */
  #fail(error: Error): void {
    if (this.#failure !== undefined) return;
    this.#failure = error;
    this.#abandonAll(error);
    for (const monitor of [...this.#monitors.values()]) monitor.close(error);
  }

  #abandonAll(error: unknown): void {
    for (const operation of this.#operations.values()) this.#abandon(operation, error);
    this.#operations.clear();
  }

  /** Fails an operation whose packet will never be seen; its memory is kept forever. */
  #abandon(operation: Operation, error: unknown): void {
    abandoned.push(operation.overlapped, operation.pinned);
    operation.stopListening();
    operation.done(error, 0);
  }
}

const ERROR_MORE_DATA = 234;
/** The longest single port wait (a DWORD of ms, below INFINITE); the loop waits again for longer. */
const MAX_WAIT_MS = 0x7fff_ffff;

/**
 * PostQueuedCompletionStatus from any thread. `key` is a user key (≥ 0, not one of winmux's
 * private keys: the worker's stop key, wakes, overlapped I/O); `bytes` a 32-bit count.
 */
export function postCompletion(target: CompletionTarget, key: number, bytes = 0): void {
  checkUserCompletion(key, bytes);
  const port = checkCompletionTarget(target, 'postCompletion: target');
  if (!whileOpen(new Int32Array(target.state), () => postPrivate(port, key, bytes))) {
    throw new ClosedResourceError('postCompletion: the target reactor is closed');
  }
}

/** `target`'s port, if it is a `completionTarget()` (a TypeError naming `what` otherwise). */
export function checkCompletionTarget(target: unknown, what: string): Handle {
  if (typeof target !== 'object' || target === null || !((target as CompletionTarget).state instanceof SharedArrayBuffer)) {
    throw new TypeError(`${what} must come from reactor.completionTarget()`);
  }
  return toHandle((target as CompletionTarget).port, `${what}.port`);
}

/** A user completion's key (≥ 0, not one of winmux's private keys) and byte count (32 bits). */
function checkUserCompletion(key: number, bytes: number): void {
  if (typeof key !== 'number') throw new TypeError(`postCompletion: completion key must be a number, got ${key === null ? 'null' : typeof key}`);
  if (typeof bytes !== 'number') throw new TypeError(`postCompletion: completion bytes must be a number, got ${bytes === null ? 'null' : typeof bytes}`);
  if (!Number.isSafeInteger(key) || key < 0 || key === KEY_OVERLAPPED || key === KEY_STOP || key === KEY_WAKE) {
    throw new RangeError(`completion key ${String(key)} is reserved or invalid (winmux keeps ${KEY_OVERLAPPED}, ${KEY_STOP} and ${KEY_WAKE})`);
  }
  if (!Number.isInteger(bytes) || bytes < 0 || bytes > 0xffff_ffff) {
    throw new RangeError(`completion bytes must be an integer from 0 to 2^32 - 1, got ${String(bytes)}`);
  }
}

/** Posts without the key check: for winmux's own private keys (the worker's stop key). */
function postPrivate(port: Handle, key: number, bytes: number): void {
  if (!kernel32.PostQueuedCompletionStatus(port, bytes, key, null)) {
    throw new WinError('PostQueuedCompletionStatus', kernel32.GetLastError());
  }
}
