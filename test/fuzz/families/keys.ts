// Completion-key monitors, and completions posted to their keys from this thread
// (reactor.postCompletion), from the helper thread (postCompletion(target, …)), and from the
// helper thread with a non-zero lpOverlapped, as a job object posts a pid (such a packet is the
// monitor's, its lpOverlapped data: the key decides, issue #22 item 5). Each post's byte count names its poster and
// its number, so the monitor's output is checked for loss, duplication and order per poster
// (order across posters is not defined). A post to a closed monitor's key is stray
// (`strayCompletions`): the only strays the fuzzer allows.
import type { KeyCompletion, KeyMonitor } from '../../../lib/index.ts';
import type { Context, Family } from '../context.ts';
import type { From, Op } from '../ops.ts';
import { attempt } from '../outcomes.ts';
import { InOrder } from './in-order.ts';

/** bytes = poster << POSTER_SHIFT | number. */
const POSTER_SHIFT = 24;
const POSTERS = ['this thread', 'the helper thread', 'the helper thread with an lpOverlapped'];
const POSTER: Record<From | 'overlapped', number> = { main: 0, thread: 1, overlapped: 2 };

/**
 * The lpOverlapped posted with item `n`: a multiple of 8 below 64 KiB, where Windows never maps
 * memory, so it can never name an OVERLAPPED winmux has in flight.
 */
const overlappedOf = (n: number): number => 8 * (1 + (n % 8000));

interface Model {
  monitor: KeyMonitor;
  closed: boolean;
  /** Completions known to be in the port (this thread's at once, the helper's once it replied). */
  posted: number;
  /** Sent to the helper, not yet confirmed. */
  inHelper: number;
  next: [number, number, number];
  order: InOrder<KeyCompletion>;
}

export class KeyFamily implements Family {
  readonly #ctx: Context;
  readonly #slots: (Model | undefined)[];
  /** Every monitor made: their posts bound the stray completions. */
  readonly #all: Model[] = [];
  #strayReported = 0;

  constructor(ctx: Context, slots: number) {
    this.#ctx = ctx;
    this.#slots = new Array<Model | undefined>(slots).fill(undefined);
  }

  apply(op: Op, skip: () => void): boolean {
    const ctx = this.#ctx;
    switch (op.kind) {
      case 'key.open': {
        const old = this.#slots[op.slot];
        if (old !== undefined) this.#close(old);
        const monitor = ctx.reactor.monitorCompletionKey();
        const model: Model = {
          monitor, closed: false, posted: 0, inHelper: 0, next: [0, 0, 0],
          order: new InOrder<KeyCompletion>(ctx, `key #${op.slot} (key ${monitor.key})`,
            (c) => [c.bytes >>> POSTER_SHIFT, c.bytes & ((1 << POSTER_SHIFT) - 1)], POSTERS),
        };
        this.#slots[op.slot] = model;
        this.#all.push(model);
        return true;
      }
      case 'key.post': {
        const model = this.#slots[op.slot];
        if (model === undefined) return skip(), true;
        this.#post(op.slot, model, op.from, op.count);
        return true;
      }
      case 'key.next': {
        const model = this.#slots[op.slot];
        if (model === undefined) return skip(), true;
        const what = `key #${op.slot}: next()`;
        // A closed monitor still hands out what it had queued, then rejects.
        model.order.call(what, {}, attempt(() => model.monitor.next()), {
          closed: () => model.closed,
          afterValue: (completion) => {
            const poster = completion.bytes >>> POSTER_SHIFT;
            const overlapped = poster === 2 ? overlappedOf(completion.bytes & ((1 << POSTER_SHIFT) - 1)) : 0;
            if (completion.overlapped !== overlapped || completion.status !== 0) {
              ctx.violate('unexpected-result', `${what}: completion ${JSON.stringify(completion)} was posted with overlapped ${overlapped} and status 0`);
            }
          },
        });
        return true;
      }
      case 'key.close': {
        const model = this.#slots[op.slot];
        if (model === undefined) return skip(), true;
        this.#close(model);
        return true;
      }
      default:
        return false;
    }
  }

  #close(model: Model): void {
    if (!model.closed) model.order.closing();
    model.closed = true;
    model.monitor.close();
  }

  #post(slot: number, model: Model, from: From | 'overlapped', count: number): void {
    const ctx = this.#ctx;
    const poster = POSTER[from];
    const numbers = Array.from({ length: count }, () => model.next[poster]!++);
    const bytes = numbers.map((n) => (poster << POSTER_SHIFT) | n);
    if (from === 'main') {
      for (const b of bytes) ctx.reactor.postCompletion(model.monitor.key, b);
      model.posted += count;
      if (!model.closed) model.order.expect(poster, count);
      return;
    }
    model.inHelper += count;
    const what = `key #${slot}: ${count} posts from ${POSTERS[poster]}`;
    const target = ctx.reactor.completionTarget();
    const command = from === 'thread'
      ? { type: 'post' as const, target, key: model.monitor.key, bytes }
      : { type: 'postOverlapped' as const, target, key: model.monitor.key, bytes, overlapped: numbers.map(overlappedOf) };
    const closedBefore = model.closed;
    ctx.track(what, {}, ctx.helper.send(command), {
      onValue: (reply) => {
        model.inHelper -= count;
        if (reply.error !== undefined) {
          ctx.violate('unexpected-error', `${what}: the helper's post threw ${reply.error}`);
          return;
        }
        model.posted += count;
        if (!closedBefore && !model.closed) model.order.expect(poster, count);
      },
      allowed: {},
    }).markDue('the helper thread carries out commands in order');
  }

  check(): void {
    for (const model of this.#slots) {
      if (model === undefined || model.closed) continue;
      model.order.watch();
    }
    // Strays: only completions posted to a monitor that was closed before it took them.
    let bound = 0;
    for (const model of this.#all) {
      if (model.closed) bound += model.posted + model.inHelper - model.order.taken;
    }
    const stray = this.#ctx.reactor.stats().strayCompletions;
    if (stray > bound && stray > this.#strayReported) {
      this.#ctx.violate('stats', `strayCompletions is ${stray}, but at most ${bound} completions went to keys whose monitors were closed before taking them`);
      this.#strayReported = stray;
    }
  }

  async drain(): Promise<void> {
    await this.#ctx.flushHelper();
    await Promise.all(this.#slots.map(async (model, slot) => {
      if (model === undefined || model.closed) return;
      await model.order.drain(`key #${slot}`, () => attempt(() => model.monitor.next()), () => model.closed);
    }));
  }

  async close(): Promise<void> {
    for (const model of this.#slots) if (model !== undefined) this.#close(model);
  }
}
