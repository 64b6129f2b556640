// A directory watcher over a directory of the run's own, and the files the fuzzer makes and
// renames there (renaming names the watcher reported). Every change reported must be one the
// fuzzer made; every file made while a watcher was open must be reported (unless the watcher
// reported a rescan, which says changes were lost); next() calls pending while changes wait must
// end. Transfers hand the watcher to this same reactor (emulated under Wine 8).
import fs from 'node:fs';
import path from 'node:path';
import { DirectoryWatcher, type DirectoryChange } from '../../../lib/index.ts';
import type { Context, Family } from '../context.ts';
import type { AbortSpec, Op } from '../ops.ts';
import { attempt } from '../outcomes.ts';
import type { PendingOp } from '../pending.ts';

const ACTIONS = new Set(['added', 'removed', 'modified', 'renamedFrom', 'renamedTo', 'rescan']);

export class WatcherFamily implements Family {
  readonly #ctx: Context;
  readonly #dir: string;
  #watcher: DirectoryWatcher | undefined;
  #state: 'none' | 'open' | 'transferring' | 'closed' = 'none';
  /** Names the fuzzer made or renamed to or from: the only ones a change may name. */
  readonly #touched = new Set<string>();
  /** Names made while the current watcher (or the one it was handed over from) was open: each must be reported. */
  #expected = new Set<string>();
  readonly #mentioned = new Set<string>();
  readonly #added: string[] = [];
  readonly #renamed = new Set<string>();
  #rescan = false;
  readonly #nexts = new Set<PendingOp>();
  #made = 0;

  constructor(ctx: Context) {
    this.#ctx = ctx;
    this.#dir = path.join(ctx.dir, 'watched');
    fs.mkdirSync(this.#dir);
  }

  apply(op: Op, skip: () => void): boolean {
    const ctx = this.#ctx;
    switch (op.kind) {
      case 'watch.open':
        if (this.#state === 'open' || this.#state === 'transferring') return skip(), true;
        this.#watcher = DirectoryWatcher.open(ctx.reactor, this.#dir);
        this.#state = 'open';
        this.#expected = new Set();
        this.#rescan = false;
        return true;
      case 'watch.create': {
        const name = `w${this.#made++}.txt`;
        fs.writeFileSync(path.join(this.#dir, name), 'x');
        this.#touched.add(name);
        if (this.#state === 'open' || this.#state === 'transferring') this.#expected.add(name);
        return true;
      }
      case 'watch.rename': {
        const candidates = this.#added.filter((name) => !this.#renamed.has(name) && fs.existsSync(path.join(this.#dir, name)));
        if (candidates.length === 0) return skip(), true;
        const name = candidates[op.pick % candidates.length]!;
        const to = `${name}.r${this.#made++}`;
        this.#touched.add(to);
        this.#renamed.add(name);
        fs.renameSync(path.join(this.#dir, name), path.join(this.#dir, to));
        return true;
      }
      case 'watch.next': {
        if (this.#watcher === undefined) return skip(), true;
        this.#next(op.abort);
        return true;
      }
      case 'watch.close': {
        if (this.#watcher === undefined) return skip(), true;
        this.#close();
        return true;
      }
      case 'watch.transfer': {
        if (this.#watcher === undefined || this.#state === 'transferring') return skip(), true;
        this.#transfer();
        return true;
      }
      default:
        return false;
    }
  }

  #next(abort: AbortSpec): PendingOp {
    const ctx = this.#ctx;
    const watcher = this.#watcher!;
    const what = 'watch: next()';
    const armed = ctx.aborts.make(abort);
    const call = attempt(() => watcher.next(armed.signal ? { signal: armed.signal } : {}));
    armed.afterCall();
    const op = ctx.track(what, {}, call, {
      signal: armed.signal,
      onValue: (result) => {
        this.#nexts.delete(op);
        if (abort === 'pre') ctx.violate('unexpected-result', `${what}: resolved although its signal was aborted before the call`);
        if (result.done) {
          if (watcher === this.#watcher && this.#state === 'open') ctx.violate('unexpected-result', `${what}: done while the watcher was open`);
          return;
        }
        this.#seen(what, result.value);
      },
      allowed: { signal: armed.signal },
      onError: () => {
        this.#nexts.delete(op);
      },
    });
    this.#nexts.add(op);
    if (watcher !== this.#watcher || this.#state !== 'open') op.markDue('the watcher is closed');
    return op;
  }

  #seen(what: string, change: DirectoryChange): void {
    const ctx = this.#ctx;
    if (!ACTIONS.has(change.action)) {
      ctx.violate('unexpected-result', `${what}: a change with action ${JSON.stringify(change.action)}`);
      return;
    }
    if (change.action === 'rescan') {
      this.#rescan = true;
      return;
    }
    const name = (change as { path: string }).path;
    if (!this.#touched.has(name)) {
      ctx.violate('data', `${what}: reported ${change.action} ${JSON.stringify(name)}, a name the fuzzer never made`);
      return;
    }
    this.#mentioned.add(name);
    if (change.action === 'added' && !this.#added.includes(name)) this.#added.push(name);
  }

  #close(): void {
    const ctx = this.#ctx;
    const watcher = this.#watcher!;
    if (this.#state === 'open') this.#state = 'closed';
    for (const op of this.#nexts) op.markDue('the watcher was closed');
    ctx.track('watch: close()', { overlapped: true, object: true }, attempt(() => watcher.close()), {
      onValue: () => {},
      allowed: {},
    }).markDue('close() completes by itself');
  }

  #transfer(): void {
    const ctx = this.#ctx;
    const watcher = this.#watcher!;
    const wasOpen = this.#state === 'open';
    if (wasOpen) this.#state = 'transferring';
    for (const op of this.#nexts) op.markDue('the watcher was handed over');
    ctx.track('watch: transfer() to this reactor', { overlapped: true, object: true }, attempt(() => watcher.transfer(ctx.reactor.completionTarget())), {
      onValue: (transfer) => {
        if (!wasOpen) ctx.violate('unexpected-result', 'watch: transfer() of a closed watcher succeeded');
        if (this.#watcher !== watcher || this.#state !== 'transferring') return;
        try {
          this.#watcher = DirectoryWatcher.adopt(ctx.reactor, transfer);
          this.#state = 'open';
        } catch (error) {
          this.#state = 'closed';
          ctx.violate('unexpected-error', `watch: DirectoryWatcher.adopt of this reactor's own transfer threw ${String(error)}`);
        }
      },
      allowed: { closed: () => !wasOpen },
      onError: () => {
        if (this.#watcher === watcher && this.#state === 'transferring') this.#state = 'closed';
      },
    }).markDue('a transfer completes by itself');
  }

  /** Changes made and not yet reported while a next() waits on the open watcher. */
  #unreported(): string[] {
    if (this.#state !== 'open' || this.#rescan) return [];
    return [...this.#expected].filter((name) => !this.#mentioned.has(name));
  }

  extraHolds(): { overlapped: number; object: number } {
    const reading = this.#state === 'open' || this.#state === 'transferring' ? 1 : 0;
    return { overlapped: reading, object: reading };
  }

  check(): void {
    const waiting = [...this.#nexts].some((op) => !op.settled && op.due === undefined);
    const hang = this.#ctx.pending.watch('watch: unreported changes', waiting && this.#unreported().length > 0,
      () => `watch: next() waits while ${this.#unreported().join(', ')} ${this.#unreported().length === 1 ? 'was' : 'were'} made and never reported`);
    if (hang !== undefined) this.#ctx.violate('hang', hang);
  }

  /** Takes changes until every file made while the watcher was open has been reported (or a rescan says changes were lost). */
  async drain(): Promise<void> {
    while (this.#unreported().length > 0 && !this.#ctx.failed) {
      const waiting = [...this.#nexts].find((op) => !op.settled && op.due === undefined) ?? this.#next('none');
      const ok = await this.#ctx.until(() => waiting.settled || this.#unreported().length === 0,
        () => `watch: ${this.#unreported().join(', ')} made while the watcher was open, never reported`);
      if (!ok) return;
    }
  }

  async close(): Promise<void> {
    if (this.#watcher !== undefined && this.#state !== 'closed') this.#close();
  }
}
