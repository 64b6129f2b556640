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
  readonly #tickets: Ticket<T>[] = [];
  #cursor = 0;
  readonly #nextNumber: number[];
  /** Items known to have been posted (and not lost to a close). */
  #expected = 0;
  /** Items taken, in ticket order. */
  taken = 0;

  constructor(ctx: Context, name: string, decode: (value: T) => [number, number], posters: number) {
    this.#ctx = ctx;
    this.#name = name;
    this.#decode = decode;
    this.#nextNumber = new Array<number>(posters).fill(0);
  }

  /** `count` more items from `poster` are on their way in. */
  expect(_poster: number, count: number): void {
    this.#expected += count;
  }

  /** The resource is closing: what was posted and not taken may be dropped from now on. */
  closing(_posted: number): void {
    this.#expected = this.taken;
  }

  /** Calls in flight. */
  get waiting(): number {
    return this.#tickets.length - this.#cursor - this.#tickets.slice(this.#cursor).filter((t) => t.settled).length;
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
        this.#ctx.violate('data', `${this.#name}: item ${number} from ${poster === 0 ? 'this thread' : 'the helper thread'} came where item ${wanted} was due (${number > wanted ? 'lost' : 'repeated or reordered'})`);
      }
      this.#nextNumber[poster] = Math.max(wanted, number + 1);
      this.taken++;
    }
  }

  /** After each step: calls waiting while items they could take were posted must not wait on. */
  watch(): void {
    const stuck = this.waiting > 0 && this.#expected > this.taken;
    const hang = this.#ctx.pending.watch(`${this.#name}: undelivered`, stuck,
      () => `${this.#name}: ${this.waiting} call(s) wait while ${this.#expected - this.taken} posted item(s) were never delivered`);
    if (hang !== undefined) this.#ctx.violate('hang', hang);
  }

  /** Takes items until every one posted has come out. */
  async drain(name: string, call: () => Promise<T>, closed: () => boolean): Promise<void> {
    while (this.taken < this.#expected && !closed()) {
      if (this.waiting === 0) this.call(`${name}: drain`, {}, call(), { closed });
      const taken = this.taken;
      const ok = await this.#ctx.until(() => this.taken > taken || this.waiting === 0 || closed(),
        () => `${name}: ${this.#expected - this.taken} posted item(s) never delivered`);
      if (!ok) return;
    }
  }
}
