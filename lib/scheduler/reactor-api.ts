// ReactorApi: the Reactor's entry points that forward to a part — socket readiness waits, the
// completion family, object waits, sleeps and deadline signals, guest ref/unref — each a one-line
// forwarder to the part that checks its arguments and does the work (socket-waits.ts; the
// completion port and ../iocp-worker/overlapped-requests.ts; ../waits/wait-for-object.ts;
// reactor-timers.ts; ../guest/). Split from reactor.ts by job: that file is the loop and what
// only the loop can do (run, iterate, call-soon, wakes and channels, stats, close); the Reactor
// extends this class and hands it its parts once they are made.
import { READABLE, WRITABLE } from '../loop/readiness.ts';
import type { BackendRow } from './backends.ts';
import type { GuestLoop } from '../guest/guest-loop.ts';
import type { ReactorTimers } from './reactor-timers.ts';
import type { Pace, Turn } from '../loop/fair-share.ts';
import type { SocketWaits } from './socket-waits.ts';
import type { ObjectWaitOptions, WaitOptions } from './options.ts';
import { type CompletionPort, checkCompletionTarget, toHandle, type CompletionTarget, type HandleTransfer, type KeyMonitor, type OverlappedOptions } from '../iocp-worker/completion-port.ts';
import { readOverlapped, submitOverlapped, writeOverlapped, type SubmitOptions } from '../iocp-worker/overlapped-requests.ts';
import type { KeySource } from '../iocp-worker/completion-keys.ts';
import type { ObjectWaitResult, WaitPool } from '../waits/wait-pool.ts';
import { waitForObject, type ObjectWaitContext } from '../waits/wait-for-object.ts';
import type { Socket } from '../win32/winsock.ts';
import { checkOptions } from '../core/arguments.ts';

/** What the entry points reach: the Reactor's parts and the loop services they use. */
export interface ApiParts {
  /** The readiness backend's row (backends.ts). */
  readonly row: BackendRow;
  /** The wakeup socket's read end (select mode). */
  readonly wakeupEnd: Socket | undefined;
  /** Guest mode's loop; undefined in host mode. */
  readonly guest: GuestLoop | undefined;
  readonly timers: ReactorTimers;
  readonly sockets: SocketWaits;
  readonly iocp: CompletionPort;
  readonly waits: WaitPool;
  readonly objectWaits: ObjectWaitContext;
  /** The wake state, shared with the threads that post to the port. */
  readonly wakeState: Int32Array;
  /** A wait has started that only the loop can end: a guest reactor now keeps the process alive. */
  started<T>(operation: Promise<T>): Promise<T>;
  readonly pace: Pace;
  /** A task started waiting on a source the loop serves (a guest reactor re-checks whether it holds the process). */
  readonly refresh: () => void;
}

/** @internal For tests that must reach the completion port (e.g. to kill its worker). */
export const kCompletionPort = Symbol('winmux.completionPort');
/** @internal For tests that must reach the waiter pool (to kill a waiter thread) or the wakeup socket. */
export const kWaitPool = Symbol('winmux.waitPool');
export const kWakeupEnd = Symbol('winmux.wakeupEnd');
/** @internal The guest loop (guest mode), for fault tests (to kill its helper thread). */
export const kGuestLoop = Symbol('winmux.guestLoop');

export abstract class ReactorApi {
  /** @internal The parts, set once by the Reactor's constructor. */
  protected forwardTo!: ApiParts;

  /** Resolves when select reports `socket` readable (data, EOF, a pending accept, or an error). */
  waitReadable(socket: Socket | bigint, options?: WaitOptions): Promise<void> {
    return this.forwardTo.sockets.wait(socket, READABLE, options);
  }

  /** Resolves when select reports `socket` writable, or its non-blocking connect failed. */
  waitWritable(socket: Socket | bigint, options?: WaitOptions): Promise<void> {
    return this.forwardTo.sockets.wait(socket, WRITABLE, options);
  }

  /**
   * Tells the reactor `socket` is about to be closed: its waiters reject with
   * ClosedResourceError and it leaves the interest sets. Call it before `closesocket`, so the
   * loop never selects on a dead (or reused) handle.
   */
  notifyClosing(socket: Socket | bigint): void {
    this.forwardTo.sockets.notifyClosing(socket);
  }

  /**
   * Lets go of a socket so another reactor (usually on another thread) can wait on it: select
   * needs no binding, so this checks that no task here still waits on it (BusyResourceError
   * otherwise) and lets the backend forget it (AFD: its registration ends). Returns the socket,
   * to send on.
   */
  release(socket: Socket | bigint): Socket {
    return this.forwardTo.sockets.release(socket);
  }

  /**
   * Binds a handle opened for overlapped I/O (FILE_FLAG_OVERLAPPED) to this reactor's completion
   * port. A handle binds to one port for life: binding twice, or a handle bound elsewhere, throws a
   * WinError (ERROR_INVALID_PARAMETER) that says so. `skipCompletionOnSuccess`: also set
   * FILE_SKIP_COMPLETION_PORT_ON_SUCCESS | FILE_SKIP_SET_EVENT_ON_HANDLE (SetFileCompletionNotificationModes;
   * winmux does for the pipes and files it opens): a call that succeeds at once then queues no packet,
   * and its result is taken from the OVERLAPPED. Only for handles whose calls all go through
   * read/writeOverlapped or submitOverlapped with an `issue` that returns SUCCEEDED_AT_ONCE for
   * such a call (lib/win32/overlapped-calls.ts); waitOverlapped must not be given a call that
   * succeeded at once on such a handle (no packet will come).
   */
  registerWithIocp(handle: number | bigint, options: { skipCompletionOnSuccess?: boolean } = {}): void {
    const checked = checkOptions(options, 'registerWithIocp: options');
    if (checked.skipCompletionOnSuccess !== undefined && typeof checked.skipCompletionOnSuccess !== 'boolean') {
      throw new TypeError(`registerWithIocp: skipCompletionOnSuccess must be a boolean, got ${typeof checked.skipCompletionOnSuccess}`);
    }
    this.forwardTo.iocp.register(handle, checked.skipCompletionOnSuccess === true);
  }

  /** Stops accepting operations on `handle`; call before CloseHandle. Pending ones settle as their packets come. */
  releaseHandle(handle: number | bigint): void {
    this.forwardTo.iocp.release(handle);
  }

  /**
   * Reads into `buffer` at `fileOffset` (ignored by pipes) with ReadFile. Resolves with the byte
   * count; 0 at end of file (ERROR_HANDLE_EOF) or end of a pipe (ERROR_BROKEN_PIPE). `buffer`
   * stays referenced, and must not be reused, until this settles.
   */
  readOverlapped(handle: number | bigint, buffer: Uint8Array, fileOffset?: number, options?: OverlappedOptions): Promise<number> {
    return this.forwardTo.started(readOverlapped(this.forwardTo.iocp, this.forwardTo.pace, handle, buffer, fileOffset, options));
  }

  /** Writes `data` at `fileOffset` (ignored by pipes) with WriteFile; resolves with the byte count. */
  writeOverlapped(handle: number | bigint, data: Uint8Array, fileOffset?: number, options?: OverlappedOptions): Promise<number> {
    return this.forwardTo.started(writeOverlapped(this.forwardTo.iocp, this.forwardTo.pace, handle, data, fileOffset, options));
  }

  /**
   * Low level: starts an overlapped call with an OVERLAPPED from the reactor's pool. `issue` makes
   * the call and returns 0 when a completion packet will come, else the Win32 error (see
   * lib/win32/overlapped-calls.ts); `mapError` may turn an error into a result.
   */
  submitOverlapped(handle: number | bigint, syscall: string, issue: (overlapped: Uint8Array) => number, options?: SubmitOptions): Promise<number> {
    return this.forwardTo.started(submitOverlapped(this.forwardTo.iocp, this.forwardTo.pace, handle, syscall, issue, options));
  }

  /**
   * Low level: waits for the packet of an overlapped call you issued yourself on a registered
   * handle, matched by the OVERLAPPED's address. Keep `overlapped` (and your buffer) alive and
   * unmoved until this settles. Abort cancels with CancelIoEx and still waits for the packet.
   */
  waitOverlapped(handle: number | bigint, overlapped: Uint8Array, options?: OverlappedOptions): Promise<number> {
    return this.forwardTo.started(this.forwardTo.iocp.waitOverlapped(handle, overlapped, options));
  }

  /** Queues a completion on this reactor's port for `key` (see `monitorCompletionKey`). */
  postCompletion(key: number, bytes = 0): void {
    this.forwardTo.iocp.post(key, bytes);
  }

  /** A fresh completion key; completions posted to it come out of the returned monitor, in order. */
  monitorCompletionKey(): KeyMonitor {
    return this.forwardTo.iocp.monitor(this.forwardTo.pace, this.forwardTo.refresh);
  }

  /**
   * @internal A fresh completion key routed to the source `make` builds (a JobObject), and the
   * port it is on; `remove` frees the key, `onWait` is told when a task starts waiting on it.
   */
  openCompletionSource<T extends KeySource>(make: (key: number, port: number, hooks: { remove: () => void; onWait: () => void }) => T): T {
    return this.forwardTo.iocp.openSource((key, remove) => make(key, this.forwardTo.iocp.port, { remove, onWait: this.forwardTo.refresh }));
  }

  /**
   * Hands an overlapped handle to the reactor whose `completionTarget()` is `target`; it must have
   * no pending operations here. Give the returned transfer to that reactor's `adoptHandle`. Where
   * the OS can detach a handle from a port (Windows 8.1+) it moves natively; elsewhere (Wine 8,
   * older Windows) the target runs its operations in emulated mode (see docs/design.md).
   */
  transferHandle(handle: number | bigint, target: CompletionTarget): HandleTransfer {
    toHandle(handle, 'transferHandle: handle');
    checkCompletionTarget(target, 'transferHandle: target');
    return this.forwardTo.iocp.transfer(handle, target);
  }

  /**
   * Takes a handle from `transferHandle`, or (`{ handle }`) any overlapped handle already bound
   * to a completion port winmux does not own. Returns the mode its operations will run in.
   */
  adoptHandle(transfer: HandleTransfer | { handle: number | bigint }): 'native' | 'emulated' {
    if (typeof transfer !== 'object' || transfer === null) throw new TypeError(`adoptHandle: transfer must be what transferHandle returned (or { handle }), got ${transfer === null ? 'null' : typeof transfer}`);
    toHandle(transfer.handle, 'adoptHandle: transfer.handle');
    return this.forwardTo.iocp.adopt(transfer);
  }

  /** What another thread needs to post completions here: `postCompletion(target, key, bytes)`. */
  completionTarget(): CompletionTarget {
    return { port: this.forwardTo.iocp.target(), state: this.forwardTo.wakeState.buffer as SharedArrayBuffer };
  }

  /**
   * Resolves when the kernel object `handle` is signalled — a process exits, an event is set, a
   * semaphore or mutex becomes available, a waitable timer fires — with `{ signaled: true }`
   * (`abandoned: true` for a mutex whose owner died), or `{ timedOut: true }` after `timeoutMs`.
   * An already-signalled handle resolves at once without a thread. A satisfied wait consumes the
   * signal (resets an auto-reset event, takes a semaphore count, acquires a mutex — owned by the
   * waiter thread, see docs/api.md). An invalid or closed handle fails this wait only, with
   * WinError ERROR_INVALID_HANDLE; a value that is not a handle at all is a TypeError.
   */
  waitForObject(handle: number | bigint, options?: ObjectWaitOptions): Promise<ObjectWaitResult> {
    return waitForObject(this.forwardTo.waits, this.forwardTo.objectWaits, handle, options);
  }

  /** True when this reactor runs as a guest of Node's loop (`{ guest: true }`). */
  get guest(): boolean {
    return this.forwardTo.guest !== undefined;
  }

  /**
   * @internal True when socket readiness arrives as packets on the completion port (AFD polls),
   * behind whatever completions are queued there first; false for select and WSAPoll.
   */
  get readinessQueuedOnPort(): boolean {
    return this.forwardTo.row.readinessOnPort;
  }

  /**
   * Guest mode, as Node's `handle.ref()`: the reactor keeps the process alive while something
   * waits on it (the default). In host mode `run` holds the process while it runs; this is a no-op.
   */
  ref(): this {
    this.forwardTo.guest?.setRef(true);
    return this;
  }

  /** Guest mode, as Node's `handle.unref()`: the reactor never keeps the process alive. */
  unref(): this {
    this.forwardTo.guest?.setRef(false);
    return this;
  }

  /** Whether the reactor may keep the process alive (`ref()`); always false in host mode. */
  hasRef(): boolean {
    return this.forwardTo.guest?.refEnabled ?? false;
  }

  /** @internal */
  get [kCompletionPort](): CompletionPort {
    return this.forwardTo.iocp;
  }

  /** @internal */
  get [kWaitPool](): WaitPool {
    return this.forwardTo.waits;
  }

  /** @internal */
  get [kGuestLoop](): GuestLoop | undefined {
    return this.forwardTo.guest;
  }

  /** @internal The wakeup socket's read end (select mode). */
  get [kWakeupEnd](): Socket | undefined {
    return this.forwardTo.wakeupEnd;
  }

  /** The reactor's clock, in ms: the time base of `sleepUntil` and `deadlineSignal`. */
  now(): number {
    return this.forwardTo.timers.now();
  }

  /** Resolves after `ms` milliseconds of the reactor's clock. */
  sleep(ms: number, options?: WaitOptions): Promise<void> {
    return this.forwardTo.timers.sleep(ms, options);
  }

  /** Resolves once the reactor's clock reaches `deadline` (see `now()`). */
  sleepUntil(deadline: number, options?: WaitOptions): Promise<void> {
    return this.forwardTo.timers.sleepUntil(deadline, options);
  }

  /**
   * An AbortSignal that aborts with a TimeoutError `ms` from now, on the reactor's clock. Unlike
   * `AbortSignal.timeout`, which rides Node's timers, it fires on time while select blocks.
   */
  timeoutSignal(ms: number): AbortSignal {
    return this.forwardTo.timers.timeoutSignal(ms);
  }

  /** An AbortSignal that aborts with a TimeoutError when the reactor's clock reaches `deadline`. */
  deadlineSignal(deadline: number): AbortSignal {
    return this.forwardTo.timers.deadlineSignal(deadline);
  }

  /**
   * For resources built on the reactor: an operation on `turn`'s resource has just completed
   * (`waited`: it waited for readiness or a packet first). Returns undefined when the task may
   * go on at once, else a promise to await first, which resolves in the next iteration. Every
   * winmux class calls this; see lib/loop/fair-share.ts for the rule.
   */
  yieldIfDue(turn: Turn | undefined, waited: boolean): Promise<void> | undefined {
    return this.forwardTo.pace(turn, waited);
  }
}
