// ReactorTimers: the reactor's own time — sleeps, deadline signals and the heap that orders them
// (timer-heap.ts) — on the reactor's clock, so they fire on time while the thread blocks in the
// poll (Node's timers wait for the next yield). The loop asks it for the next deadline and fires
// what is due in its timers phase; close fails what is pending.
import { checkDeadline, checkDuration, timeoutError } from '../core/durations.ts';
import { checkSignal, onAbort } from '../core/abort.ts';
import { checkOptions, checkedCall } from '../core/arguments.ts';
import { ClosedResourceError } from '../core/errors.ts';
import { TimerHeap, type Timer } from './timer-heap.ts';
import type { WaitOptions } from './options.ts';

/**
 * A deadline signal's controller, alive exactly as long as its signal (a WeakMap entry lives while
 * its key does): the timer reaches the controller through the signal, which it holds weakly.
 */
const signalControllers = new WeakMap<AbortSignal, AbortController>();
/** Takes a collected deadline signal's timer out of its reactor's heap. */
const signalTimers = new FinalizationRegistry<{ timers: TimerHeap; timer: Timer }>(({ timers, timer }) => {
  timers.remove(timer);
});

/** What the timers need of their reactor. */
export interface TimerHooks {
  /** The error for a closed reactor, or undefined while it is open. */
  closedError(): ClosedResourceError | undefined;
  /** A timer was set `ms` from now (a guest loop's helper is woken if it would sleep past it). */
  timerSet(ms: number): void;
}

export class ReactorTimers {
  readonly heap = new TimerHeap();
  readonly #clock: () => number;
  readonly #hooks: TimerHooks;

  constructor(clock: () => number, hooks: TimerHooks) {
    this.#clock = clock;
    this.#hooks = hooks;
  }

  /** The reactor's clock, in ms. */
  now(): number {
    return this.#clock();
  }

  /** Inserts a timer; returns its entry (for `heap.remove`). */
  add(timer: Timer): Timer {
    const entry = this.heap.insert(timer);
    this.#hooks.timerSet(timer.deadline - this.#clock());
    return entry;
  }

  /** Resolves after `ms` milliseconds of the reactor's clock. */
  sleep(ms: number, options?: WaitOptions): Promise<void> {
    return checkedCall(() => checkDuration(ms, 'sleep: ms'), (duration) => this.sleepUntil(this.#clock() + duration, options));
  }

  /** Resolves once the reactor's clock reaches `deadline`. */
  sleepUntil(deadline: number, options: WaitOptions = {}): Promise<void> {
    return checkedCall(() => {
      checkDeadline(deadline, 'sleepUntil: deadline');
      return checkSignal(checkOptions(options, 'sleep: options').signal, 'sleep: signal');
    }, (signal) => {
      const closed = this.#hooks.closedError();
      if (closed !== undefined) return Promise.reject(closed);
      if (signal?.aborted) return Promise.reject(signal.reason);
      return new Promise<void>((resolve, reject) => {
        const timer = this.add({
          deadline,
          fire: () => {
            stopListening();
            resolve();
          },
          fail: (error) => {
            stopListening();
            reject(error);
          },
        });
        const stopListening = onAbort(signal, () => {
          this.heap.remove(timer);
          reject(signal!.reason);
        });
      });
    });
  }

  /** An AbortSignal that aborts with a TimeoutError `ms` from now, on the reactor's clock. */
  timeoutSignal(ms: number): AbortSignal {
    return this.deadlineSignal(this.#clock() + checkDuration(ms, 'timeoutSignal: ms'));
  }

  /** An AbortSignal that aborts with a TimeoutError when the reactor's clock reaches `deadline`. */
  deadlineSignal(deadline: number): AbortSignal {
    checkDeadline(deadline, 'deadlineSignal: deadline');
    const controller = new AbortController();
    const signal = controller.signal;
    if (this.#hooks.closedError() !== undefined) {
      controller.abort(ClosedResourceError.reactor());
      return signal;
    }
    // Weak in two ways, as Node's AbortSignal.timeout is. The timer does not keep a guest
    // reactor's process alive. And it holds the signal only weakly: once the operation that
    // listened to it has finished and nobody else holds it, the signal is collected and its timer
    // leaves the heap (a loop that makes a timeoutSignal per operation would otherwise keep
    // thousands of timers until their deadlines, and wake for each).
    const weakSignal = new WeakRef(signal);
    signalControllers.set(signal, controller);
    const timer = this.add({
      deadline,
      fire: () => {
        const alive = weakSignal.deref();
        if (alive === undefined) return;
        signalTimers.unregister(alive);
        signalControllers.get(alive)?.abort(timeoutError());
      },
      fail: () => {},
      weak: true,
    });
    signalTimers.register(signal, { timers: this.heap, timer }, signal);
    return signal;
  }

  /** The timers phase: fires every timer whose deadline has passed, in deadline order; returns how many. */
  fire(): number {
    const now = this.#clock();
    let fired = 0;
    for (let timer: Timer | undefined; (timer = this.heap.popExpired(now)) !== undefined; fired++) timer.fire();
    return fired;
  }
}
