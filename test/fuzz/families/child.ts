// One child process at a time: a tiny Node program that exits with a chosen code after a chosen
// delay; waits on it with random aborts, kills with another code, close() under its waits. A
// wait resolves with the code the child chose, or one a kill gave it; once the child has exited,
// every wait on it must end.
import { WinError, spawnProcess, wineVersion, type ChildProcess } from '../../../lib/index.ts';
import type { Context, Family } from '../context.ts';
import type { Op } from '../ops.ts';
import { attempt } from '../outcomes.ts';
import type { PendingOp } from '../pending.ts';

const CHILD_EXIT_MS = 60_000;

interface Model {
  child: ChildProcess;
  closed: boolean;
  codes: Set<number>;
  waits: Set<PendingOp>;
}

export class ChildFamily implements Family {
  readonly #ctx: Context;
  #model: Model | undefined;

  constructor(ctx: Context) {
    this.#ctx = ctx;
  }

  apply(op: Op, skip: () => void): boolean {
    const ctx = this.#ctx;
    const model = this.#model;
    switch (op.kind) {
      case 'child.spawn': {
        if (model !== undefined && !model.closed) return skip(), true;
        let child: ChildProcess;
        try {
          child = spawnProcess(ctx.reactor, process.execPath, ['-e', `setTimeout(() => process.exit(${op.code}), ${op.delayMs})`]);
        } catch (error) {
          // Wine on a loaded machine, now and then: CreateProcessW fails with ERROR_INTERNAL_ERROR
          // (1359), the new process having died in Wine's start-up (docs/wine.md). No child was
          // made, so there is nothing to model; on Windows this is not expected, and fails the run.
          if (wineVersion() !== null && error instanceof WinError && error.winCode === 'ERROR_INTERNAL_ERROR') return skip(), true;
          throw error;
        }
        this.#model = { child, closed: false, codes: new Set([op.code]), waits: new Set() };
        return true;
      }
      case 'child.wait': {
        if (model === undefined) return skip(), true;
        const what = `child ${model.child.pid}: wait()`;
        const armed = ctx.aborts.make(op.abort);
        const closed = model.closed;
        const call = attempt(() => model.child.wait(armed.signal ? { signal: armed.signal } : {}));
        armed.afterCall();
        const wait = ctx.track(what, { object: true }, call, {
          signal: armed.signal,
          onValue: (code) => {
            model.waits.delete(wait);
            if (closed) ctx.violate('unexpected-result', `${what}: resolved on a closed child`);
            if (op.abort === 'pre') ctx.violate('unexpected-result', `${what}: resolved although its signal was aborted before the call`);
            if (!model.codes.has(code)) ctx.violate('unexpected-result', `${what}: exit code ${code}, but the child exits with ${[...model.codes].join(' or ')}`);
          },
          allowed: { signal: armed.signal, closed: () => model.closed },
          onError: () => {
            model.waits.delete(wait);
          },
        });
        model.waits.add(wait);
        return true;
      }
      case 'child.kill': {
        if (model === undefined) return skip(), true;
        const closed = model.closed;
        ctx.track(`child ${model.child.pid}: kill(${op.code})`, {}, attempt(() => model.child.kill(op.code)), {
          onValue: () => {
            if (closed) ctx.violate('unexpected-result', `child: kill() succeeded on a closed child`);
          },
          allowed: { closed: () => closed },
        });
        if (!closed) model.codes.add(op.code);
        return true;
      }
      case 'child.close':
        if (model === undefined) return skip(), true;
        this.#close(model);
        return true;
      default:
        return false;
    }
  }

  #close(model: Model): void {
    model.closed = true;
    for (const wait of model.waits) wait.markDue('the child was closed');
    model.child.close();
  }

  #exited(model: Model): boolean {
    return !model.closed && model.child.exitCode !== null;
  }

  check(): void {
    const model = this.#model;
    if (model !== undefined && this.#exited(model)) for (const wait of model.waits) wait.markDue('the child exited');
  }

  /** The child runs to its exit: a Node under Wine takes seconds to start on a busy machine, so the bound is a minute. */
  async drain(): Promise<void> {
    const model = this.#model;
    if (model === undefined || model.closed) return;
    await this.#ctx.until(() => this.#exited(model), () => `child ${model.child.pid}: did not exit`, CHILD_EXIT_MS);
    this.check();
  }

  async close(): Promise<void> {
    if (this.#model !== undefined && !this.#model.closed) this.#close(this.#model);
  }
}
