// Time and call-soon: sleeps with random aborts (never resolved before their deadline on the
// reactor's clock; due once it has passed), time the fuzzer lets pass, and callSoon callbacks —
// each must run once, in the order queued, never inside callSoon itself, and in the next loop
// iteration.
import type { Context, Family } from '../context.ts';
import type { Op } from '../ops.ts';
import { attempt } from '../outcomes.ts';
import type { PendingOp } from '../pending.ts';

interface Soon {
  id: number;
  queuedAtIteration: number;
  step: number;
  runs: number;
}

export class TimeFamily implements Family {
  readonly #ctx: Context;
  readonly #sleeps = new Map<PendingOp, number>();
  readonly #soon: Soon[] = [];
  #nextSoon = 0;
  #lastRan = -1;

  constructor(ctx: Context) {
    this.#ctx = ctx;
  }

  async apply(op: Op): Promise<boolean> {
    const ctx = this.#ctx;
    switch (op.kind) {
      case 'timer.sleep': {
        const deadline = ctx.reactor.now() + op.ms;
        const what = `timer: sleep(${op.ms})`;
        const armed = ctx.aborts.make(op.abort);
        const call = attempt(() => ctx.reactor.sleep(op.ms, armed.signal ? { signal: armed.signal } : {}));
        armed.afterCall();
        const sleep = ctx.track(what, { timer: true }, call, {
          signal: armed.signal,
          onValue: () => {
            this.#sleeps.delete(sleep);
            const now = ctx.reactor.now();
            if (now < deadline) ctx.violate('unexpected-result', `${what}: resolved at ${now.toFixed(3)}, before its deadline ${deadline.toFixed(3)}`);
            if (op.abort === 'pre') ctx.violate('unexpected-result', `${what}: resolved although its signal was aborted before the call`);
          },
          allowed: { signal: armed.signal },
          onError: () => {
            this.#sleeps.delete(sleep);
          },
        });
        this.#sleeps.set(sleep, deadline);
        return true;
      }
      case 'timer.pass': {
        const deadline = ctx.reactor.now() + op.ms;
        await ctx.until(() => ctx.reactor.now() >= deadline, () => `timer: the reactor's clock did not reach ${deadline}`);
        return true;
      }
      case 'soon.call': {
        for (let i = 0; i < op.count; i++) {
          const entry: Soon = { id: this.#nextSoon++, queuedAtIteration: ctx.reactor.stats().iterations, step: ctx.step, runs: 0 };
          this.#soon.push(entry);
          ctx.reactor.callSoon(() => this.#ran(entry));
          if (entry.runs !== 0) ctx.violate('unexpected-result', `soon: callback ${entry.id} ran inside callSoon`);
        }
        return true;
      }
      default:
        return false;
    }
  }

  #ran(entry: Soon): void {
    entry.runs++;
    if (entry.runs > 1) this.#ctx.violate('data', `soon: callback ${entry.id} ran ${entry.runs} times`);
    if (entry.id !== this.#lastRan + 1) this.#ctx.violate('data', `soon: callback ${entry.id} ran after ${this.#lastRan} (queued in that order? no: ${this.#lastRan + 1} was due)`);
    this.#lastRan = Math.max(this.#lastRan, entry.id);
  }

  check(): void {
    const now = this.#ctx.reactor.now();
    for (const [sleep, deadline] of this.#sleeps) if (now >= deadline) sleep.markDue('its deadline passed');
    const iterations = this.#ctx.reactor.stats().iterations;
    while (this.#soon.length > 0 && this.#soon[0]!.runs > 0) this.#soon.shift();
    const late = this.#soon.find((s) => iterations > s.queuedAtIteration && s.runs === 0);
    if (late !== undefined) {
      this.#ctx.violate('hang', `soon: callback ${late.id}, queued at iteration ${late.queuedAtIteration} (step ${late.step}), had not run by iteration ${iterations}`);
      this.#soon.splice(this.#soon.indexOf(late), 1);
    }
  }

  async drain(): Promise<void> {
    for (const sleep of this.#sleeps.keys()) sleep.markDue('the drain');
    await this.#ctx.until(() => this.#sleeps.size === 0 && this.#soon.every((s) => s.runs > 0), () => `timer: ${this.#sleeps.size} sleep(s) did not end`);
  }

  async close(): Promise<void> {}
}
