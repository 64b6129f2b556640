// What TCP and named pipes share: a connected pair per slot, two directions each checked byte by
// byte (../byte-stream.ts), one read and one write at a time per end (a second is a
// BusyResourceError, and a library that accepted it would be wrong), ends closed at random.
import type { Context } from '../context.ts';
import { ByteStream, patternBytes } from '../byte-stream.ts';
import type { AbortSpec, Dir, Side } from '../ops.ts';
import type { Holds, PendingOp } from '../pending.ts';
import { attempt } from '../outcomes.ts';

/** An end of a pair, as both families' objects are shaped. */
export interface StreamObject {
  read(buffer: Uint8Array, options?: { signal?: AbortSignal }): Promise<number>;
  write(data: Uint8Array, options?: { signal?: AbortSignal }): Promise<void>;
  close(): void;
}

export interface End<T extends StreamObject> {
  object: T;
  closed: boolean;
  reading: PendingOp | undefined;
  writing: PendingOp | undefined;
}

export class Pair<T extends StreamObject> {
  readonly name: string;
  readonly ends: [End<T>, End<T>];
  /** Direction 0 is end a writing to end b; 1 the reverse. */
  readonly streams: [ByteStream, ByteStream];

  constructor(name: string, a: T, b: T, tag: number, toleratesResumeDuplicates: boolean) {
    this.name = name;
    const end = (object: T): End<T> => ({ object, closed: false, reading: undefined, writing: undefined });
    this.ends = [end(a), end(b)];
    this.streams = [
      new ByteStream(tag * 2, `${name} a→b`, toleratesResumeDuplicates),
      new ByteStream(tag * 2 + 1, `${name} b→a`, toleratesResumeDuplicates),
    ];
  }

  /** Either end closed: lengths are no longer checked, only order. */
  get broken(): boolean {
    return this.ends[0].closed || this.ends[1].closed;
  }

  get fullyClosed(): boolean {
    return this.ends[0].closed && this.ends[1].closed;
  }
}

/** How one family's pairs differ. */
export interface StreamKind {
  /** What a read or write holds in the reactor. */
  holds: Holds;
  /** WinError codes a read may fail with, given the pair's state. */
  readCodes(pair: Pair<StreamObject>, dir: Dir): readonly string[];
  /** WinError codes a write may fail with. */
  writeCodes(pair: Pair<StreamObject>, dir: Dir): readonly string[];
  /** A write that failed with `error` (not an abort): how many of its bytes went, if that is known. */
  sentBeforeError(error: unknown, pair: Pair<StreamObject>, dir: Dir): number | undefined;
  /** The writer of `dir` has said it will send no more (TCP shutdown): the reader must see end of stream. */
  ended(pair: Pair<StreamObject>, dir: Dir): boolean;
}

/** The read, write and close operations of a stream family, and its checks. */
export class StreamPairs<T extends StreamObject> {
  readonly #ctx: Context;
  readonly #kind: StreamKind;
  readonly slots: (Pair<T> | undefined)[];
  #retiredDuplicates = 0;

  constructor(ctx: Context, kind: StreamKind, slots: number) {
    this.#ctx = ctx;
    this.#kind = kind;
    this.slots = new Array<Pair<T> | undefined>(slots).fill(undefined);
  }

  /**
   * `refused`: the family knows the write must fail at once, sending nothing (after a TCP
   * shutdown: WSAESHUTDOWN); `why` says so and `codes` are the WinErrors it may fail with.
   */
  write(pair: Pair<T>, dir: Dir, size: number, abort: AbortSpec, refused?: { why: string; codes: readonly string[] }): void {
    const ctx = this.#ctx;
    const writer = pair.ends[dir];
    const stream = pair.streams[dir];
    const what = `${stream.name}: write of ${size} B`;
    const armed = ctx.aborts.make(abort);
    const options = armed.signal ? { signal: armed.signal } : {};
    if (writer.writing !== undefined || writer.closed || refused !== undefined) {
      // Refused at once (BusyResourceError, ClosedResourceError, …): data that must never arrive.
      const closed = writer.closed;
      const busy = writer.writing !== undefined;
      const why = closed ? 'on a closed end' : busy ? 'while another write to the same end was in flight' : refused!.why;
      const poison = patternBytes(stream.tag ^ 0x5a5a5a, 0, size);
      const call = attempt(() => writer.object.write(poison, options));
      armed.afterCall();
      ctx.track(`${what} ${why}`, this.#kind.holds, call, {
        signal: armed.signal,
        onValue: () => ctx.violate('unexpected-result', `${what}: accepted ${why}`),
        allowed: { signal: armed.signal, write: true, busy, closed: () => closed, winCodes: () => refused?.codes ?? [] },
      });
      return;
    }
    const data = stream.beginWrite(size);
    const call = attempt(() => writer.object.write(data, options));
    armed.afterCall();
    armed.signal?.addEventListener('abort', () => {
      if (stream.inFlight !== undefined) stream.inFlight.aborting = true;
    }, { once: true });
    writer.writing = ctx.track(what, this.#kind.holds, call, {
      signal: armed.signal,
      onValue: () => {
        writer.writing = undefined;
        stream.endWrite(size, false);
        if (abort === 'pre') ctx.violate('unexpected-result', `${what}: resolved although its signal was aborted before the call`);
      },
      allowed: {
        signal: armed.signal,
        write: true,
        closed: () => writer.closed,
        winCodes: () => this.#kind.writeCodes(pair, dir),
      },
      onError: (error, ok) => {
        writer.writing = undefined;
        const bytesWritten = (error as { bytesWritten?: unknown }).bytesWritten;
        if (ok && typeof bytesWritten === 'number') {
          if (bytesWritten < 0 || bytesWritten > size) ctx.violate('data', `${what}: WriteAbortedError.bytesWritten ${bytesWritten} is outside 0..${size}`);
          if (abort === 'pre' && bytesWritten !== 0) ctx.violate('data', `${what}: its signal was aborted before the call, yet bytesWritten is ${bytesWritten}`);
          stream.endWrite(Math.min(Math.max(bytesWritten, 0), size), true);
        } else {
          stream.endWrite(ok ? this.#kind.sentBeforeError(error, pair, dir) : undefined, false);
        }
      },
    });
  }

  /** `pump`: the drain's reads, which must get the rest of the stream. */
  read(pair: Pair<T>, dir: Dir, size: number, abort: AbortSpec, pump = false): PendingOp | undefined {
    const ctx = this.#ctx;
    const reader = pair.ends[1 - dir]!;
    const stream = pair.streams[dir];
    const what = `${stream.name}: ${pump ? 'drain ' : ''}read into ${size} B`;
    const armed = ctx.aborts.make(abort);
    const options = armed.signal ? { signal: armed.signal } : {};
    const buffer = new Uint8Array(size);
    if (reader.reading !== undefined || reader.closed) {
      const closed = reader.closed;
      const call = attempt(() => reader.object.read(buffer, options));
      armed.afterCall();
      ctx.track(`${what}${closed ? ' on a closed end' : ' while another read was in flight'}`, this.#kind.holds, call, {
        signal: armed.signal,
        onValue: (n) => ctx.violate('unexpected-result', `${what}: resolved (${n} B) ${closed ? 'on a closed end' : 'while another read from the same end was in flight'}`),
        allowed: { signal: armed.signal, busy: !closed, closed: () => closed },
      });
      return undefined;
    }
    const call = attempt(() => reader.object.read(buffer, options));
    armed.afterCall();
    reader.reading = ctx.track(what, this.#kind.holds, call, {
      signal: armed.signal,
      onValue: (n) => {
        reader.reading = undefined;
        if (abort === 'pre') ctx.violate('unexpected-result', `${what}: resolved with ${n} B although its signal was aborted before the call`);
        if (!Number.isInteger(n) || n < 0 || n > size) {
          ctx.violate('unexpected-result', `${what}: resolved with ${n}, not a byte count in 0..${size}`);
          return;
        }
        if (n === 0) {
          if (this.#kind.ended(pair, dir) && !pair.broken) {
            const missing = stream.endOfStream();
            if (missing !== undefined) ctx.violate('data', missing);
          } else if (!pair.broken) {
            ctx.violate('unexpected-result', `${what}: end of stream (0 B), but the writer neither closed nor shut down`);
          }
          stream.sawEnd = true;
          return;
        }
        const wrong = stream.receive(buffer.subarray(0, n));
        if (wrong !== undefined) ctx.violate('data', wrong);
      },
      allowed: { signal: armed.signal, closed: () => reader.closed, winCodes: () => this.#kind.readCodes(pair, dir) },
      onError: () => {
        reader.reading = undefined;
      },
    });
    return reader.reading;
  }

  /** Closes one end: its operations end, and the pair is broken (both ends' operations become due). */
  closeEnd(pair: Pair<T>, side: Side): void {
    const end = pair.ends[side];
    if (end.closed) {
      end.object.close(); // idempotent: must not throw
      return;
    }
    end.closed = true;
    for (const stream of pair.streams) stream.broken = true;
    for (const e of pair.ends) {
      e.reading?.markDue(`${pair.name}: an end was closed`);
      e.writing?.markDue(`${pair.name}: an end was closed`);
    }
    end.object.close();
  }

  /** Closes both ends of the pair in `slot`, if any, and empties the slot. */
  retire(slot: number): void {
    const pair = this.slots[slot];
    if (pair === undefined) return;
    this.closeEnd(pair, 0);
    this.closeEnd(pair, 1);
    this.#retiredDuplicates += pair.streams[0].duplicates + pair.streams[1].duplicates;
    this.slots[slot] = undefined;
  }

  /** Times a reader re-read bytes of an aborted write that was resumed (tolerated only for pipes under Wine). */
  get duplicates(): number {
    return this.slots.reduce((sum, pair) => sum + (pair ? pair.streams[0].duplicates + pair.streams[1].duplicates : 0), this.#retiredDuplicates);
  }

  /** Reads that should have ended: data is there for them, or the stream ended, or the peer went. */
  check(): void {
    for (const pair of this.slots) {
      if (pair === undefined) continue;
      for (const dir of [0, 1] as const) {
        const reader = pair.ends[1 - dir]!;
        const stream = pair.streams[dir];
        if (reader.reading === undefined) continue;
        if (stream.committed > stream.position || (stream.inFlight !== undefined && !stream.inFlight.aborting)) {
          reader.reading.markDue(`${stream.name}: bytes were written that the reader has not had`);
        } else if (this.#kind.ended(pair, dir) && stream.caughtUp) {
          reader.reading.markDue(`${stream.name}: the writer shut down and everything was read (end of stream is due)`);
        }
      }
    }
  }

  /**
   * The drain: every direction of every unbroken pair is read until the reader has all the writer
   * committed and no write is in flight; one that the writer shut down, also to its end of stream.
   */
  async drain(): Promise<void> {
    const ctx = this.#ctx;
    await Promise.all(this.slots.flatMap((pair) => (pair === undefined || pair.broken ? [] : [0, 1] as const).map(async (dir) => {
      const p = pair!;
      const reader = p.ends[1 - dir]!;
      const stream = p.streams[dir];
      // Done at end of stream (its completeness was checked then, unless a failed write made the
      // length unknowable), or — a stream still open — once the reader has all the writer committed.
      const done = (): boolean => stream.sawEnd || (!this.#kind.ended(p, dir) && !stream.broken && stream.caughtUp && stream.inFlight === undefined);
      while (!done() && !p.broken && !ctx.failed) {
        if (reader.reading === undefined) this.read(p, dir, 65536, 'none', true);
        const reading = reader.reading;
        // Done may come while a read waits: the write in flight completes after its last bytes
        // were read (a pipe write completes once the reader took them). That read then waits on
        // for bytes nobody sends; the close at the end ends it.
        const settled = await ctx.until(() => reading === undefined || reading.settled || p.broken || done(), () => `${stream.name}: the drain's read did not complete (reader at ${stream.position}, writer committed ${stream.committed}${stream.inFlight ? `, a write of ${stream.inFlight.size} B in flight` : ''})`);
        if (!settled) return;
      }
    })));
  }

  close(): void {
    for (let slot = 0; slot < this.slots.length; slot++) this.retire(slot);
  }
}
