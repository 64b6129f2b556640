// Files: overlapped reads and writes at random offsets, many in flight at once, with random
// aborts; the file closed under them; the handle handed to this same reactor. A model of the
// file's content says what each read must return: bytes written by a write that completed are
// known; a write that was aborted or failed leaves its range unknown (it may or may not have
// landed); a read skips bytes any write in flight during the read could have touched.
import { File } from '../../../lib/index.ts';
import path from 'node:path';
import type { Context, Family } from '../context.ts';
import type { AbortSpec, Op } from '../ops.ts';
import { attempt } from '../outcomes.ts';
import { patternBytes } from '../byte-stream.ts';
import type { PendingOp } from '../pending.ts';

/** Larger than any offset + size the generator makes. */
const CAPACITY = 262_144 + 65_536 + 1;

interface Range {
  from: number;
  to: number;
}

interface Model {
  file: File;
  closed: boolean;
  content: Uint8Array;
  /** 1 where the content is known. */
  known: Uint8Array;
  /** The file's size lies in [sizeLow, sizeHigh] (an aborted write may or may not have extended it). */
  sizeLow: number;
  sizeHigh: number;
  writes: Set<Range>;
  /** Each read in flight collects the ranges of the writes in flight during it. */
  reads: Set<Range[]>;
  ops: Set<PendingOp>;
}

export class FileFamily implements Family {
  readonly #ctx: Context;
  readonly #slots: (Model | undefined)[];
  #made = 0;

  constructor(ctx: Context, slots: number) {
    this.#ctx = ctx;
    this.#slots = new Array<Model | undefined>(slots).fill(undefined);
  }

  apply(op: Op, skip: () => void): boolean {
    switch (op.kind) {
      case 'file.open': {
        this.#closeSlot(op.slot);
        const file = File.open(this.#ctx.reactor, path.join(this.#ctx.dir, `file-${op.slot}-${this.#made++}.bin`), { mode: 'readwrite', disposition: 'create' });
        this.#slots[op.slot] = {
          file, closed: false, content: new Uint8Array(CAPACITY), known: new Uint8Array(CAPACITY).fill(1),
          sizeLow: 0, sizeHigh: 0, writes: new Set(), reads: new Set(), ops: new Set(),
        };
        return true;
      }
      case 'file.write':
      case 'file.read': {
        const model = this.#slots[op.slot];
        if (model === undefined) return skip(), true;
        if (op.kind === 'file.write') this.#write(op.slot, model, op.offset, op.size, op.abort);
        else this.#read(op.slot, model, op.offset, op.size, op.abort);
        return true;
      }
      case 'file.close': {
        const model = this.#slots[op.slot];
        if (model === undefined) return skip(), true;
        this.#close(model);
        return true;
      }
      case 'file.transfer': {
        const model = this.#slots[op.slot];
        // A closed file's handle value may already be another handle's: never passed on.
        if (model === undefined || model.closed) return skip(), true;
        const ctx = this.#ctx;
        const what = `file #${op.slot}: transferHandle to this reactor + adoptHandle`;
        const busy = model.ops.size > 0;
        ctx.track(what, {}, attempt(() => ctx.reactor.adoptHandle(ctx.reactor.transferHandle(model.file.handle, ctx.reactor.completionTarget()))), {
          onValue: () => {
            if (busy) ctx.violate('unexpected-result', `${what}: succeeded with operations pending on the handle`);
          },
          allowed: { busy },
        });
        return true;
      }
      default:
        return false;
    }
  }

  #write(slot: number, model: Model, offset: number, size: number, abort: AbortSpec): void {
    const ctx = this.#ctx;
    const what = `file #${slot}: write of ${size} B at ${offset}`;
    const data = patternBytes(0x7000 + this.#made++, 0, size);
    const range = { from: offset, to: offset + size };
    const closed = model.closed;
    const armed = ctx.aborts.make(abort);
    const call = attempt(() => model.file.write(data, offset, armed.signal ? { signal: armed.signal } : {}));
    armed.afterCall();
    model.writes.add(range);
    for (const dirty of model.reads) dirty.push(range);
    model.sizeHigh = Math.max(model.sizeHigh, range.to);
    const op = ctx.track(what, { overlapped: true }, call, {
      signal: armed.signal,
      onValue: (n) => {
        model.writes.delete(range);
        model.ops.delete(op);
        if (closed) ctx.violate('unexpected-result', `${what}: succeeded on a closed file`);
        if (abort === 'pre') ctx.violate('unexpected-result', `${what}: resolved although its signal was aborted before the call`);
        // A file takes a write whole; only a cancel racing it could leave fewer (then the rest is unknown).
        if (n !== size && !(armed.signal?.aborted && n >= 0 && n < size)) ctx.violate('unexpected-result', `${what}: resolved with ${n}, not ${size}`);
        model.content.set(data.subarray(0, n), offset);
        model.known.fill(1, offset, offset + n);
        model.known.fill(0, offset + n, range.to);
        model.sizeLow = Math.max(model.sizeLow, offset + n);
      },
      allowed: { signal: armed.signal, closed: () => model.closed },
      onError: () => {
        model.writes.delete(range);
        model.ops.delete(op);
        model.known.fill(0, range.from, range.to); // it may have landed, or not
      },
    });
    model.ops.add(op);
    op.markDue('file I/O completes by itself');
  }

  #read(slot: number, model: Model, offset: number, size: number, abort: AbortSpec): void {
    const ctx = this.#ctx;
    const what = `file #${slot}: read of ${size} B at ${offset}`;
    const buffer = new Uint8Array(size);
    const closed = model.closed;
    const dirty: Range[] = [...model.writes];
    const sizeLowAtStart = model.sizeLow;
    const armed = ctx.aborts.make(abort);
    const call = attempt(() => model.file.read(buffer, offset, armed.signal ? { signal: armed.signal } : {}));
    armed.afterCall();
    model.reads.add(dirty);
    const op = ctx.track(what, { overlapped: true }, call, {
      signal: armed.signal,
      onValue: (n) => {
        model.reads.delete(dirty);
        model.ops.delete(op);
        if (closed) ctx.violate('unexpected-result', `${what}: succeeded on a closed file`);
        if (abort === 'pre') ctx.violate('unexpected-result', `${what}: resolved with ${n} B although its signal was aborted before the call`);
        const high = Math.max(model.sizeHigh, ...dirty.map((r) => r.to));
        const clamp = (v: number): number => Math.min(Math.max(v - offset, 0), size);
        if (!Number.isInteger(n) || n < clamp(sizeLowAtStart) || n > clamp(high)) {
          ctx.violate('data', `${what}: resolved with ${n} B; the file's size was between ${sizeLowAtStart} and ${high}, so ${clamp(sizeLowAtStart)}..${clamp(high)} were possible`);
          return;
        }
        for (let i = 0; i < n; i++) {
          const at = offset + i;
          if (!model.known[at] || dirty.some((r) => r.from <= at && at < r.to)) continue;
          if (buffer[i] !== model.content[at]) {
            ctx.violate('data', `${what}: byte at file offset ${at} is ${buffer[i]}, the last completed write there put ${model.content[at]}`);
            return;
          }
        }
      },
      allowed: { signal: armed.signal, closed: () => model.closed },
      onError: () => {
        model.reads.delete(dirty);
        model.ops.delete(op);
      },
    });
    model.ops.add(op);
    op.markDue('file I/O completes by itself');
  }

  #close(model: Model): void {
    model.closed = true;
    for (const op of model.ops) op.markDue('its file was closed');
    model.file.close();
  }

  #closeSlot(slot: number): void {
    const model = this.#slots[slot];
    if (model !== undefined) this.#close(model);
    this.#slots[slot] = undefined;
  }

  check(): void {}

  /** Nothing: file operations were due from the start. */
  async drain(): Promise<void> {}

  async close(): Promise<void> {
    for (let slot = 0; slot < this.#slots.length; slot++) this.#closeSlot(slot);
  }
}
