// CompletionPort: the reactor's side of the completion family, and the loop's completion part
// (lib/loop/loop-part.ts) — in port mode also the part the reactor thread blocks in.
//
// It starts every operation and routes every packet, handle change and close step to the piece
// that does each job: operations in flight and how each ends (operation-table.ts), bound handles
// (handle-registry.ts), getting packets off the port (worker/completion-worker.ts and its ring in
// select mode, port-dequeue.ts in port mode), emulated mode's events (emulated-events.ts), posts
// (completion-post.ts), OVERLAPPEDs (overlapped-pool.ts), keys (completion-keys.ts,
// key-monitor.ts). How they fit together: README.md in this folder. Over the house limit of ~400
// lines because every entry point of the family (start, cancel, bind, transfer, dispatch, close)
// is here, each a few lines that hand the work on.
//
// Skip-on-success: a handle winmux opened itself is bound with FILE_SKIP_COMPLETION_PORT_ON_SUCCESS
// (handle-registry.ts; libuv, .NET and Go do the same for their own handles). A call on it that
// succeeds before returning (SUCCEEDED_AT_ONCE, win32/overlapped-calls.ts: a pipe read that finds
// bytes, a write the pipe's buffer takes) queues no packet: `start` reads the result from the
// OVERLAPPED and the operation is never tracked — one dequeue (and, in select mode, one trip
// through the worker's ring) less. Its task is paced like any operation that completed without
// waiting (lib/loop/fair-share.ts). Calls that pend, fail or are cancelled are unchanged. Under Wine 8
// and 10 the mode is honoured (docs/wine.md; probes/skip-on-success.ts).
import type { Worker } from 'node:worker_threads';
import { THREAD_CHECK_MS } from '../threads/worker-thread.ts';
import type { HandedOver, PollingPart } from '../loop/loop-part.ts';
import * as kernel32 from '../win32/kernel32.ts';
import { toHandle } from '../win32/kernel32.ts';
import { KeyMonitor } from './key-monitor.ts';
export { KeyMonitor, type KeyCompletion } from './key-monitor.ts';
import { CompletionKeys, type KeySource } from './completion-keys.ts';
export { toHandle } from '../win32/kernel32.ts';
import { addressOf } from '../win32/ffi.ts';
import { WinError } from '../core/windows-errors.ts';
import { SUCCEEDED_AT_ONCE } from '../win32/overlapped-calls.ts';
import { OVERLAPPED } from '../win32/structs.ts';
import { BusyResourceError, ClosedResourceError, HandleStateError, InternalStateError } from '../core/errors.ts';
import type { Completion } from './completion-ring.ts';
import { OverlappedPool } from './overlapped-pool.ts';
import type { WakeTarget } from '../wakeup/protocol.ts';
import { whenTurn, type Pace } from '../loop/fair-share.ts';
import { checkSignal } from '../core/abort.ts';
import { checkOptions } from '../core/arguments.ts';
import { HandleRegistry, type Handle, type HandleTransfer } from './handle-registry.ts';
export type { Handle, HandleTransfer } from './handle-registry.ts';
import { checkUserCompletion, postPrivate, type CompletionTarget } from './completion-post.ts';
export { checkCompletionTarget, postCompletion, type CompletionTarget } from './completion-post.ts';
import { CompletionWorker } from './worker/completion-worker.ts';
import { PortDequeue } from './port-dequeue.ts';
import { EmulatedEvents, emulatedResult } from './emulated-events.ts';
import { OperationTable, type ErrorMapping, type Operation, type OperationDone, type PendingOperation, type StartOptions } from './operation-table.ts';
export type { ErrorMapping, OperationDone, PendingOperation, StartOptions } from './operation-table.ts';

export interface OverlappedOptions {
  signal?: AbortSignal | undefined;
}

/**
 * What `start` returns: the operation in flight, or the result of a call that failed (or was
 * mapped) at once, or — on a handle that skips the packet on success — succeeded at once
 * (`atOnce`: no packet will come).
 */
export type StartResult =
  | { pending: PendingOperation; error: undefined; bytes: 0; atOnce?: undefined }
  | { pending: undefined; error: unknown; bytes: number; atOnce?: boolean };

export class CompletionPort implements PollingPart {
  readonly port: Handle;
  /** Select mode: the worker thread and its ring. Undefined in port mode. */
  readonly #worker: CompletionWorker | undefined;
  /** Port mode: the reactor thread's own dequeue. Undefined in select mode. */
  readonly #dequeue: PortDequeue | undefined;
  readonly #pool = new OverlappedPool();
  /** The operations in flight, by OVERLAPPED address (operation-table.ts). */
  readonly #operations = new OperationTable((operation) => {
    if (operation.slot !== undefined) this.#pool.release(operation.slot);
    if (operation.event !== undefined) this.#events.release(operation.event);
  });
  readonly #handles: HandleRegistry;
  /** Where each packet goes, by its key: the operation table, a wake, or a user key's source. */
  readonly #keys: CompletionKeys;
  readonly #events = new EmulatedEvents();
  /** Operations that succeeded at once on a skip-on-success handle: results taken with no packet. */
  #completedAtOnce = 0;
  readonly #waitEvent: (event: Handle) => Promise<unknown>;
  /** The worker failed: what every later call fails with. */
  #failure: Error | undefined;
  /** What operations pending at close reject with (beginClose). */
  #closing: unknown;
  #closed = false;

  /**
   * `waitEvent` waits for an event handle through the reactor's object-wait family. `wake` is
   * where the IOCP worker wakes the reactor (select mode); without it the port runs in port mode:
   * no worker, the reactor calls `poll` to dequeue. Each KEY_WAKE packet calls `onWake` (the
   * reactor drains its wake state and reads its channels).
   */
  constructor(waitEvent: (event: Handle) => Promise<unknown>, onWake: () => void, wake?: WakeTarget) {
    this.#waitEvent = waitEvent;
    this.#keys = new CompletionKeys(this.#settleByAddress, onWake);
    const port = kernel32.CreateIoCompletionPort(kernel32.INVALID_HANDLE_VALUE, null, 0, 1);
    if (kernel32.isNullHandle(port)) throw new WinError('CreateIoCompletionPort', kernel32.GetLastError());
    this.port = Number(port);
    this.#handles = new HandleRegistry(this.port);
    this.#worker = wake === undefined ? undefined : new CompletionWorker(this.port, wake, (error) => this.#fail(error));
    this.#dequeue = wake === undefined ? new PortDequeue(this.port) : undefined;
  }

  /** The worker thread, once started (for tests that need to kill it). */
  get worker(): Worker | undefined {
    return this.#worker?.worker;
  }

  /** The worker's OS thread id once it has reported it, else 0 (for tests that kill it natively). */
  get workerThreadId(): number {
    return this.#worker?.threadId ?? 0;
  }

  /** The reactor thread waits in this port (no worker thread). */
  get inLoop(): boolean {
    return this.#dequeue !== undefined;
  }

  /** Packets known to wait for dispatch: in the ring, or (port mode) maybe in the port, if the last poll stopped at its cap. */
  hasPending(): boolean {
    return this.#dequeue !== undefined ? this.#dequeue.moreQueued : this.#worker!.backlog() > 0;
  }

  /** While the worker thread lives, the loop looks at it every THREAD_CHECK_MS (a killed one is found by looking). */
  blockLimitMs(): number {
    return this.#worker?.worker !== undefined ? THREAD_CHECK_MS : Infinity;
  }

  /** Operations waiting for their packets, or key monitors with a `next()` waiting. */
  hasWaiters(): boolean {
    return this.#operations.size > 0 || this.#keys.hasWaiters();
  }

  stats(): {
    overlappedWaiters: number; iocpBacklog: number; completions: number; strayCompletions: number; completedAtOnce: number; iocpWorker: string;
    emulatedHandles: number; emulatedOperations: number;
  } {
    const worker = this.inLoop ? 'none (port mode)' : this.#failure ? 'failed' : this.#worker?.worker ? 'running' : 'not started';
    return {
      overlappedWaiters: this.#operations.size,
      iocpBacklog: this.#worker?.backlog() ?? 0,
      completions: this.#keys.completions,
      strayCompletions: this.#keys.stray,
      completedAtOnce: this.#completedAtOnce,
      iocpWorker: this.#closed && this.#failure === undefined ? 'stopped' : worker,
      emulatedHandles: this.#handles.emulatedCount,
      emulatedOperations: this.#events.acquired,
    };
  }

  /** Binds `handle` to this port; `skipOnSuccess`: without a packet for a call that succeeds at once (see the top of this file). */
  register(value: unknown, skipOnSuccess = false): void {
    const handle = toHandle(value);
    this.#checkUsable();
    this.#handles.bind(handle, skipOnSuccess);
    this.#ensureWorker();
  }

  /**
   * Forgets `handle` (call before CloseHandle). Its pending operations settle when their packets
   * come: with their data if they completed, else with ClosedResourceError — whatever status the
   * driver picks for I/O cut off by a close (STATUS_CANCELLED, or for a pipe end-of-pipe). A
   * handle that is not registered here (never was, was released already, or was transferred) is a
   * HandleStateError: a release meant for another reactor, or a second one, is a bug to surface.
   * Allowed after close: resources are closed after their reactor too.
   */
  release(value: unknown): void {
    const handle = toHandle(value);
    if (this.#handles.mode(handle) === undefined) throw new HandleStateError(`releaseHandle: handle ${handle} is not registered with this reactor`);
    this.#handles.forget(handle);
    this.#operations.markReleased(handle);
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
    if (this.#handles.mode(handle) === undefined) throw new HandleStateError(`handle ${handle} is not registered with this reactor`);
    // An operation of a released handle is not this handle's, even with the same value: Windows
    // hands a closed handle's value out again at once, while its operations' packets may still
    // be on their way (they settle with ClosedResourceError whoever has the value by then).
    if (this.#operations.pendingOn(handle)) throw new BusyResourceError(`handle ${handle} has pending operations: finish or cancel them before transferring it`);
    return this.#handles.transfer(handle, target.port);
  }

  /**
   * Takes a handle transferred from another reactor, or any handle already bound to a port winmux
   * does not own (pass `{ handle }` alone): native when it is bound to this port, else emulated.
   */
  adopt(transfer: HandleTransfer | { handle: number | bigint }): 'native' | 'emulated' {
    const handle = toHandle(transfer.handle);
    this.#checkUsable();
    const mode = this.#handles.adopt(handle, transfer);
    if (mode === 'native') this.#ensureWorker();
    return mode;
  }

  /**
   * Starts an overlapped operation with a pooled OVERLAPPED: `issue` makes the call and returns
   * 0 if it is pending, SUCCEEDED_AT_ONCE if it succeeded before returning, else the Win32 error
   * (see win32/overlapped-calls.ts). An operation that succeeded at once on a skip-on-success
   * handle resolves when `pace` lets its task go on (the FairShare rule: it did not wait).
   */
  submit(
    value: unknown,
    syscall: string,
    fileOffset: number,
    pinned: unknown,
    issue: (overlapped: Uint8Array) => number,
    options: OverlappedOptions & { mapError?: ErrorMapping; pace?: Pace } = {},
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
      if (started.atOnce === true && options.pace !== undefined) resolve(whenTurn(options.pace(undefined, false), started.bytes));
      else if (started.pending === undefined) done(started.error, started.bytes);
    });
  }

  /**
   * The callback form of `submit`, for winmux's own parts (the AFD backend): `done` is called
   * during the dispatch of the packet. Returns `{ pending }`, the operation (for `cancel`), or —
   * when the call failed outright (or the handle is bad or unregistered), or succeeded at once on
   * a skip-on-success handle (`atOnce`), and no packet will come — `{ error, bytes }` for the
   * caller to act on; `done` is not called then.
   */
  start(
    value: unknown,
    syscall: string,
    fileOffset: number,
    pinned: unknown,
    issue: (overlapped: Uint8Array) => number,
    done: OperationDone,
    options: StartOptions = {},
  ): StartResult {
    let handle: Handle;
    try {
      handle = this.#checkHandle(value);
      checkSignal(options.signal);
    } catch (error) {
      return { pending: undefined, error, bytes: 0 };
    }
    const slot = this.#pool.acquire(fileOffset);
    let event: number | undefined;
    try {
      event = this.#handles.mode(handle) === 'emulated' ? this.#events.acquire(slot.view) : undefined;
    } catch (error) {
      this.#pool.release(slot); // CreateEventW failed (out of resources): the slot goes back
      return { pending: undefined, error, bytes: 0 };
    }
    let errno: number;
    try {
      errno = issue(slot.view);
    } catch (error) {
      // The call never reached the kernel (a bad argument at the binding): nothing is pending.
      this.#pool.release(slot);
      if (event !== undefined) this.#events.release(event);
      return { pending: undefined, error, bytes: 0 };
    }
    if (errno === SUCCEEDED_AT_ONCE && event === undefined && this.#handles.skipsOnSuccess(handle)) {
      // FILE_SKIP_COMPLETION_PORT_ON_SUCCESS: no packet; the kernel wrote the result before the
      // call returned (Internal STATUS_SUCCESS, InternalHigh the byte count).
      const { bytes } = emulatedResult(slot.view); // the fields emulated mode reads too
      this.#pool.release(slot);
      this.#completedAtOnce++;
      return { pending: undefined, error: undefined, bytes, atOnce: true };
    }
    if (errno !== 0 && errno !== SUCCEEDED_AT_ONCE) {
      // No packet will be queued (nor the event set): the OVERLAPPED is ours again at once.
      this.#pool.release(slot);
      if (event !== undefined) this.#events.release(event);
      const mapped = options.mapError?.(errno);
      return mapped ? { pending: undefined, error: undefined, bytes: mapped.bytes } : { pending: undefined, error: new WinError(syscall, errno), bytes: 0 };
    }
    const operation = this.#operations.track(handle, syscall, slot.view, slot.address, slot, pinned, options, done, event);
    if (event !== undefined) this.#observe(operation, event);
    return { pending: operation, error: undefined, bytes: 0 };
  }

  /**
   * Cancels an operation from `start` (CancelIoEx): its packet still comes, and `done` gets
   * `reason` if the cancellation won, or the result if the operation had completed.
   */
  cancel(pending: PendingOperation, reason: unknown): void {
    this.#operations.cancel(pending as Operation, reason);
  }

  /**
   * Waits for the packet of an overlapped call the caller issued on a registered handle with its
   * own OVERLAPPED (which must stay alive and unmoved until this settles). Resolves with the
   * byte count.
   */
  waitOverlapped(value: unknown, overlapped: Uint8Array, options: OverlappedOptions & { mapError?: ErrorMapping } = {}): Promise<number> {
    let handle: Handle;
    try {
      options = checkOptions(options, 'waitOverlapped: options');
      handle = this.#checkHandle(value);
      checkSignal(options.signal);
    } catch (error) {
      return Promise.reject(error);
    }
    if (!(overlapped instanceof Uint8Array) || overlapped.byteLength < OVERLAPPED.SIZE) {
      return Promise.reject(new TypeError(`waitOverlapped: overlapped must be a Uint8Array of at least ${OVERLAPPED.SIZE} bytes (an OVERLAPPED)`));
    }
    if (this.#handles.mode(handle) === 'emulated') {
      return Promise.reject(new HandleStateError(`handle ${handle} runs in emulated mode (bound to another port): use submitOverlapped, which gives its OVERLAPPED an event`));
    }
    const address = Number(addressOf(overlapped));
    if (this.#operations.has(address)) {
      return Promise.reject(new HandleStateError(`an operation with the OVERLAPPED at 0x${address.toString(16)} is already pending`));
    }
    if (options.signal?.aborted) return Promise.reject(options.signal.reason);
    return new Promise<number>((resolve, reject) => {
      this.#operations.track(handle, 'waitOverlapped', overlapped, address, undefined, overlapped, options,
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

  /** The port, for the CompletionTarget that other threads post to (the reactor adds its wake state). */
  target(): Handle {
    this.#checkUsable();
    this.#ensureWorker();
    return this.port;
  }

  /** A fresh key whose completions are delivered, in order, to the returned monitor (paced by `pace`). */
  monitor(pace: Pace, onWait?: () => void): KeyMonitor {
    this.#checkUsable();
    this.#ensureWorker();
    return this.#keys.open((key) => new KeyMonitor(key, () => this.#keys.remove(key), pace, onWait));
  }

  /**
   * A fresh key routed to the source `make` builds for it (a job object: lib/objects/job-object.ts);
   * `remove` takes the key out of the table. The source's `close` is called when the port closes,
   * before the port handle is closed.
   */
  openSource<T extends KeySource>(make: (key: number, remove: () => void) => T): T {
    this.#checkUsable();
    this.#ensureWorker();
    return this.#keys.open((key) => make(key, () => this.#keys.remove(key)));
  }

  /**
   * Port mode: dispatches `handedOver` (what a guest's helper thread dequeued from this port),
   * then blocks in GetQueuedCompletionStatusEx for up to `timeoutMs` and dispatches what it
   * dequeued (port-dequeue.ts). Returns the packet count, wakes included.
   */
  poll(timeoutMs: number, handedOver?: HandedOver): number {
    // What a guest's helper dequeued is this iteration's poll: no GetQueuedCompletionStatusEx(0)
    // after it (an empty one is two native calls, with GetLastError's WAIT_TIMEOUT). Packets
    // queued meanwhile wait for the next iteration, which polls again since this one found some.
    const handed = handedOver === undefined ? 0 : this.dispatchHandedOver(handedOver);
    if (handed > 0) return handed;
    return this.#dequeue!.wait(timeoutMs, this.#keys.dispatch);
  }

  /** Port mode: dispatches, in order, the OVERLAPPED_ENTRYs a guest reactor's helper thread dequeued from this port. Returns their count. */
  dispatchHandedOver(handedOver: HandedOver): number {
    this.#dequeue!.dispatch(handedOver.batch, handedOver.count, this.#keys.dispatch);
    return handedOver.count;
  }

  /** Looks at the IOCP worker's OS thread now: a killed one fails what waits on it (lib/threads/worker-thread.ts). */
  checkThreads(): void {
    this.#worker?.checkAlive();
  }

  /**
   * Dispatches what has arrived and is not dispatched yet: select mode, every packet in the ring
   * now; port mode — where the loop polls the port instead, and only a closing reactor calls
   * this — a zero-timeout wait (a wake then only drains the reactor's wake flag).
   */
  dispatch(): number {
    if (this.#dequeue !== undefined) return this.#dequeue.wait(0, this.#keys.dispatch);
    return this.#worker!.drain(this.#keys.dispatch);
  }

  /** For a reactor that failed to start: closes the port, which no worker uses yet. */
  closeUnused(): void {
    if (this.#worker?.worker !== undefined) throw new InternalStateError('CompletionPort.closeUnused: the worker has started');
    this.#closed = true;
    kernel32.CloseHandle(this.port);
  }

  /** Step 1 of closing: refuse new work, close the key monitors, cancel every pending operation (they reject with `closing`). */
  beginClose(closing: unknown = ClosedResourceError.reactor()): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closing = closing;
    this.#keys.closeAll(closing);
    this.#operations.cancelAll(closing);
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
    if (this.#operations.size > 0) this.#operations.abandonAll(this.#closing ?? ClosedResourceError.reactor());
    // What reaches the ring until the worker has stopped is stray (every operation is settled
    // or abandoned, every source closed): dispatched, and counted as such.
    await this.#worker?.stop(this.#keys.dispatch);
  }

  /** Step 3, once nothing can post to the port any more (the reactor refused wakes, the AFD handles are closed): closes the events and the port. */
  closeHandles(): void {
    this.#events.close();
    kernel32.CloseHandle(this.port);
  }

  /** The key table's KEY_OVERLAPPED row: the packet of the operation whose OVERLAPPED it names, if one is pending. */
  readonly #settleByAddress = (entry: Completion): boolean => {
    const operation = this.#operations.get(entry.overlapped);
    if (operation === undefined) return false;
    this.#operations.settle(operation, entry.status, entry.bytes);
    return true;
  };


  /** Emulated mode: when the event fires, the OVERLAPPED holds the result the packet would have. */
  #observe(operation: Operation, event: number): void {
    this.#waitEvent(event).then(
      () => {
        const { status, bytes } = emulatedResult(operation.overlapped);
        this.#operations.settle(operation, status, bytes);
      },
      (error: unknown) => {
        // The wait itself failed (the reactor closed, or its waiter thread died): the kernel may
        // still write this operation's memory, so it is kept forever.
        this.#operations.abandon(operation, error);
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
    if (this.#handles.mode(handle) === undefined) {
      throw new HandleStateError(`handle ${handle} is not registered with this reactor's completion port: call registerWithIocp(handle) first (its completions would never arrive)`);
    }
    return handle;
  }

  /** Select mode: the first use of the completion family starts the worker thread. */
  #ensureWorker(): void {
    if (!this.#closed) this.#worker?.start();
  }

  /** The worker is gone: everything pending fails now, and its memory is never freed. */
  #fail(error: Error): void {
    if (this.#failure !== undefined) return;
    this.#failure = error;
    this.#operations.abandonAll(error);
    this.#keys.closeAll(error);
  }

}

