// The operations in flight, what each holds in the reactor, and the hang rule.
//
// An operation may wait as long as nothing could end it (a read on a silent stream). Once
// something should end it — its signal aborted, its resource closed, the data or the signal it
// waits for is there — it is *due*, and from then on it must settle within HANG_ITERATIONS loop
// iterations AND HANG_MS of wall time (both: iterations alone would fail a slow machine whose
// threads are starved, time alone a loop that spins without polling). Conditions that are not one
// operation's (a queue with waiters and undelivered items) are watched the same way.
import type { Reactor } from '../../lib/index.ts';

export const HANG_ITERATIONS = 300;
export const HANG_MS = 15_000;

/** What an operation in flight may hold in the reactor: the ceilings of the step checks. */
export interface Holds {
  /** A socket wait (readable or writable). */
  socket?: boolean;
  /** An overlapped operation (and, for a handle in emulated mode, an object wait on its event). */
  overlapped?: boolean;
  /** An object wait. */
  object?: boolean;
  /** A reactor timer. */
  timer?: boolean;
}

interface Since {
  iteration: number;
  time: number;
  why: string;
}

export class PendingOp {
  readonly id: number;
  readonly what: string;
  readonly holds: Holds;
  /** The step that started it. */
  readonly step: number;
  settled = false;
  due: Since | undefined;
  /** Resolves once the operation has settled and its outcome was judged. */
  readonly done: Promise<void>;
  /** @internal */
  finish!: () => void;
  readonly #pending: Pending;

  constructor(pending: Pending, id: number, what: string, holds: Holds, step: number) {
    this.#pending = pending;
    this.done = new Promise((resolve) => {
      this.finish = resolve;
    });
    this.id = id;
    this.what = what;
    this.holds = holds;
    this.step = step;
  }

  /** Something should end this operation now (the first reason is kept). */
  markDue(why: string): void {
    if (this.settled || this.due !== undefined) return;
    this.due = this.#pending.since(why);
  }
}

export class Pending {
  readonly #reactor: Reactor;
  readonly #ops = new Set<PendingOp>();
  readonly #conditions = new Map<string, Since>();
  #nextId = 0;

  constructor(reactor: Reactor) {
    this.#reactor = reactor;
  }

  since(why: string): Since {
    return { iteration: this.#reactor.stats().iterations, time: performance.now(), why };
  }

  add(what: string, holds: Holds, step: number): PendingOp {
    const op = new PendingOp(this, this.#nextId++, what, holds, step);
    this.#ops.add(op);
    return op;
  }

  /** The operation has settled (call before judging it: the judge may start others). */
  settle(op: PendingOp): void {
    op.settled = true;
    this.#ops.delete(op);
  }

  get size(): number {
    return this.#ops.size;
  }

  /** In-flight operations holding `what`. */
  count(what: keyof Holds): number {
    let n = 0;
    for (const op of this.#ops) if (op.holds[what]) n++;
    return n;
  }

  all(): PendingOp[] {
    return [...this.#ops];
  }

  markAllDue(why: string): void {
    for (const op of this.#ops) op.markDue(why);
  }

  /**
   * A condition that must not last (`holds` true): its first true reading starts the clock, a
   * false one stops it. Returns the hang description once it has lasted past the bound.
   */
  watch(name: string, holds: boolean, describe: () => string): string | undefined {
    if (!holds) {
      this.#conditions.delete(name);
      return undefined;
    }
    let since = this.#conditions.get(name);
    if (since === undefined) {
      since = this.since(name);
      this.#conditions.set(name, since);
    }
    return this.#overdue(since) ? `${describe()} (for ${this.#age(since)})` : undefined;
  }

  /** Due operations past the hang bound. */
  overdue(): string[] {
    const found: string[] = [];
    for (const op of this.#ops) {
      if (op.due !== undefined && this.#overdue(op.due)) found.push(`${op.what} (started at step ${op.step}) did not settle, due since ${op.due.why}, ${this.#age(op.due)} ago`);
    }
    return found;
  }

  #overdue(since: Since): boolean {
    return this.#reactor.stats().iterations - since.iteration > HANG_ITERATIONS && performance.now() - since.time > HANG_MS;
  }

  #age(since: Since): string {
    return `${this.#reactor.stats().iterations - since.iteration} iterations and ${Math.round(performance.now() - since.time)} ms`;
  }
}
