// FairShare: how an operation that completes without waiting still lets the loop turn.
//
// The problem. A promise resolved at once continues its task in a microtask; the loop's yield to
// Node (setImmediate) runs only once the microtask queue is empty. When every `read` finds data,
// every `send` fits, every datagram is already there, the tasks resume one another forever:
// no poll, no reactor timer, no Node callback, and a socket that did have to wait is never served
// (measured: 64 echo connections froze a 100 ms heartbeat for up to 5 s).
//
// The rule (Trio's: every I/O call is a schedule point; libuv's: bounded reads per handle per
// iteration), at a price the fast path can afford. An operation that has completed asks
// `pass(turn, waited)` whether its task may go on now:
//   - an operation that waited (for readiness, a packet, an object) always may: it already
//     gave the loop its turn;
//   - each resource (a stream's read side, its write side, a listener, a channel, …) may
//     complete COMPLETIONS_PER_RESOURCE operations per loop iteration at once, so one busy
//     stream reads ~16 times per poll rather than once, and a listener accepts a queue of
//     connections 16 at a time, while a ping-pong connection never pays for fairness at all;
//   - operations that belong to no resource (an already-signalled object wait) share
//     SHARED_COMPLETIONS per iteration;
//   - past that, the operation is deferred: its task resumes in the next iteration, after that
//     iteration's poll, in the order the deferrals were made.
// An iteration's work is therefore bounded by 16 × (resources with work) + 64 + the tasks the
// poll woke, and between two iterations the loop polls, fires due timers and yields to Node.
// The operation itself has already happened when its task is deferred (the bytes are read, the
// send is done): deferral delays the task, never the data, and never loses it on abort or close.

/**
 * Operations one resource may complete at once in one iteration. At ~100 µs per Winsock call
 * under Wine that is ~2 ms of one resource's work between polls, and a lone busy stream pays
 * one poll per 16 operations.
 */
export const COMPLETIONS_PER_RESOURCE = 16;

/** Operations that belong to no resource (an object wait already signalled) completing at once, per iteration. */
export const SHARED_COMPLETIONS = 64;

/** One resource's record: the iteration it last completed an operation in, and how many then. */
export class Turn {
  iteration = -1;
  used = 0;
}

export class FairShare {
  #iteration = 0;
  #shared = SHARED_COMPLETIONS;
  #deferred: (() => void)[] = [];
  #deferredTotal = 0;

  /** Operations deferred for fairness since creation (explicit checkpoints not counted). */
  get deferredTotal(): number {
    return this.#deferredTotal;
  }

  /** Tasks waiting for the next iteration: the next poll must not block. */
  get waiting(): number {
    return this.#deferred.length;
  }

  /**
   * An operation on `turn`'s resource (undefined: no resource) has completed; `waited`: it
   * waited for readiness, a packet or an object first. Returns undefined when its task may go on
   * now, else a promise to await first, resolved in the next iteration.
   */
  pass(turn: Turn | undefined, waited: boolean): Promise<void> | undefined {
    let allowed: boolean;
    if (turn !== undefined) {
      if (turn.iteration !== this.#iteration) {
        turn.iteration = this.#iteration;
        turn.used = 0;
      }
      allowed = ++turn.used <= COMPLETIONS_PER_RESOURCE;
    } else {
      allowed = this.#shared > 0;
      if (allowed) this.#shared--;
    }
    if (allowed || waited) return undefined;
    this.#deferredTotal++;
    return this.defer();
  }

  /** A promise resolved in the next iteration, unconditionally (`reactor.checkpoint()`). */
  defer(): Promise<void> {
    return new Promise<void>((resolve) => this.#deferred.push(resolve));
  }

  /**
   * A new iteration has polled: the budget is renewed and the tasks deferred before now resume
   * (those they defer in turn wait for the iteration after).
   */
  nextIteration(iteration: number): void {
    this.#iteration = iteration;
    this.#shared = SHARED_COMPLETIONS;
    const deferred = this.#deferred;
    if (deferred.length === 0) return;
    this.#deferred = [];
    for (const resolve of deferred) resolve();
  }

  /** The reactor is closing: nothing may stay deferred (the operations did complete). */
  releaseAll(): void {
    const deferred = this.#deferred;
    this.#deferred = [];
    for (const resolve of deferred) resolve();
  }
}

/** How a resource asks the reactor for its turn (`Reactor.yieldIfDue`, bound). */
export type Pace = (turn: Turn | undefined, waited: boolean) => Promise<void> | undefined;

/** `value`, once `turn` (from `pass`/`yieldIfDue`) has come: for operations that return a promise. */
export function whenTurn<T>(turn: Promise<void> | undefined, value: T): Promise<T> {
  return turn === undefined ? Promise.resolve(value) : turn.then(() => value);
}
