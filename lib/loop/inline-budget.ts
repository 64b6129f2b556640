// InlineBudget: how many loop iterations may run between two turns of Node's loop.
//
// A turn of Node's loop (setImmediate) is not free: libuv polls its own completion port with
// timeout 0 before it runs the immediate, and under Wine that zero-timeout
// GetQueuedCompletionStatusEx is followed by a sched_yield when it finds nothing (docs/wine.md),
// which on a busy machine hands the core away for longer than a one-connection round trip takes.
// So an iteration that found work may be followed by another without a turn of Node's loop in
// between — after only the microtasks and process.nextTick callbacks the tasks it resumed queued
// (`afterTicks`) — as libuv itself handles up to 8 rounds of completed requests per turn. Bounded
// both ways, so Node's own callbacks (its timers, `net` sockets, worker messages) wait no longer
// than about a fairness slice for their turn: at most MAX_INLINE_ITERATIONS per turn, and none
// once SLICE_MS have passed since the turn began. Host mode (`run`) and guest mode (GuestLoop)
// share the rule: host-mode inline iterations may block, but only for what is left of the slice.
import { SLICE_MS } from './fair-share.ts';

/**
 * Inline iterations per turn of Node's loop, at most: libuv's own bound on the rounds of
 * completed requests it processes per turn. They also stop SLICE_MS after the turn began.
 */
export const MAX_INLINE_ITERATIONS = 8;

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
  #used = 0;
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
      if (this.left() > 0) return true;
    }
    await yieldToNode();
    this.nodeTurns++;
    this.nodeTurn();
    return false;
  }

  /** A turn of Node's loop has begun: the budget is whole again. */
  nodeTurn(): void {
    this.#turnAt = this.#clock();
    this.#used = 0;
  }

  /** Takes one inline iteration if the turn's budget allows it; false: Node's loop turns first. */
  take(): boolean {
    if (this.#used >= MAX_INLINE_ITERATIONS || this.left() === 0) return false;
    this.#used++;
    return true;
  }

  /** Milliseconds left of the slice since Node's last turn: how long an inline iteration may block. */
  left(): number {
    return Math.max(0, SLICE_MS - (this.#clock() - this.#turnAt));
  }
}
