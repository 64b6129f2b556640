// GuestLoop: drives a reactor as a guest of Node's event loop (`new Reactor({ guest: true })`),
// the design of Trio's guest mode (trio.lowlevel.start_guest_run): the host loop keeps the
// thread, and the guest's one blocking call runs on a helper thread.
//
// While the loop has work it turns on Node's thread, one non-blocking iteration per
// setImmediate (poll with timeout 0, dispatch, timers, call-soon — the same iteration `run`
// makes, so fairness and phase order are the same), and, when the tasks it resumed left work for
// the next iteration, a few more inline, from process.nextTick (`#inlineStep`, bounded). When an
// iteration finds nothing and nothing is queued, the blocking wait goes to the helper thread
// (helper-loop.ts), which makes the poller's own blocking call (the GuestWait, ../loop/guest-wait.ts):
// select over a copy of the interest sets (select mode; the wakeup socket is among them, so the
// IOCP worker, waiter threads and other threads wake it as they wake `run`'s select), or
// GetQueuedCompletionStatusEx on the port (port mode; the dequeued entries come back and are
// dispatched first). When it returns, its message wakes Node's loop and the next iteration runs
// here.
//
// While the helper waits, anything this thread does that its wait does not cover — arming or
// disarming a socket when it waits on a copy of the sets, a timer earlier than its timeout,
// call-soon work — wakes it first (once per wait: `#poked`), through the reactor's own wake. A
// busy loop never hands off, so it never pays a wake per operation.
//
// ref/unref as Node handles: the loop keeps the process alive only while something waits on the
// reactor (a socket wait, a sleep, an overlapped operation, an object wait, a receive) and the
// reactor is ref'd. An idle guest reactor, or an unref'd one, lets the process exit; the helper
// thread is then stopped by the exit hook every winmux thread has (lib/threads/worker-thread.ts).
//
// Threads killed behind Node's back (TerminateThread): `run` looks at its threads' OS handles from
// each iteration and so caps its wait at THREAD_CHECK_MS; an idle guest makes no iterations, so
// while the helper waits an unref'd Node interval looks instead — at the helper itself and at the
// reactor's other threads (`checkThreads`), without a turn of the loop. Before the helper is
// online the stand-in polls look at it (one killed while Node starts it never comes online), and
// `stop()` joins it with the one join that keeps looking (lib/threads/worker-thread.ts).
//
// Why this file is longer than the house limit of ~400 lines: it is one state machine — where the
// next iteration runs (a setImmediate, an inline step, the helper's answer), whether the helper is
// waiting and on what copy, and who may interrupt it — and each of its parts reads and changes
// that state; the helper's own loop, the shared-memory layout and the blocking calls live apart
// (helper-loop.ts, protocol.ts, the pollers' guest-wait.ts).
import type { Worker } from 'node:worker_threads';
import { THREAD_CHECK_MS, entryBeside, startWorkerThread, type StartedThread } from '../threads/worker-thread.ts';
import { CONTROL_BYTES, CONTROL_SLOTS, DEADLINE, REQUEST, RESULT, STOP, WAIT, epochNow, type GuestHelperData } from './protocol.ts';
import { InlineBudget } from '../loop/inline-budget.ts';
import type { GuestWait } from '../loop/guest-wait.ts';
import type { HandedOver } from '../loop/loop-part.ts';

/** What the guest loop needs from its reactor. */
export interface GuestHost {
  /**
   * One iteration that does not block: settle `handedOver` (what the helper's wait took: the
   * entries it dequeued from the port), poll with timeout 0, dispatch, fire timers, run call-soon.
   * Returns the events found.
   */
  turn(handedOver: HandedOver | undefined): number;
  /** Work that needs an iteration now: call-soon, deferred tasks, undispatched packets, a due timer. */
  hasQueuedWork(): boolean;
  /** Something waits on the reactor: the loop then keeps the process alive (when ref'd). */
  hasWaiters(): boolean;
  /** Milliseconds until the next timer (Infinity: none). */
  msToNextTimer(): number;
  /** Makes the helper's wait return (the reactor's wake: a wakeup-socket byte or a KEY_WAKE post). */
  wake(): void;
  /** Marks the reactor asleep (SLEEPING, wakeup/protocol.ts) while the helper waits. */
  sleeping(asleep: boolean): void;
  /** The loop is about to wait (the time until the next turn is not an iteration: stats). */
  idle(): void;
  /** The loop failed (not one socket): close the reactor with `error` as the cause. */
  fail(error: unknown): void;
  /** Looks at the reactor's own threads (IOCP worker, waiter threads): killed ones are reported. */
  checkThreads(): void;
}

/** Before the helper thread is online: how often the loop polls on a Node timer when idle. */
const STAND_IN_POLL_MS = 5;

export class GuestLoop {
  readonly #host: GuestHost;
  readonly #control = new Int32Array(new SharedArrayBuffer(CONTROL_BYTES), 0, CONTROL_SLOTS);
  readonly #deadline = new Float64Array(this.#control.buffer);
  /** The blocking call the helper makes: the poller's own (select's, or the port's). */
  readonly #wait: GuestWait;
  #worker: Worker | undefined;
  #thread: StartedThread | undefined;
  /** While the helper waits: the interval that looks for killed threads. */
  #watch: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  /** Inline iterations left since the current turn of Node's loop entered the loop (a step, the helper's message). */
  readonly #budget = new InlineBudget(() => performance.now());
  /** An inline iteration is queued (process.nextTick). */
  #inlineQueued = false;
  /** The helper thread has started (its first message came): until then idle waits are Node timers. */
  #helperOnline = false;
  /** Before the helper is online: the Node timer that stands in for its wait. */
  #standIn: NodeJS.Timeout | undefined;
  /** The helper is waiting for us; `#poked`: it has been woken once already. */
  #waiting = false;
  #poked = false;
  /** When the helper's wait ends by itself (epochNow() ms), to know if a new timer is earlier. */
  #waitEndsAt = 0;
  /** The last iteration found events: poll again (here, timeout 0) before handing off. */
  #pollAgain = true;
  #refEnabled = true;
  #refed = false;
  #stopped = false;
  #threadFailure: Error | undefined;
  /** Iterations made on Node's thread, and waits handed to the helper. */
  #turns = 0;
  #inlineTurns = 0;
  #handoffs = 0;

  constructor(host: GuestHost, wait: GuestWait) {
    this.#host = host;
    this.#wait = wait;
    // Started now, while nothing waits: a worker_thread takes a while to start (0.2–1.4 s
    // measured under Wine); until it is online idle waits are stand-ins (`#standInWait`).
    this.#ensureHelper();
    this.#schedule();
  }

  /** The helper's OS thread id (0 until it has started): for fault tests. */
  get helperThreadId(): number {
    return this.#thread?.threadId() ?? 0;
  }

  /** The helper thread as started (for fault tests that kill it while it starts). */
  get helper(): StartedThread | undefined {
    return this.#thread;
  }

  stats(): { guestTurns: number; guestHandoffs: number; guestHelper: string } {
    const helper = this.#threadFailure ? 'failed' : this.#worker === undefined ? 'not started' : this.#stopped ? 'stopped'
      : !this.#helperOnline ? 'starting' : this.#waiting ? 'waiting' : 'idle';
    return { guestTurns: this.#turns, guestHandoffs: this.#handoffs, guestHelper: helper };
  }

  /** Of `guestTurns`, the iterations made inline (`#inlineStep`): for tests and benchmarks. */
  get inlineTurns(): number {
    return this.#inlineTurns;
  }

  /** Whether the loop may keep the process alive (it does while something waits). */
  setRef(enabled: boolean): void {
    this.#refEnabled = enabled;
    this.#updateRef();
  }

  get refEnabled(): boolean {
    return this.#refEnabled;
  }

  /**
   * This thread changed what the loop waits for (a socket armed or disarmed, call-soon work, a
   * deferred task): a waiting helper is woken, once, so that the next wait covers it. While the
   * loop is busy (a step is due), work for the next iteration (a deferred task, call-soon work)
   * may get that iteration inline instead (`#inlineStep`).
   */
  kick(): void {
    if (this.#stopped) return;
    if (!this.#refed) this.#updateRef(); // (once ref'd, new waiters change nothing)
    this.#interrupt();
    if (this.#immediate !== undefined && !this.#inlineQueued) {
      this.#inlineQueued = true;
      process.nextTick(this.#inlineStep);
    }
  }

  /**
   * A socket was armed or disarmed: a helper waiting on a copy of the interest sets must wait
   * again (`kick`); one whose wait sees the change by itself (the port) is left alone.
   */
  socketsChanged(): void {
    if (this.#wait.armRedoesWait) this.kick();
    else this.refresh();
  }

  /** A timer was set for `ms` from now: wakes the helper only if its wait would end later. */
  timerSet(ms: number): void {
    if (this.#stopped) return;
    if (!this.#refed) this.#updateRef();
    if (this.#waitEndsAt > epochNow() + ms) this.#interrupt();
  }

  /** Something may now wait (or no longer wait) on the reactor: refs or unrefs the loop. */
  refresh(): void {
    if (!this.#stopped) this.#updateRef();
  }

  /**
   * Stops the loop and its helper thread. Resolves with the completion entries the helper had
   * dequeued and nobody dispatched (port mode), which the caller must still dispatch.
   */
  async stop(): Promise<HandedOver | undefined> {
    if (this.#stopped) return undefined;
    this.#stopped = true;
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    this.#immediate = undefined;
    clearTimeout(this.#standIn);
    this.#standIn = undefined;
    if (this.#worker === undefined) return undefined;
    this.#unwatch();
    const wasWaiting = this.#waiting;
    Atomics.store(this.#control, REQUEST, STOP);
    Atomics.notify(this.#control, REQUEST);
    if (wasWaiting) this.#host.wake();
    // Held (ref'd) until joined, and looked at meanwhile: a helper killed natively never exits
    // through Node, and close() must not wait for it forever.
    await this.#thread!.join();
    this.#wait.close();
    this.#waiting = false;
    this.#host.sleeping(false);
    // The helper recorded what its last wait dequeued even when it was asked to stop meanwhile.
    return wasWaiting ? this.#wait.handedOver(Atomics.load(this.#control, RESULT)) : undefined;
  }

  #schedule(): void {
    if (this.#stopped || this.#immediate !== undefined) return;
    this.#immediate = setImmediate(this.#step);
    if (!this.#refed) this.#immediate.unref();
  }

  readonly #step = (): void => {
    this.#immediate = undefined;
    this.#standIn = undefined;
    if (this.#stopped) return;
    this.#budget.nodeTurn();
    if (!this.#pollAgain && !this.#host.hasQueuedWork()) {
      this.#handOff();
      return;
    }
    this.#iterate(undefined);
  };

  /**
   * An iteration without a turn of Node's loop before it: run from process.nextTick once the tasks
   * the last iteration resumed have run on to their next wait (the ticks and microtasks queued
   * before this one have run), when they left work for the next iteration — a task deferred for
   * its fair share, or one that must let a turn of the loop pass (TcpStream.read after a short
   * read), or call-soon work. Under Wine a turn of Node's loop with an immediate pending is a
   * zero-timeout `GetQueuedCompletionStatusEx`, which Wine follows with a `sched_yield` when it
   * finds nothing: on a busy machine that hands the core away for longer than a one-connection
   * request takes (docs/benchmarks.md, `http`). libuv does the same for its own sockets: up to 8
   * rounds of completed requests per turn. The iteration polls with timeout 0, dispatches, fires
   * timers and runs call-soon work as any other; it never hands off to the helper (the step a
   * setImmediate away still decides that). Bounded by the InlineBudget, as host mode is:
   * MAX_INLINE_ITERATIONS per turn of Node's loop, and none once SLICE_MS have passed since that
   * turn began, so Node's own callbacks wait no longer than the fairness slice (and one iteration)
   * for their turn.
   */
  readonly #inlineStep = (): void => {
    this.#inlineQueued = false;
    if (this.#stopped || this.#immediate === undefined || !this.#host.hasQueuedWork() || !this.#budget.take()) return;
    const found = this.#turn(undefined);
    if (found === undefined) return;
    this.#inlineTurns++;
    // The step already scheduled runs next: it polls again if this found events, else hands off.
    this.#pollAgain = found > 0;
  };

  /** One iteration on this thread: the events it found, or undefined when it failed (the reactor then fails). */
  #turn(handedOver: HandedOver | undefined): number | undefined {
    try {
      const found = this.#host.turn(handedOver);
      this.#turns++;
      return found;
    } catch (error) {
      this.#host.fail(error);
      return undefined;
    }
  }

  #iterate(handedOver: HandedOver | undefined): void {
    const found = this.#turn(handedOver);
    if (found === undefined) return;
    if (found === 0 && !this.#host.hasQueuedWork()) {
      // Nothing was ready, no timer fired, no callback ran: no task was resumed, so no promise
      // continuation can still arm a wait — hand off now rather than a turn of Node's loop later.
      this.#pollAgain = false;
      this.#handOff();
      return;
    }
    // The tasks this iteration resumed run in the microtasks after this callback; the next step
    // (a setImmediate away, like `run`'s yield to Node) sees what they queued.
    this.#pollAgain = found > 0;
    this.#schedule();
  }

  /** Nothing queued and the last poll found nothing: the helper blocks until something is ready. */
  #handOff(): void {
    // SLEEPING before the last look at queued work, as `run` does before select: a producer
    // either sees it and wakes the helper, or published before the look (wakeup/protocol.ts).
    this.#host.sleeping(true);
    if (this.#host.hasQueuedWork()) {
      this.#host.sleeping(false);
      this.#pollAgain = true;
      this.#schedule();
      return;
    }
    this.#host.idle();
    if (!this.#helperOnline) {
      this.#standInWait();
      return;
    }
    try {
      this.#ensureHelper();
      this.#wait.prepare();
      this.#waitEndsAt = epochNow() + this.#host.msToNextTimer();
      this.#deadline[DEADLINE] = this.#waitEndsAt; // published by the Atomics.store of REQUEST below
    } catch (error) {
      this.#host.sleeping(false);
      this.#host.fail(error);
      return;
    }
    this.#waiting = true;
    this.#poked = false;
    this.#handoffs++;
    this.#updateRef();
    Atomics.store(this.#control, REQUEST, WAIT);
    Atomics.notify(this.#control, REQUEST);
    this.#watchThreads();
  }

  #watchThreads(): void {
    if (this.#watch !== undefined) return;
    this.#watch = setInterval(() => {
      if (!this.#waiting) {
        this.#unwatch();
        return;
      }
      this.#thread?.checkAlive(); // a killed helper: its onUnexpectedExit fails the reactor
      if (this.#waiting) this.#host.checkThreads();
    }, THREAD_CHECK_MS);
    this.#watch.unref(); // looking never keeps the process alive; a ref'd wait does
  }

  #unwatch(): void {
    clearInterval(this.#watch);
    this.#watch = undefined;
  }

  readonly #helperDone = (message: unknown): void => {
    if (message === 'online') {
      this.#helperOnline = true;
      // A stand-in wait in progress gives way to the helper's at once.
      if (this.#standIn !== undefined) this.#interrupt();
      return;
    }
    if (!this.#waiting || this.#stopped) return;
    this.#budget.nodeTurn();
    this.#unwatch();
    this.#waiting = false;
    this.#waitEndsAt = 0;
    this.#host.sleeping(false);
    // A failed helper select needs no handling here: the iteration's own select (same sets)
    // reports the bad socket to its waiters, or fails the loop.
    const handedOver = this.#wait.handedOver(Atomics.load(this.#control, RESULT));
    this.#updateRef();
    this.#iterate(handedOver);
  };

  #interrupt(): void {
    if (this.#standIn !== undefined) {
      clearTimeout(this.#standIn);
      this.#standIn = undefined;
      this.#pollAgain = true;
      this.#schedule();
      return;
    }
    if (this.#waiting && !this.#poked) {
      this.#poked = true;
      this.#host.wake();
    }
  }

  /**
   * The helper thread is still starting (0.2–1.4 s measured under Wine): rather
   * than leave the first waits behind its start, poll here every few ms on a Node timer until it
   * is online. Whatever would wake the helper (a kick, an earlier timer) ends this wait instead.
   */
  #standInWait(): void {
    // A helper killed while it starts never comes online: look at it here, as the watch does once
    // it waits (found gone, its onUnexpectedExit fails the reactor).
    if (this.#thread !== undefined && !this.#thread.checkAlive()) return;
    // Not asleep: nobody wakes a Node timer, and packets that reach the ring meanwhile wait for
    // the next poll, at most STAND_IN_POLL_MS away.
    this.#host.sleeping(false);
    const ms = Math.min(Math.max(this.#host.msToNextTimer(), 0), STAND_IN_POLL_MS);
    this.#waitEndsAt = epochNow() + ms;
    this.#standIn = setTimeout(() => {
      this.#standIn = undefined;
      this.#waitEndsAt = 0;
      this.#pollAgain = true;
      this.#step();
    }, ms);
    if (!this.#refed) this.#standIn.unref();
  }

  #updateRef(): void {
    const want = this.#refEnabled && !this.#stopped && this.#host.hasWaiters();
    if (want === this.#refed) return;
    this.#refed = want;
    if (want) {
      this.#thread?.hold();
      this.#immediate?.ref();
      this.#standIn?.ref();
    } else {
      this.#worker?.unref();
      this.#immediate?.unref();
      this.#standIn?.unref();
    }
  }

  #ensureHelper(): void {
    if (this.#threadFailure !== undefined) throw this.#threadFailure;
    if (this.#worker !== undefined) return;
    const wait = this.#wait.forHelper();
    const data: GuestHelperData = { control: this.#control.buffer as SharedArrayBuffer, waitModule: wait.module, waitData: wait.data };
    const control = this.#control;
    const started = startWorkerThread(
      entryBeside(import.meta.url),
      data,
      "a guest reactor's helper thread",
      () => this.#stopped,
      (error) => {
        this.#threadFailure = error;
        this.#unwatch();
        if (this.#waiting) {
          this.#waiting = false;
          this.#host.sleeping(false);
        }
        this.#host.fail(error);
      },
      () => {
        // At exit: leave the wait at once (the request word first, then the wake that ends a
        // select or port wait in progress).
        Atomics.store(control, REQUEST, STOP);
        Atomics.notify(control, REQUEST);
        this.#host.wake();
      },
      // The listener comes with the start, before the Worker is unref'd (lib/threads/worker-thread.ts).
      { transferList: wait.transfer, onMessage: this.#helperDone },
    );
    this.#worker = started.worker;
    this.#thread = started;
    if (this.#refed) started.hold();
  }
}
