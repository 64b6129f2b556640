// InlineBudget: how many loop iterations may run between two turns of Node's loop.
//
// A turn of Node's loop (setImmediate) is not free: libuv polls its own completion port with
// timeout 0 before it runs the immediate, and under Wine that zero-timeout
// GetQueuedCompletionStatusEx is two wineserver requests followed by a sched_yield when it finds
// nothing (docs/wine.md): ~100–200 µs, a third of a one-connection round trip. So an iteration
// that found work may be followed by another without a turn of Node's loop in between — after
// only the microtasks and process.nextTick callbacks the tasks it resumed queued (`afterTicks`) —
// as libuv itself handles up to 8 rounds of completed requests per turn. Bounded both ways, so
// Node's own callbacks (its timers, `net` sockets, worker messages) wait no longer than about a
// slice for their turn: at most a number of inline iterations per turn, and none once the slice
// has passed since the turn began. Host mode (`run`) and guest mode (GuestLoop) share the rule:
// host-mode inline iterations may block, but only for what is left of the slice.
//
// The slice follows what a turn costs (host mode measures its turns, `next`): SLICE_MS and
// MAX_INLINE_ITERATIONS while a turn costs at most 1/TURN_COST_SHARE of that (on Windows a
// zero-timeout dequeue is a few µs: always), longer in proportion when turns cost more, up to
// MAX_INLINE_SLICE_MS. Under Wine a turn costs ~100–200 µs, so the slice grows to 10–16 ms and a
// one-connection echo pays ~0.045 turns per round trip instead of ~0.115 (docs/benchmarks.md,
// `round-trip`). A rule that only Wine's costs trigger: it is detected from the turns, not from
// the version, and Node's callbacks then wait up to MAX_INLINE_SLICE_MS (plus one iteration) while
// the reactor stays busy.
import { SLICE_MS } from './fair-share.ts';

/**
 * Inline iterations per turn of Node's loop, at most, while turns are cheap: libuv's own bound on
 * the rounds of completed requests it processes per turn. They also stop SLICE_MS after the turn
 * began. Both grow in proportion when turns are costly (see the top), up to
 * MAX_INLINE_ITERATIONS_CAP and MAX_INLINE_SLICE_MS.
 */
export const MAX_INLINE_ITERATIONS = 8;

/** The longest slice between two turns of Node's loop, however much a turn costs. */
export const MAX_INLINE_SLICE_MS = 16;

/** Inline iterations per turn when the slice is MAX_INLINE_SLICE_MS: the same rate as MAX_INLINE_ITERATIONS per SLICE_MS. */
export const MAX_INLINE_ITERATIONS_CAP = (MAX_INLINE_ITERATIONS * MAX_INLINE_SLICE_MS) / SLICE_MS;

/** A turn of Node's loop may cost at most 1/TURN_COST_SHARE of the slice before it. */
const TURN_COST_SHARE = 100;

/**
 * Turns remembered: what a turn costs is the cheapest of the last TURN_SAMPLES (a turn in which
 * Node ran callbacks of its own costs that much more; the cheapest is the turn itself).
 */
const TURN_SAMPLES = 16;

/**
 * process.nextTick generations an inline iteration waits out first. The tasks an iteration resumed
 * run in microtasks; what they hand to Node's streams often goes on in a nextTick (http's response
 * is uncorked in one) and its write in the next: the iteration must come after both, or its poll
 * (which may block for what is left of the slice) would wait for a reply to bytes not yet sent.
 */
const TICK_GENERATIONS = 2;

const nextTick = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));

/** Resolves once the microtasks and TICK_GENERATIONS of process.nextTick callbacks queued meanwhile have run. */
export async function afterTicks(): Promise<void> {
  for (let i = 0; i < TICK_GENERATIONS; i++) await nextTick();
}

/**
 * One turn of Node's event loop: every microtask queued meanwhile runs first (a macrotask comes
 * only after the microtask queue is empty), then Node's timers, I/O callbacks and worker messages.
 */
export const yieldToNode = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class InlineBudget {
  readonly #clock: () => number;
  #turnAt = 0;
  /** When the iteration before this moment began (`next` returned): an iteration and its tasks' work since then is one step. */
  #stepAt = 0;
  #used = 0;
  #sliceMs = SLICE_MS;
  #maxIterations = MAX_INLINE_ITERATIONS;
  /** The last TURN_SAMPLES turn costs (ms), a ring; #samples counts every one ever recorded. */
  readonly #costs = new Float64Array(TURN_SAMPLES);
  #samples = 0;
  /** When the turn being waited for was asked for (after the microtasks before it), or -1. */
  #askedAt = -1;
  /** Host mode: turns of Node's loop `next` waited for (stats().nodeTurns). */
  nodeTurns = 0;

  constructor(clock: () => number) {
    this.#clock = clock;
  }

  /**
   * Host mode (`run`): waits for the next iteration's moment — after the ticks only when the
   * iteration before it took an inline slot (`take`), else a turn of Node's loop, which makes the
   * budget whole again. Returns whether the next iteration is inline.
   */
  async next(inline: boolean): Promise<boolean> {
    if (inline) {
      await afterTicks();
      // The slot was taken when the last iteration ended, before the tasks it resumed ran: if
      // their work (the recv and send of every ready socket) used up the slice, Node's loop
      // turns first after all. Otherwise Node would wait through two iterations' work.
      if (this.#nextFits()) return true;
    }
    // The turn is timed from when the microtasks and ticks queued before it have run (the tasks
    // this iteration resumed, which run before Node's turn whatever it costs) to the immediate.
    process.nextTick(this.#asked);
    await yieldToNode();
    this.nodeTurns++;
    this.nodeTurn();
    return false;
  }

  readonly #asked = (): void => {
    this.#askedAt = this.#clock();
  };

  /** A turn of Node's loop has begun: the budget is whole again (and, if the turn was timed, sized by its cost). */
  nodeTurn(): void {
    const now = this.#clock();
    if (this.#askedAt >= 0) this.#turnCost(now - this.#askedAt);
    this.#askedAt = -1;
    this.#turnAt = now;
    this.#stepAt = now;
    this.#used = 0;
  }

  /**
   * Host mode, after the tasks the last iteration resumed have run: whether the next iteration may
   * come before Node's turn. Within SLICE_MS of the turn, always (the rule whatever a turn
   * costs). Beyond it, in a slice stretched for costly turns, only if the next step, taken to
   * last as long as the one just made (iteration and tasks), ends within the slice: steps of a few
   * milliseconds (tens of busy connections) then get no more than SLICE_MS before Node's turn, as
   * with cheap turns, and Node's callbacks wait at most the slice, never the slice and a step.
   */
  #nextFits(): boolean {
    const now = this.#clock();
    const sinceTurn = now - this.#turnAt;
    const fits = sinceTurn < SLICE_MS || sinceTurn + (now - this.#stepAt) <= this.#sliceMs;
    if (fits) this.#stepAt = now;
    return fits;
  }

  /** Sizes the slice by what a turn costs: the cheapest of the last TURN_SAMPLES turns. */
  #turnCost(ms: number): void {
    this.#costs[this.#samples++ % TURN_SAMPLES] = ms;
    let cost = Infinity;
    for (let i = 0, n = Math.min(this.#samples, TURN_SAMPLES); i < n; i++) cost = Math.min(cost, this.#costs[i]!);
    this.#sliceMs = Math.min(MAX_INLINE_SLICE_MS, Math.max(SLICE_MS, cost * TURN_COST_SHARE));
    this.#maxIterations = Math.round((MAX_INLINE_ITERATIONS * this.#sliceMs) / SLICE_MS);
  }

  /** The slice and the inline iterations per turn in force (they grow when turns are costly; see the top). */
  get limits(): { sliceMs: number; iterations: number } {
    return { sliceMs: this.#sliceMs, iterations: this.#maxIterations };
  }

  /** Takes one inline iteration if the turn's budget allows it; false: Node's loop turns first. */
  take(): boolean {
    if (this.#used >= this.#maxIterations || this.left() === 0) return false;
    this.#used++;
    return true;
  }

  /** Milliseconds left of the slice since Node's last turn: how long an inline iteration may block. */
  left(): number {
    return Math.max(0, this.#sliceMs - (this.#clock() - this.#turnAt));
  }
}
