// WaitPool: the reactor's side of the object-wait family, and the loop's object-wait part
// (lib/loop/loop-part.ts).
//
// Waits on kernel objects (process exit, events, semaphores, waitable timers, change
// notifications) block a thread, and the reactor thread may block only in its poll. So waits run
// on a pool of waiter threads (worker_threads, see waiter-loop.ts), each blocked in
// WaitForMultipleObjects over its own control event plus up to `maxWaitsPerThread` (≤ 63)
// waited handles. A new wait goes to the first thread with a free slot; a thread is started only
// when all are full, and one left idle for `idleMs` retires. Results come back through shared
// memory and the reactor's wake (its wakeup socket, or a post to its port), like completions; the
// loop settles them in each poll phase (`dispatch`).
//
// Cancellation (abort, timeout, close) asks the owning thread to drop the handle and waits for
// its answer: CANCELLED ends the wait as asked; SIGNALED means the signal won the race and was
// consumed, so the wait resolves as signalled rather than lose it. The thread stays in the pool.
//
// Closing: the pool is the last part to close. The completion port's emulated operations end
// through object waits on their events, so `beginClose` only refuses new waits and the pool keeps
// serving the ones it has while the port drains; `finishClose` then ends every wait and joins
// every thread.
import type { Worker } from 'node:worker_threads';
import * as kernel32 from '../win32/kernel32.ts';
import { WinError } from '../core/windows-errors.ts';
import type { WakeTarget } from '../wakeup/protocol.ts';
import { onAbort } from '../core/abort.ts';
import { THREAD_CHECK_MS, entryBeside, startWorkerThread, type StartedThread } from '../threads/worker-thread.ts';
import type { LoopPart } from '../loop/loop-part.ts';
import { ClosedResourceError } from '../core/errors.ts';
import { writeU64 } from '../core/u64.ts';
import {
  ABANDONED, ADD, CANCEL, CANCELLED, FAILED, FREE, MAX_WAITS_PER_THREAD, RESULTS, SIGNALED, SLOT_ERRNO,
  SLOT_HANDLE_HIGH, SLOT_HANDLE_LOW, SLOT_STATE, STOP, WAITING, sharedSize, slotBase, type WaiterData,
} from './protocol.ts';

export type ObjectWaitResult = { signaled: true; timedOut: false; abandoned: boolean } | { signaled: false; timedOut: true; abandoned: false };

/** Why a wait is being cancelled: decides how it ends once the thread confirms. */
type CancelReason = { kind: 'abort'; reason: unknown } | { kind: 'timeout' } | { kind: 'close'; error: unknown };

export interface WaitPoolOptions {
  /** Waits one thread serves at once: 1 (one thread per wait) to 63 (default). */
  maxWaitsPerThread?: number;
  /** How long a thread with no waits lives before it retires (default 5000 ms). */
  idleMs?: number;
}

/** How long an idle waiter thread stays, by default: long enough to be reused by bursts of waits. */
export const DEFAULT_WAITER_IDLE_MS = 5000;

interface ObjectWait {
  readonly thread: WaiterThread;
  readonly slot: number;
  readonly resolve: (result: ObjectWaitResult) => void;
  readonly reject: (error: unknown) => void;
  readonly cleanup: () => void;
  cancel: CancelReason | undefined;
}

interface WaiterThread {
  readonly worker: Worker;
  /** Liveness checks and joining (lib/threads/worker-thread.ts). */
  readonly started: StartedThread;
  readonly control: number;
  readonly shared: Int32Array;
  readonly waits: (ObjectWait | undefined)[];
  readonly exited: Promise<void>;
  used: number;
  idleTimer: NodeJS.Timeout | undefined;
  stopping: boolean;
}

export class WaitPool implements LoopPart {
  readonly #wake: WakeTarget;
  readonly #capacity: number;
  readonly #idleMs: number;
  readonly #threads: WaiterThread[] = [];
  readonly #retiring = new Set<Promise<void>>();
  readonly #schedule: (ms: number, fire: () => void) => () => void;
  #closed = false;
  /** What waits pending at close end with (`beginClose`). */
  #closeError: unknown;
  #started = 0;
  #lostCount = 0;

  /** `schedule` runs `fire` `ms` from now on the reactor's clock and returns its cancel function. */
  constructor(wake: WakeTarget, schedule: (ms: number, fire: () => void) => () => void, options: WaitPoolOptions = {}) {
    const capacity = options.maxWaitsPerThread ?? MAX_WAITS_PER_THREAD;
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_WAITS_PER_THREAD) {
      throw new RangeError(`maxWaitsPerThread must be an integer from 1 to ${MAX_WAITS_PER_THREAD}, got ${capacity}`);
    }
    this.#wake = wake;
    this.#capacity = capacity;
    this.#idleMs = options.idleMs ?? DEFAULT_WAITER_IDLE_MS;
    this.#schedule = schedule;
  }

  stats(): { objectWaits: number; waiterThreads: number; waiterThreadsStarted: number; waiterThreadsLost: number } {
    return {
      objectWaits: this.#threads.reduce((n, t) => n + t.used, 0),
      waiterThreads: this.#threads.length,
      waiterThreadsStarted: this.#started,
      waiterThreadsLost: this.#lostCount,
    };
  }

  /** The OS thread ids of the waiter threads that have reported theirs (for tests that kill one). */
  threadIds(): number[] {
    return this.#threads.map((t) => t.started.threadId()).filter((id) => id !== 0);
  }

  /** The waiter threads as started, reported or not (for tests that kill one while it starts). */
  startedThreads(): StartedThread[] {
    return this.#threads.map((t) => t.started);
  }

  /** Results waiting to be dispatched. */
  hasPending(): boolean {
    return this.#threads.some((t) => Atomics.load(t.shared, RESULTS) !== 0);
  }

  /** While waiter threads live, the loop looks at them every THREAD_CHECK_MS (a killed one is found by looking). */
  blockLimitMs(): number {
    return this.#threads.length > 0 ? THREAD_CHECK_MS : Infinity;
  }

  hasWaiters(): boolean {
    return this.#threads.some((t) => t.used > 0);
  }

  /** Waits on a thread for `handle` (already checked by the caller with a zero timeout). */
  wait(handle: number, signal: AbortSignal | undefined, timeoutMs: number | undefined): Promise<ObjectWaitResult> {
    if (this.#closed) return Promise.reject(ClosedResourceError.reactor());
    if (signal?.aborted) return Promise.reject(signal.reason);
    let thread = this.#threads.find((t) => t.used < this.#capacity && !t.stopping);
    if (thread === undefined) {
      try {
        thread = this.#startThread();
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const owner = thread;
    const slot = owner.waits.findIndex((w, i) => w === undefined && Atomics.load(owner.shared, slotBase(i) + SLOT_STATE) === FREE);
    return new Promise<ObjectWaitResult>((resolve, reject) => {
      let cancelTimer: (() => void) | undefined;
      let stopListening: (() => void) | undefined;
      const wait: ObjectWait = {
        thread: owner, slot, resolve, reject, cancel: undefined,
        cleanup: () => {
          stopListening?.();
          cancelTimer?.();
        },
      };
      owner.waits[slot] = wait;
      owner.used++;
      if (owner.idleTimer !== undefined) {
        clearTimeout(owner.idleTimer);
        owner.idleTimer = undefined;
      }
      const base = slotBase(slot);
      writeU64(owner.shared, base + SLOT_HANDLE_LOW, handle);
      owner.shared[base + SLOT_ERRNO] = 0;
      Atomics.store(owner.shared, base + SLOT_STATE, ADD);
      kernel32.SetEvent(owner.control);
      stopListening = onAbort(signal, () => this.#cancel(wait, { kind: 'abort', reason: signal!.reason }));
      if (timeoutMs !== undefined) cancelTimer = this.#schedule(timeoutMs, () => this.#cancel(wait, { kind: 'timeout' }));
    });
  }

  /** Looks at the waiter threads' OS threads now: a killed one fails its waits (lib/threads/worker-thread.ts). */
  checkThreads(): void {
    for (const thread of [...this.#threads]) if (!thread.stopping) thread.started.checkAlive();
  }

  /** Settles every wait whose thread has answered, in the poll phase; looks for killed threads too. Returns how many. */
  dispatch(): number {
    let settled = 0;
    for (const thread of [...this.#threads]) {
      settled += this.#dispatchThread(thread);
      // A thread killed behind Node's back: #lost fails its waits (lib/threads/worker-thread.ts).
      if (!thread.stopping && !thread.started.checkAlive()) settled++;
    }
    return settled;
  }

  /** Cancels every wait (`error`, by default ClosedResourceError), stops and joins every thread. Idempotent. */
  close(error: unknown = ClosedResourceError.reactor()): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.beginClose(error);
    return this.finishClose();
  }

  /** Refuses new waits; those pending go on (see the top of this file) until `finishClose`. */
  beginClose(error: unknown = ClosedResourceError.reactor()): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeError = error;
  }

  /** Nothing pending is cancelled before `finishClose`: no drain. */
  draining(): number {
    return 0;
  }

  /** Ends every wait (rejected with the `beginClose` error unless its object won the race), stops and joins every thread. */
  async finishClose(): Promise<void> {
    const error = this.#closeError;
    for (const thread of this.#threads) {
      for (const wait of thread.waits) if (wait !== undefined && wait.cancel === undefined) wait.cancel = { kind: 'close', error };
    }
    await Promise.all([...this.#threads].map((thread) => this.#retire(thread)));
    await Promise.all(this.#retiring);
  }

  /** Nothing left: each thread's control event is closed as the thread is joined. */
  closeHandles(): void {}

  #cancel(wait: ObjectWait, why: CancelReason): void {
    if (wait.cancel !== undefined) return;
    wait.cancel = why;
    const at = slotBase(wait.slot) + SLOT_STATE;
    if (Atomics.compareExchange(wait.thread.shared, at, WAITING, CANCEL) === WAITING
      || Atomics.compareExchange(wait.thread.shared, at, ADD, CANCEL) === ADD) {
      kernel32.SetEvent(wait.thread.control);
    }
    // Otherwise the thread has already answered; dispatch settles it.
  }

  #dispatchThread(thread: WaiterThread): number {
    if (Atomics.exchange(thread.shared, RESULTS, 0) === 0) return 0;
    let settled = 0;
    for (let slot = 0; slot < this.#capacity; slot++) {
      const wait = thread.waits[slot];
      if (wait === undefined) continue;
      const base = slotBase(slot);
      const state = Atomics.load(thread.shared, base + SLOT_STATE);
      if (state !== SIGNALED && state !== ABANDONED && state !== FAILED && state !== CANCELLED) continue;
      const errno = thread.shared[base + SLOT_ERRNO]!;
      Atomics.store(thread.shared, base + SLOT_STATE, FREE);
      thread.waits[slot] = undefined;
      thread.used--;
      wait.cleanup();
      this.#settle(wait, state, errno);
      settled++;
    }
    if (thread.used === 0 && !thread.stopping && !this.#closed) {
      thread.idleTimer = setTimeout(() => this.#retireIdle(thread), this.#idleMs);
      thread.idleTimer.unref();
    }
    return settled;
  }

  #settle(wait: ObjectWait, state: number, errno: number): void {
    if (state === SIGNALED || state === ABANDONED) {
      wait.resolve({ signaled: true, timedOut: false, abandoned: state === ABANDONED });
    } else if (state === FAILED) {
      wait.reject(new WinError('WaitForMultipleObjects', errno));
    } else {
      const why = wait.cancel;
      if (why?.kind === 'timeout') wait.resolve({ signaled: false, timedOut: true, abandoned: false });
      else if (why?.kind === 'abort') wait.reject(why.reason);
      else wait.reject(why?.kind === 'close' ? why.error : new ClosedResourceError('the wait was cancelled'));
    }
  }

  #startThread(): WaiterThread {
    const event = kernel32.CreateEventW(null, 0, 0, null);
    if (kernel32.isNullHandle(event)) throw new WinError('CreateEventW', kernel32.GetLastError());
    const control = Number(event);
    const shared = new Int32Array(new SharedArrayBuffer(sharedSize(this.#capacity)));
    const data: WaiterData = { control, shared: shared.buffer as SharedArrayBuffer, capacity: this.#capacity, wake: this.#wake };
    let started: StartedThread;
    try {
      started = startWorkerThread(entryBeside(import.meta.url), data, 'a waiter thread', () => thread.stopping, (error) => this.#lost(thread, error), () => {
        // At exit: the thread leaves its WaitForMultipleObjects at once.
        thread.stopping = true;
        Atomics.store(shared, STOP, 1);
        kernel32.SetEvent(control);
      });
    } catch (error) {
      kernel32.CloseHandle(control);
      throw error;
    }
    const thread: WaiterThread = {
      worker: started.worker, started, exited: started.exited, control, shared,
      waits: new Array<ObjectWait | undefined>(this.#capacity).fill(undefined), used: 0, idleTimer: undefined, stopping: false,
    };
    this.#threads.push(thread);
    this.#started++;
    return thread;
  }

  /** A thread died: its waits fail; the handles it waited on are untouched. */
  #lost(thread: WaiterThread, error: Error): void {
    this.#lostCount++;
    thread.stopping = true; // never given new waits; a new wait starts a new thread
    if (thread.idleTimer !== undefined) clearTimeout(thread.idleTimer);
    this.#remove(thread);
    for (const [slot, wait] of thread.waits.entries()) {
      if (wait === undefined) continue;
      thread.waits[slot] = undefined;
      wait.cleanup();
      wait.reject(error);
    }
    thread.used = 0;
    kernel32.CloseHandle(thread.control);
  }

  #retireIdle(thread: WaiterThread): void {
    thread.idleTimer = undefined;
    if (thread.used !== 0 || thread.stopping) return;
    const retiring = this.#retire(thread);
    this.#retiring.add(retiring);
    void retiring.finally(() => this.#retiring.delete(retiring));
  }

  /** Stops a thread (its pending waits end CANCELLED and are settled), joins it, closes its event. */
  async #retire(thread: WaiterThread): Promise<void> {
    if (thread.stopping) return thread.exited;
    thread.stopping = true;
    if (thread.idleTimer !== undefined) clearTimeout(thread.idleTimer);
    Atomics.store(thread.shared, STOP, 1);
    kernel32.SetEvent(thread.control);
    await thread.started.join(); // looks at the OS thread meanwhile: a killed one never exits through Node
    this.#dispatchThread(thread);
    // What a killed thread never answered ends here, as its cancellation asked (close: the reactor's error).
    for (const [slot, wait] of thread.waits.entries()) {
      if (wait === undefined) continue;
      thread.waits[slot] = undefined;
      thread.used--;
      wait.cleanup();
      wait.reject(wait.cancel?.kind === 'close' ? wait.cancel.error : new ClosedResourceError('the waiter thread ended before answering'));
    }
    this.#remove(thread);
    kernel32.CloseHandle(thread.control);
  }

  #remove(thread: WaiterThread): void {
    const index = this.#threads.indexOf(thread);
    if (index >= 0) this.#threads.splice(index, 1);
  }
}
