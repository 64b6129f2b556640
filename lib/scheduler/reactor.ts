// Reactor: winmux's scheduler. One per thread that wants one (the Node main thread or any
// worker_thread); it owns the loop, its timers and call-soon queue, its wake, and the loop's
// parts (../loop/loop-part.ts, made in reactor-parts.ts): the socket waits with their readiness
// backend, the completion port, and the waiter pool for object waits.
//
// The loop, while `run(fn)`'s task is pending:
//
//   1. yield to Node    await setImmediate: promise continuations of everything resolved in
//                       the last iteration run to the end, and so do Node's own callbacks (its
//                       timers, sockets, worker messages) that became due while select blocked.
//                       After an iteration that found work, up to 8 iterations, within 4 ms of
//                       Node's turn, await only the microtasks and nextTicks, and block at most
//                       for the rest of those 4 ms (../loop/inline-budget.ts);
//   2. poll             each part in turn settles what has arrived: socket readiness, then
//                       completions (the IOCP ring, only what is in it now), then object waits;
//                       the part the thread blocks in — select, or the port in port mode — waits
//                       first, in its turn. Its timeout is 0 when call-soon work or deferred
//                       tasks are queued or a part holds something undispatched, else the time to
//                       the next deadline, capped at `maxBlockMs` (and at THREAD_CHECK_MS while a
//                       part has threads). A wake drains the wakeup socket (or is a KEY_WAKE
//                       packet) and reads the channels;
//   2b. deferred        tasks whose operations completed without waiting, past their fair
//                       share of the last iteration, resume (lib/loop/fair-share.ts);
//   3. timers           every timer whose deadline has passed fires, in deadline order;
//   4. call-soon        callbacks queued with `callSoon` before this phase run, in order.
//
// Closing: the reactor's own timers, channels and queued work end first; a guest's helper thread
// stops; each part ends or cancels what it has pending (socket waits reject, overlapped I/O is
// cancelled) and the loop dispatches until the cancelled operations' packets are in; the parts'
// threads are joined (the IOCP worker, then the waiter threads); wakes are refused (the wakeup
// pair closed); then the backends' handles close, then the port.
//
// Fairness (../loop/fair-share.ts): an operation that completes at once (recv, send, a queued
// datagram, accept or message, an overlapped call on a skip-on-success handle) asks the FairShare
// whether its task may go on now or must wait for the next iteration, so no set of tasks keeps
// the loop from polling, firing timers and yielding to Node.
//
// That is host mode. In guest mode (`{ guest: true }`, lib/guest/guest-loop.ts) no `run` owns
// the thread: the same iteration runs with timeout 0 once per setImmediate while there is work,
// and when idle a helper thread makes step 2's blocking wait; Node's thread never blocks.
//
// The scheduler never blocks anywhere but in step 2, and never for longer than `maxBlockMs`.
// While select blocks, Node's loop does not run: a Node timer or socket callback waits for the
// next yield, at most `maxBlockMs` later (see docs/design.md for the trade-off). Work that must
// wake the loop at once comes through winmux itself: a socket it waits on, a reactor timer,
// or a wake from another thread.
//
// The loop is this file (over the house limit of ~400 lines: the loop's phases, close, stats and
// the loop's own services share its private state); the other entry points forward in one line
// each (reactor-api.ts) to the part that checks their arguments (`checkedCall`) and does the
// work: the parts (reactor-parts.ts), timers (reactor-timers.ts), options and stats
// (options.ts), guest mode (../guest/).
import { performance } from 'node:perf_hooks';
import { READABLE, type ReadinessBackend } from '../loop/readiness.ts';
import { ReactorTimers } from './reactor-timers.ts';
import { ReactorApi } from './reactor-api.ts';
export { kCompletionPort, kGuestLoop, kWaitPool, kWakeupEnd } from './reactor-api.ts';
import { closeUnusedParts, makeGuestWait, makeParts, type ReactorParts } from './reactor-parts.ts';
import { checkReactorOptions, type ReactorOptions, type ReactorStats } from './options.ts';
export type { ObjectWaitOptions, ReactorOptions, ReactorStats, WaitOptions } from './options.ts';
import { FairShare, type Pace } from '../loop/fair-share.ts';
import { ReactorChannel } from '../wakeup/channel.ts';
import { SLEEPING, type WakeTarget } from '../wakeup/protocol.ts';
import type { GuestWait } from '../loop/guest-wait.ts';
import type { HandedOver, LoopPart, PollingPart } from '../loop/loop-part.ts';
import type { ObjectWaitContext } from '../waits/wait-for-object.ts';
import { BusyResourceError, ClosedResourceError } from '../core/errors.ts';
import { GuestLoop } from '../guest/guest-loop.ts';
import { nativeCallCounts } from '../win32/ffi.ts';
import { InlineBudget } from '../loop/inline-budget.ts';

/**
 * Default cap on one blocking select: how late Node's own callbacks (timers, `net` sockets,
 * worker messages) may run while the reactor sleeps. 50 ms keeps them responsive at a cost of
 * at most 20 idle wake-ups a second.
 */
export const DEFAULT_MAX_BLOCK_MS = 50;

/**
 * How long `close()` waits for the packets (or events) of cancelled overlapped operations before
 * it gives up on them; their memory is then kept forever rather than freed under the kernel.
 */
const CLOSE_DRAIN_TIMEOUT_MS = 5000;

export class Reactor extends ReactorApi implements AsyncDisposable {
  readonly #backend: ReadinessBackend;
  readonly #clock: () => number;
  readonly #maxBlockMs: number;
  readonly #timers: ReactorTimers;
  readonly #channels = new Set<ReactorChannel<unknown>>();
  /** How other threads wake this reactor: a wakeup socket (waitIn 'select') or posts to the port ('port'). */
  readonly #wakeup: ReactorParts['wakeup'];
  /** The loop's parts, in the order it drives them and close() closes them (reactor-parts.ts says why). */
  readonly #parts: readonly LoopPart[];
  /** The part the thread blocks in: the sockets (select, WSAPoll) or, in port mode, the completion port. */
  readonly #poller: PollingPart;
  #soon: (() => void)[] = [];
  readonly #fair = new FairShare(() => performance.now());
  readonly #pace: Pace = (turn, waited) => {
    const next = this.#fair.pass(turn, waited);
    if (next !== undefined) this.#guest?.kick(); // the task resumes in the next iteration: there must be one
    return next;
  };
  #iterations = 0;
  #pollEndedAt: number | undefined;
  #longestIterationMs = 0;
  #wakeups = 0;
  readonly #inline: InlineBudget; // host mode: iterations `run` may make between Node's turns
  #running = false;
  #closed = false;
  #closing: Promise<void> | undefined;
  /** Guest mode: what drives the loop inside Node's (lib/guest/guest-loop.ts); undefined for `run`. */
  readonly #guest: GuestLoop | undefined;
  /** Why a guest loop failed, given as the cause of the ClosedResourceErrors that follow. */
  #failure: unknown;

  constructor(options: ReactorOptions = {}) {
    super();
    options = checkReactorOptions(options); // all of them, before anything is made
    this.#maxBlockMs = options.maxBlockMs ?? DEFAULT_MAX_BLOCK_MS;
    this.#clock = options.clock ?? (() => performance.now());
    this.#inline = new InlineBudget(this.#clock);
    this.#timers = new ReactorTimers(this.#clock, {
      closedError: () => (this.#closed ? this.#closedError() : undefined),
      timerSet: (ms) => this.#guest?.timerSet(ms),
    });
    const made = makeParts(options, {
      onWakeup: this.#onWakeup,
      closed: () => this.#closed,
      socketsChanged: () => this.#guest?.socketsChanged(),
      schedule: (ms, fire) => {
        // The pool's own timers (an object wait's timeoutMs) keep nothing alive. Retiring an idle
        // waiter thread is not one of them: that is a Node timer, unref'd (wait-pool.ts).
        const timer = this.#timers.add({ deadline: this.#clock() + Math.max(0, ms), fire, fail: () => {}, weak: true });
        return () => this.#timers.heap.remove(timer);
      },
    });
    this.#wakeup = made.wakeup;
    this.#backend = made.backend;
    this.#parts = made.parts;
    this.#poller = made.poller;
    try {
      this.#guest = options.guest === true ? this.#startGuest(options.ref ?? true, makeGuestWait(made)) : undefined;
    } catch (error) {
      closeUnusedParts(made); // the helper thread could not start; no other thread has yet
      throw error;
    }
    this.forwardTo = {
      sockets: made.sockets, iocp: made.iocp, waits: made.waits, row: made.row, wakeupEnd: made.wakeupEnd, guest: this.#guest,
      timers: this.#timers, objectWaits: this.#objectWaits, wakeState: made.wakeup.state,
      started: (operation) => this.#started(operation), pace: this.#pace, refresh: this.#refresh,
    };
  }

  #startGuest(ref: boolean, wait: GuestWait): GuestLoop {
    const loop = new GuestLoop({
      turn: (handedOver) => this.#iterate(0, handedOver),
      hasQueuedWork: () => this.#hasQueuedWork() || this.#timers.heap.nextDeadline() <= this.#clock(),
      hasWaiters: () => this.#hasWaiters(),
      // Not capped at THREAD_CHECK_MS as `run`'s wait is: an idle guest makes no turns at all; it
      // looks at its threads from a Node interval instead (checkThreads).
      msToNextTimer: () => this.#timers.heap.nextDeadline() - this.#clock(),
      wake: () => this.#wakeup.wake(),
      sleeping: (asleep) => Atomics.store(this.#wakeup.state, SLEEPING, asleep ? 1 : 0),
      idle: () => {
        this.#pollEndedAt = undefined; // a wait, not an iteration: longestIterationMs leaves it out
      },
      fail: (error) => {
        this.#failure = error;
        void this.close();
      },
      checkThreads: () => {
        for (const part of this.#parts) part.checkThreads();
      },
    }, wait);
    loop.setRef(ref);
    return loop;
  }

  /** Something waits on this reactor: a task's promise will settle only through its loop. */
  #hasWaiters(): boolean {
    if (this.#timers.heap.awaited > 0 || this.#soon.length > 0 || this.#fair.waiting > 0) return true;
    for (const channel of this.#channels) if (channel.receiving) return true;
    return this.#parts.some((part) => part.hasWaiters());
  }

  /** Work queued for the next iteration, which must therefore not block: call-soon, deferred tasks, what a part has but has not dispatched. */
  #hasQueuedWork(): boolean {
    return this.#soon.length > 0 || this.#fair.waiting > 0 || this.#parts.some((part) => part.hasPending());
  }

  /**
   * Runs `fn` as the main task and drives the loop until it settles; returns (or throws) what it
   * did. Waits made outside `run` are served by the next `run`. One `run` at a time.
   */
  async run<T>(fn: () => T | PromiseLike<T>): Promise<T> {
    if (typeof fn !== 'function') throw new TypeError(`Reactor.run: fn must be a function, got ${typeof fn}`);
    if (this.#closed) throw this.#closedError();
    // A guest's loop already turns inside Node's: `run` is only a way to start a task.
    if (this.#guest !== undefined) return fn();
    if (this.#running) throw new BusyResourceError('Reactor.run: this reactor is already running (one run at a time)');
    this.#running = true;
    let settled = false;
    const main = Promise.resolve().then(fn);
    const markSettled = (): void => {
      settled = true;
    };
    main.then(markSettled, markSettled);
    try {
      // ends: once the main task has settled or the reactor is closed (both looked at every iteration), or an iteration throws
      for (let inline = false; ; ) {
        inline = await this.#inline.next(inline);
        if (this.#closed) break;
        if (settled) {
          // Call-soon work queued before the main task ended (say, by a task that then threw)
          // still runs, once, before `run` returns: it was accepted, so it is never dropped.
          this.#runSoon();
          break;
        }
        // After one that found work, the next may come before Node's turn (../loop/inline-budget.ts).
        inline = this.#iterate(undefined, undefined, inline) > 0 && this.#inline.take();
      }
    } catch (error) {
      // The loop itself failed (not one socket): nothing it owns may be left waiting, and what
      // was waiting learns why (the cause of its ClosedResourceError).
      this.#failure ??= error;
      await this.close();
      throw error;
    } finally {
      this.#running = false;
      this.#pollEndedAt = undefined; // the time until the next run is not an iteration
    }
    return main;
  }

  /**
   * A schedule point: resolves in the next loop iteration, after its poll. For long computations
   * split into steps, so that they let the loop (and Node) run between them.
   */
  checkpoint(): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closedError());
    const next = this.#fair.defer();
    this.#guest?.kick();
    return next;
  }

  /**
   * Queues `callback` to run on the reactor thread in the next iteration; the next select does
   * not block. For callers on this thread (Node callbacks included); other threads use a channel.
   * A callback that throws is reported like a throwing Node callback (uncaughtException). Work
   * queued before `run`'s main task settles runs before `run` returns.
   */
  callSoon(callback: () => void): void {
    if (typeof callback !== 'function') throw new TypeError(`callSoon: callback must be a function, got ${typeof callback}`);
    if (this.#closed) throw this.#closedError();
    this.#soon.push(callback);
    this.#guest?.kick();
  }

  /**
   * Interrupts a blocking select. Thread-safe through `wakeTarget()` + `RemoteWaker`; on this
   * thread it is for code that runs outside the loop's yields.
   */
  wake(): void {
    if (!this.#closed) this.#wakeup.wake();
  }

  /** What another thread needs to wake this reactor (`new RemoteWaker(target).wake()`). */
  wakeTarget(): WakeTarget {
    return this.#wakeup.target();
  }

  /**
   * A channel for messages from other threads: transfer `channel.handle.port` with
   * `channel.handle`; there, `new RemoteWaker(handle).post(message)` wakes the loop and the
   * message comes out of `channel.receive()` on this thread.
   */
  openChannel<T = unknown>(): ReactorChannel<T> {
    if (this.#closed) throw this.#closedError();
    const channel = new ReactorChannel<T>(this.#wakeup, (c) => this.#channels.delete(c as ReactorChannel<unknown>), this.#pace, this.#refresh);
    this.#channels.add(channel as ReactorChannel<unknown>);
    return channel;
  }

  /** What waitForObject needs of this reactor. */
  readonly #objectWaits: ObjectWaitContext = {
    closedError: () => (this.#closed ? this.#closedError() : undefined),
    port: () => this.forwardTo.iocp.port,
    pace: (turn, waited) => this.#pace(turn, waited),
    started: (wait) => this.#started(wait),
  };

  /** A wait has started that only this loop can end: a guest reactor now keeps the process alive. */
  #started<T>(operation: Promise<T>): Promise<T> {
    this.#guest?.refresh();
    return operation;
  }

  readonly #refresh = (): void => this.#guest?.refresh();

  /** The error for what is asked of (or was pending on) a closed reactor; a guest loop's failure is its cause. */
  #closedError(): ClosedResourceError {
    const error = ClosedResourceError.reactor();
    if (this.#failure !== undefined) (error as { cause?: unknown }).cause = this.#failure;
    return error;
  }

  stats(): ReactorStats {
    const stats = {} as ReactorStats;
    for (const part of this.#parts) Object.assign(stats, part.stats());
    return Object.assign(stats, {
      timers: this.#timers.heap.size,
      sleeps: this.#timers.heap.awaited,
      callbacks: this.#soon.length,
      channels: this.#channels.size,
      channelReceivers: [...this.#channels].filter((channel) => channel.receiving).length,
      iterations: this.#iterations,
      wakeups: this.#wakeups,
      longestIterationMs: this.#longestIterationMs,
      deferredOperations: this.#fair.deferredTotal,
      nodeTurns: this.#guest !== undefined ? this.#guest.stats().guestTurns - this.#guest.inlineTurns : this.#inline.nodeTurns,
      nativeCalls: nativeCallCounts(),
      running: this.#guest !== undefined ? !this.#closed : this.#running,
      closed: this.#closed,
      guest: this.#guest !== undefined,
    }, this.#guest?.stats());
  }

  /**
   * Rejects every pending wait, sleep and channel receive with ClosedResourceError, cancels
   * overlapped operations and waits for their packets, joins the IOCP worker and the waiter
   * threads, and releases the wakeup pair, the backend and the port (in that order, `#close`).
   * Idempotent; a running `run` returns once its task settles.
   */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#closing = this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    const error = this.#closedError();
    for (const timer of this.#timers.heap.drain()) timer.fail(error);
    for (const channel of [...this.#channels]) channel.close(error);
    this.#soon = [];
    this.#fair.releaseAll();
    // A guest's helper thread stops first: it must not wait in select or the port (let alone
    // dequeue packets) while close dispatches here. What it had dequeued is dispatched now.
    const left = await this.#guest?.stop();
    if (left !== undefined) this.#poller.dispatchHandedOver(left);
    // Every part ends what it has pending, or cancels it: socket waits reject; overlapped
    // operations are cancelled, and end only when their packets come; object waits go on (the
    // port's emulated operations end through them) until the pool is joined below.
    for (const part of this.#parts) part.beginClose(error);
    const deadline = Date.now() + CLOSE_DRAIN_TIMEOUT_MS;
    while (this.#parts.some((part) => part.draining() > 0) && Date.now() < deadline) {
      let settled = 0;
      for (const part of this.#parts) settled += part.dispatch();
      if (settled === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    // Then, in this order: join every thread that may wake us or post to the port (the IOCP
    // worker, the waiter threads); refuse wakes (and, in select mode, close the wakeup pair); close
    // the AFD handles; close the port — no late wake or post can reach a reused handle value.
    try {
      for (const part of this.#parts) await part.finishClose();
    } finally {
      if (this.forwardTo.wakeupEnd !== undefined) this.#backend.disarm(this.forwardTo.wakeupEnd, READABLE);
      this.#wakeup.close();
      for (const part of this.#parts) part.closeHandles();
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * One iteration: poll (blocking as the loop allows — `run` — or, a guest, with `timeout` 0
   * after dispatching what its helper dequeued), dispatch, timers, call-soon. Returns the events
   * found (sockets, packets, wakes, object waits) and the tasks and callbacks resumed.
   */
  #iterate(guestTimeout?: number, handedOver?: HandedOver, inline = false): number {
    // SLEEPING is set before the last look at queued work, so a thread that publishes work (the
    // IOCP worker, a waiter thread) either sees it and wakes us, or published before that look
    // and we do not block (see wakeup/protocol.ts).
    if (this.#pollEndedAt !== undefined) {
      this.#longestIterationMs = Math.max(this.#longestIterationMs, performance.now() - this.#pollEndedAt);
    }
    const state = this.#wakeup.state;
    const blocking = guestTimeout === undefined;
    let timeout = guestTimeout ?? 0;
    if (blocking) {
      Atomics.store(state, SLEEPING, 1);
      if (!this.#hasQueuedWork()) {
        timeout = Math.min(Math.max(this.#timers.heap.nextDeadline() - this.#clock(), 0), this.#maxBlockMs);
        for (const part of this.#parts) timeout = Math.min(timeout, part.blockLimitMs());
        if (inline) timeout = Math.min(timeout, this.#inline.left());
      }
    }
    // The poll phase: each part in turn settles what has arrived. The poller's turn is its wait —
    // the one place the thread blocks: select, or the port — and what the wait returned.
    let found = 0;
    try {
      for (const part of this.#parts) found += part === this.#poller ? this.#poller.poll(timeout, handedOver) : part.dispatch();
    } finally {
      if (blocking) Atomics.store(state, SLEEPING, 0);
      this.#pollEndedAt = performance.now();
    }
    this.#iterations++;
    // Counted too: tasks resumed by the deferred queue, timers and call-soon work (a guest loop
    // hands its wait off at once only after an iteration that resumed nothing at all).
    found += this.#fair.waiting;
    this.#fair.nextIteration(this.#iterations, this.#pollEndedAt);
    found += this.#timers.fire();
    found += this.#runSoon();
    return found;
  }

  /** A wake (the wakeup socket readable, or a KEY_WAKE packet): drains it, then reads the channels. Once closed, only drains. */
  readonly #onWakeup = (): void => {
    this.#wakeup.drain();
    if (this.#closed) return;
    this.#wakeups++;
    for (const channel of this.#channels) channel.deliver();
  };

  /** Runs the call-soon work queued before this call; returns how many callbacks ran. */
  #runSoon(): number {
    const callbacks = this.#soon;
    if (callbacks.length === 0) return 0;
    this.#soon = [];
    for (const callback of callbacks) {
      try {
        callback();
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
    return callbacks.length;
  }
}
