// Completion-key monitors, and completions posted to their keys from this thread
// (reactor.postCompletion) and from the helper thread (postCompletion(target, …)). Each post's
// byte count names its poster and its number, so the monitor's output is checked for loss,
// duplication and order per poster (order across posters is not defined). A post to a closed
// monitor's key is stray (`strayCompletions`): the only strays the fuzzer allows.
import type { KeyCompletion, KeyMonitor } from '../../../lib/index.ts';
import type { Context, Family } from '../context.ts';
import type { From, Op } from '../ops.ts';
import { attempt } from '../outcomes.ts';
import { InOrder } from './in-order.ts';

/** bytes = poster << POSTER_SHIFT | number: 0 for this thread, 1 for the helper. */
const POSTER_SHIFT = 24;

interface Model {
  monitor: KeyMonitor;
  closed: boolean;
  /** Completions known to be in the port (this thread's at once, the helper's once it replied). */
  posted: number;
  /** Sent to the helper, not yet confirmed. */
  inHelper: number;
  next: [number, number];
  order: InOrder<KeyCompletion>;
}

export class KeyFamily implements Family {
  readonly #ctx: Context;
  readonly #slots: (Model | undefined)[];
  /** Every monitor made: their posts bound the stray completions. */
  readonly #all: Model[] = [];

  constructor(ctx: Context, slots: number) {
    this.#ctx = ctx;
    this.#slots = new Array<Model | undefined>(slots).fill(undefined);
  }

  apply(op: Op, skip: () => void): boolean {
    const ctx = this.#ctx;
    switch (op.kind) {
      case 'key.open': {
        this.#slots[op.slot]?.monitor.close();
        if (this.#slots[op.slot] !== undefined) this.#slots[op.slot]!.closed = true;
        const monitor = ctx.reactor.monitorCompletionKey();
        const name = `key #${op.slot} (key ${monitor.key})`;
        const model: Model = {
          monitor, closed: false, posted: 0, inHelper: 0, next: [0, 0],
          order: new InOrder<KeyCompletion>(ctx, name, (c) => [c.bytes >>> POSTER_SHIFT, c.bytes & ((1 << POSTER_SHIFT) - 1)], 2),
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
            if (completion.overlapped !== 0 || completion.status !== 0) {
              ctx.violate('unexpected-result', `${what}: completion ${JSON.stringify(completion)} has an overlapped or status nobody posted`);
            }
          },
        });
        return true;
      }
      case 'key.close': {
        const model = this.#slots[op.slot];
        if (model === undefined) return skip(), true;
        if (!model.closed) model.order.closing(model.posted);
        model.closed = true;
        model.monitor.close();
        return true;
      }
      default:
        return false;
    }
  }

  #post(slot: number, model: Model, from: From, count: number): void {
    const ctx = this.#ctx;
    const poster = from === 'main' ? 0 : 1;
    const bytes = Array.from({ length: count }, () => (poster << POSTER_SHIFT) | model.next[poster]++);
    if (from === 'main') {
      for (const b of bytes) ctx.reactor.postCompletion(model.monitor.key, b);
      model.posted += count;
      model.order.expect(poster, count);
      return;
    }
    model.inHelper += count;
    const what = `key #${slot}: ${count} posts from the helper thread`;
    ctx.track(what, {}, ctx.helper.send({ type: 'post', target: ctx.reactor.completionTarget(), key: model.monitor.key, bytes }), {
      onValue: (reply) => {
        model.inHelper -= count;
        if (reply.error !== undefined) {
          ctx.violate('unexpected-error', `${what}: the helper's postCompletion threw ${reply.error}`);
          return;
        }
        model.posted += count;
        model.order.expect(poster, count);
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
    let strayBound = 0;
    for (const model of this.#all) if (model.closed) strayBound += model.posted + model.inHelper - model.order.taken;
    const stray = this.#ctx.reactor.stats().strayCompletions;
    if (stray > strayBound) {
      this.#ctx.violate('stats', `strayCompletions is ${stray}, but at most ${strayBound} completions went to keys whose monitors were closed before taking them (issue #22 item 5 routes by key)`);
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
    for (const model of this.#slots) {
      if (model === undefined || model.closed) continue;
      model.order.closing(model.posted);
      model.closed = true;
      model.monitor.close();
    }
  }
}
