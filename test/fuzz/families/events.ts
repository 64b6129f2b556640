// Win32 events (auto- and manual-reset), set from this thread or the helper thread, reset, waited
// on with random aborts and timeouts, closed under their waits. Checked: an auto-reset event never
// satisfies more waits than it was set (a signal consumed once); a wait on a signalled event ends;
// a wait that resolved says signalled, or timed out only when it had a timeout.
import { WinEvent } from '../../../lib/index.ts';
import type { Context, Family } from '../context.ts';
import type { AbortSpec, From, Op } from '../ops.ts';
import { attempt } from '../outcomes.ts';
import type { PendingOp } from '../pending.ts';

interface Wait {
  op: PendingOp;
  signal: AbortSignal | undefined;
  /** Reactor-clock time its timeout ends, if it has one. */
  deadline: number | undefined;
}

interface Model {
  event: WinEvent;
  closed: boolean;
  manualReset: boolean;
  /** Known signalled (false also when unknown: a helper's set raced a wait). */
  signaled: boolean;
  sets: number;
  /** Sets sent to the helper and not yet confirmed. */
  inHelper: number;
  satisfied: number;
  resets: number;
  waits: Set<Wait>;
}

export class EventFamily implements Family {
  readonly #ctx: Context;
  readonly #slots: (Model | undefined)[];

  constructor(ctx: Context, slots: number) {
    this.#ctx = ctx;
    this.#slots = new Array<Model | undefined>(slots).fill(undefined);
  }

  async apply(op: Op, skip: () => void): Promise<boolean> {
    const ctx = this.#ctx;
    switch (op.kind) {
      case 'event.open': {
        await this.#closeSlot(op.slot);
        this.#slots[op.slot] = {
          event: WinEvent.create({ manualReset: op.manualReset }), closed: false, manualReset: op.manualReset,
          signaled: false, sets: 0, inHelper: 0, satisfied: 0, resets: 0, waits: new Set(),
        };
        return true;
      }
      case 'event.set': {
        const model = this.#slots[op.slot];
        // The helper must never be handed a closed handle: its value may already be another object's.
        if (model === undefined || (model.closed && op.from === 'thread')) return skip(), true;
        this.#set(op.slot, model, op.from);
        return true;
      }
      case 'event.reset': {
        const model = this.#slots[op.slot];
        if (model === undefined) return skip(), true;
        const closed = model.closed;
        ctx.track(`event #${op.slot}: reset()`, {}, attempt(() => model.event.reset()), {
          onValue: () => {
            if (closed) ctx.violate('unexpected-result', `event #${op.slot}: reset() succeeded on a closed event`);
            model.signaled = false;
            model.resets++;
          },
          allowed: { closed: () => closed },
        });
        return true;
      }
      case 'event.wait': {
        const model = this.#slots[op.slot];
        if (model === undefined) return skip(), true;
        this.#wait(op.slot, model, op.abort, op.timeoutMs);
        return true;
      }
      case 'event.close': {
        if (this.#slots[op.slot] === undefined) return skip(), true;
        await this.#close(this.#slots[op.slot]!);
        return true;
      }
      default:
        return false;
    }
  }

  #set(slot: number, model: Model, from: From): void {
    const ctx = this.#ctx;
    const what = `event #${slot}: set() from ${from === 'main' ? 'this thread' : 'the helper thread'}`;
    if (from === 'main') {
      const closed = model.closed;
      ctx.track(what, {}, attempt(() => model.event.set()), {
        onValue: () => {
          if (closed) ctx.violate('unexpected-result', `${what}: succeeded on a closed event`);
          model.signaled = true;
          model.sets++;
        },
        allowed: { closed: () => closed },
      });
      return;
    }
    model.inHelper++;
    const satisfiedBefore = model.satisfied;
    const resetsBefore = model.resets;
    ctx.track(what, {}, ctx.helper.send({ type: 'set', handle: model.event.handle }), {
      onValue: (reply) => {
        model.inHelper--;
        if (reply.error !== undefined) {
          ctx.violate('unexpected-error', `${what}: SetEvent threw ${reply.error}`);
          return;
        }
        model.sets++;
        // Signalled now, unless a wait may have taken it (or a reset cleared it) meanwhile: then unknown.
        if (model.satisfied === satisfiedBefore && model.resets === resetsBefore) model.signaled = true;
      },
      allowed: {},
    }).markDue('the helper thread carries out commands in order');
  }

  #wait(slot: number, model: Model, abort: AbortSpec, timeoutMs: number | null): void {
    const ctx = this.#ctx;
    const what = `event #${slot}: wait(${timeoutMs === null ? '' : `timeoutMs ${timeoutMs}`})`;
    const armed = ctx.aborts.make(abort);
    const closed = model.closed;
    const call = attempt(() => model.event.wait(ctx.reactor, {
      ...(armed.signal ? { signal: armed.signal } : {}),
      ...(timeoutMs === null ? {} : { timeoutMs }),
    }));
    armed.afterCall();
    const wait: Wait = { op: undefined!, signal: armed.signal, deadline: timeoutMs === null ? undefined : ctx.reactor.now() + timeoutMs };
    wait.op = ctx.track(what, { object: true, timer: timeoutMs !== null }, call, {
      signal: armed.signal,
      onValue: (result) => {
        model.waits.delete(wait);
        if (closed) ctx.violate('unexpected-result', `${what}: resolved on a closed event`);
        if (abort === 'pre') ctx.violate('unexpected-result', `${what}: resolved although its signal was aborted before the call`);
        if (result.abandoned) ctx.violate('unexpected-result', `${what}: abandoned (an event is not a mutex)`);
        if (result.signaled === result.timedOut) ctx.violate('unexpected-result', `${what}: resolved with ${JSON.stringify(result)}`);
        if (result.timedOut && timeoutMs === null) ctx.violate('unexpected-result', `${what}: timed out without a timeout`);
        if (!result.signaled) return;
        model.satisfied++;
        if (!model.manualReset) {
          model.signaled = false;
          if (model.satisfied > model.sets + model.inHelper) {
            ctx.violate('data', `event #${slot} (auto-reset): ${model.satisfied} waits were satisfied, but it was set only ${model.sets + model.inHelper} times (a signal consumed twice)`);
          }
        } else if (model.sets + model.inHelper === 0) {
          ctx.violate('data', `${what}: signalled, but the event was never set`);
        }
      },
      allowed: { signal: armed.signal, closed: () => model.closed },
      onError: () => {
        model.waits.delete(wait);
      },
    });
    model.waits.add(wait);
  }

  async #close(model: Model): Promise<void> {
    // A set the helper has not made yet would reach a closed (maybe reused) handle value.
    if (model.inHelper > 0) await this.#ctx.flushHelper();
    model.closed = true;
    for (const wait of model.waits) wait.op.markDue('its event was closed');
    model.event.close();
  }

  async #closeSlot(slot: number): Promise<void> {
    const model = this.#slots[slot];
    if (model !== undefined && !model.closed) await this.#close(model);
    this.#slots[slot] = undefined;
  }

  check(): void {
    const ctx = this.#ctx;
    const now = ctx.reactor.now();
    this.#slots.forEach((model, slot) => {
      if (model === undefined) return;
      for (const wait of model.waits) if (wait.deadline !== undefined && now >= wait.deadline) wait.op.markDue('its timeout passed');
      // A signalled event with a wait on it that nothing aborted: the wait must end.
      const live = [...model.waits].some((w) => !w.signal?.aborted);
      const hang = ctx.pending.watch(`event #${slot}: signalled`, !model.closed && model.signaled && model.inHelper === 0 && live,
        () => `event #${slot}: signalled (set ${model.sets} times, ${model.satisfied} waits satisfied), yet ${model.waits.size} wait(s) on it did not end`);
      if (hang !== undefined) ctx.violate('hang', hang);
    });
  }

  async drain(): Promise<void> {
    await this.#ctx.flushHelper();
  }

  async close(): Promise<void> {
    for (let slot = 0; slot < this.#slots.length; slot++) await this.#closeSlot(slot);
  }
}
