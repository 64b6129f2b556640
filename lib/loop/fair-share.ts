// FairShare: how an operation that completes without waiting still lets the loop turn.
//
// The problem. A promise resolved at once continues its task in a microtask; the loop's yield to
// Node (setImmediate) runs only once the microtask queue is empty. When every `read` finds data,
// every `send` fits, every datagram is already there, the tasks resume one another forever:
// no poll, no reactor timer, no Node callback, and a socket that did have to wait is never served
// (measured: 64 echo connections froze a 100 ms heartbeat for up to 5 s).
//
// The rule (Trio's: every I/O call is a schedule point; libuv's: bounded work per handle per
// iteration), at a price the fast path can afford. An operation that has completed asks
// `pass(turn, waited)` whether its task may go on now:
//   - an operation that waited (for readiness, a packet, an object) always may: it already
//     gave the loop its turn;
//   - each resource (a stream's read side, its write side, a UDP socket, a channel, …) may
//     complete its allowance at once per iteration — one operation, or ACCEPTS_PER_ITERATION for
//     a listener (accepting creates the work; one accept per iteration while every accepted
//     connection adds work to each iteration would make a queue of N connections take O(N²)) —
//     so every resource progresses every iteration and a ping-pong connection never pays;
//   - beyond its allowance, an operation may go on while the iteration's shared slice lasts:
//     SLICE_MS of wall time since the poll ended. A lone busy stream thus reads for 4 ms per
//     poll, not once per poll;
//   - otherwise its task is deferred: it resumes in the next iteration, after that iteration's
//     poll, in the order the deferrals were made.
// An iteration's work is therefore bounded by the resources' allowances, the slice, and the
// tasks the poll woke — not by how much work keeps arriving — and between two iterations the
// loop polls, fires due timers and yields to Node (or first makes up to MAX_INLINE_ITERATIONS
// inline, within SLICE_MS of Node's last turn: inline-budget.ts).
// (A count-only budget was tried first: 16 per resource let 32 busy echo connections run 300 ms
// between polls.)
// The operation itself has already happened when its task is deferred (the bytes are read, the
// send is done): deferral delays the task, never the data, and never loses it on abort or close.

/**
 * A listener's allowance: connections accepted per iteration before the slice applies. At 16, 512
 * connections made at once waited 3.1–3.9 s for the last one's first echo under Wine (`npm run
 * bench -- echo`: 32 iterations, each serving every connection already accepted, ~100 ms), where
 * the C select server, which accepts until WSAEWOULDBLOCK, took 0.2 s; at 64, 0.8–1.2 s, with the
 * servers' heartbeats no later (170 ms). All 512 at once: 0.2–0.4 s, but one iteration of
 * accepts then held the heartbeat up to 360 ms.
 */
export const ACCEPTS_PER_ITERATION = 64;

/**
 * Wall time per iteration, from the end of the poll, during which operations beyond their
 * resource's allowance may still complete at once. Long enough that a lone bulk stream pays a
 * poll (~0.1–0.2 ms under Wine) per ~4 ms of reads; short enough not to be felt by timers.
 */
export const SLICE_MS = 4;

/** One resource's record: its allowance, the iteration it last completed an operation in, and how many then. */
export class Turn {
  readonly allowance: number;
  iteration = -1;
  used = 0;

  constructor(allowance = 1) {
    this.allowance = allowance;
  }
}

export class FairShare {
  readonly #clock: () => number;
  #iteration = 0;
  /** When the current iteration's poll ended (the reactor's wall-clock reading). */
  #sliceStart: number;
  #deferred: (() => void)[] = [];
  #deferredTotal = 0;

  constructor(clock: () => number) {
    this.#clock = clock;
    this.#sliceStart = clock();
  }

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
    if (turn !== undefined) {
      if (turn.iteration !== this.#iteration) {
        turn.iteration = this.#iteration;
        turn.used = 0;
      }
      if (++turn.used <= turn.allowance) return undefined;
    }
    if (waited || this.#clock() - this.#sliceStart < SLICE_MS) return undefined;
    this.#deferredTotal++;
    return this.defer();
  }

  /** A promise resolved in the next iteration, unconditionally (`reactor.checkpoint()`). */
  defer(): Promise<void> {
    return new Promise<void>((resolve) => this.#deferred.push(resolve));
  }

  /**
   * A new iteration has polled (its poll ended at `pollEndedAt`, on the same clock): the slice
   * starts again and the tasks deferred before now resume (those they defer in turn wait for the
   * iteration after).
   */
  nextIteration(iteration: number, pollEndedAt: number): void {
    this.#iteration = iteration;
    this.#sliceStart = pollEndedAt;
    this.releaseAll();
  }

  /** Resumes every deferred task; also when the reactor closes (the operations did complete). */
  releaseAll(): void {
    const deferred = this.#deferred;
    if (deferred.length === 0) return;
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
