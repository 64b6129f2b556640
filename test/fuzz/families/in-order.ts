// Deliveries from a queue-like resource (a key monitor, a channel): items numbered per poster go
// in, calls (`next()`, `receive()`) take them out. Each call gets a ticket; values are checked in
// ticket order, not in the order the promises settle — a call answered from the queue at once
// may be held to the next iteration for fairness while a later call, answered by the poll,
// resumes first, and both are right. Per poster the numbers must come 0, 1, 2, … with none lost
// or repeated; across posters any interleaving is fine.
import type { Context } from '../context.ts';
import type { Holds } from '../pending.ts';

interface Ticket<T> {
  settled: boolean;
  value: T | undefined;
}

export class InOrder<T> {
  readonly #ctx: Context;
  readonly #name: string;
  readonly #decode: (value: T) => [poster: number, number: number];
  readonly #posterName: (poster: number) => string;
  readonly #tickets: Ticket<T>[] = [];
  #cursor = 0;
  readonly #nextNumber: number[];
  /** Per poster: items known to have been posted (and not dropped by a close). */
  readonly #expected: number[];
  /** Per poster: items taken, in ticket order. */
  readonly #taken: number[];

  constructor(ctx: Context, name: string, decode: (value: T) => [number, number], posterNames: readonly string[]) {
    this.#ctx = ctx;
    this.#name = name;
    this.#decode = decode;
    this.#posterName = (poster) => posterNames[poster] ?? `poster ${poster}`;
    this.#nextNumber = posterNames.map(() => 0);
    this.#expected = posterNames.map(() => 0);
    this.#taken = posterNames.map(() => 0);
  }

  /** Items taken, all posters. */
  get taken(): number {
    return this.#taken.reduce((a, b) => a + b, 0);
  }

  /** `count` more items from `poster` are on their way in. */
  expect(poster: number, count: number): void {
    this.#expected[poster]! += count;
  }

  /** The resource is closing: what was posted and not taken may be dropped from now on. */
  closing(): void {
    for (let p = 0; p < this.#expected.length; p++) this.#expected[p] = this.#taken[p]!;
  }

  /** Calls in flight. */
  get waiting(): number {
    return this.#tickets.length - this.#cursor - this.#tickets.slice(this.#cursor).filter((t) => t.settled).length;
  }

  /** Posted and not taken: per poster. */
  #missing(): number[] {
    return this.#expected.map((e, p) => Math.max(0, e - this.#taken[p]!));
  }

  call(what: string, holds: Holds, promise: Promise<T>, options: { signal?: AbortSignal | undefined; closed: () => boolean; afterValue?: (value: T) => void }): void {
    const ticket: Ticket<T> = { settled: false, value: undefined };
    // Another call in flight may or may not make this one BusyResourceError: one answered from the
    // queue but held for fairness is no longer waiting.
    const busy = this.waiting > 0;
    this.#tickets.push(ticket);
    const op = this.#ctx.track(what, holds, promise, {
      signal: options.signal,
      onValue: (value) => {
        ticket.settled = true;
        ticket.value = value;
        options.afterValue?.(value);
        this.#advance();
      },
      allowed: { signal: options.signal, busy, closed: options.closed },
      onError: () => {
        ticket.settled = true;
        this.#advance();
      },
    });
    if (options.closed()) op.markDue('closed');
  }

  #advance(): void {
    while (this.#cursor < this.#tickets.length && this.#tickets[this.#cursor]!.settled) {
      const { value } = this.#tickets[this.#cursor++]!;
      if (value === undefined) continue;
      const [poster, number] = this.#decode(value);
      if (!(poster in this.#nextNumber)) {
        this.#ctx.violate('data', `${this.#name}: an item from poster ${poster}, which does not exist (${JSON.stringify(value)})`);
        continue;
      }
      const wanted = this.#nextNumber[poster]!;
      if (number !== wanted) {
        const lost = number > wanted;
        this.#ctx.violate('data', `${this.#name}: item ${number} from ${this.#posterName(poster)} came where item ${wanted} was due (${lost ? 'lost' : 'repeated or reordered'})`);
      }
      this.#nextNumber[poster] = Math.max(wanted, number + 1);
      this.#taken[poster]! += 1;
    }
  }

  /** After each step: calls waiting while items they could take were posted must not wait on. */
  watch(): void {
    const missing = this.#missing();
    const stuck = this.waiting > 0 && missing.some((m) => m > 0);
    const hang = this.#ctx.pending.watch(`${this.#name}: undelivered`, stuck,
      () => `${this.#name}: ${this.waiting} call(s) wait while posted item(s) were never delivered (${this.#describe(missing)})`);
    if (hang !== undefined) this.#ctx.violate('hang', hang);
  }

  #describe(missing: number[]): string {
    return missing.flatMap((m, p) => (m > 0 ? [`${m} from ${this.#posterName(p)}`] : [])).join(', ');
  }

  /** Takes items until every one posted has come out (a hang, by the usual rule, if one never does). */
  async drain(name: string, call: () => Promise<T>, closed: () => boolean): Promise<void> {
    for (;;) {
      const missing = this.#missing();
      if (!missing.some((m) => m > 0) || closed() || this.#ctx.failed) return;
      if (this.waiting === 0) this.call(`${name}: drain`, {}, call(), { closed });
      const taken = this.taken;
      const ok = await this.#ctx.until(() => this.taken > taken || this.waiting === 0 || closed(),
        () => `${name}: posted item(s) never delivered (${this.#describe(this.#missing())})`);
      if (!ok) return;
    }
  }
}
