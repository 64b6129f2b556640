// Readiness waits armed and disarmed directly (waitReadable / waitWritable with random aborts) on
// a loopback pair of bare sockets, with bytes sent and drained underneath them. A second wait in
// the same direction is BusyResourceError; a writable wait on an idle connected socket ends; a
// readable wait ends while bytes wait to be read; recv gives back exactly the bytes sent.
import { winsock } from '../../../lib/index.ts';
import type { Context, Family } from '../context.ts';
import type { Op, Side } from '../ops.ts';
import { attempt } from '../outcomes.ts';
import type { PendingOp } from '../pending.ts';

interface Waiting {
  op: PendingOp;
  signal: AbortSignal | undefined;
}

export class RawFamily implements Family {
  readonly #ctx: Context;
  #sockets: [number, number] | undefined;
  /** Bytes sent to each side and not yet drained by it. */
  readonly #unread: [number, number] = [0, 0];
  /** Per side: the readable wait, the writable wait. */
  readonly #waits: [[Waiting | undefined, Waiting | undefined], [Waiting | undefined, Waiting | undefined]] = [[undefined, undefined], [undefined, undefined]];
  #closed = false;

  constructor(ctx: Context) {
    this.#ctx = ctx;
  }

  #pair(): [number, number] {
    this.#sockets ??= winsock.loopbackPair();
    return this.#sockets;
  }

  apply(op: Op): boolean {
    const ctx = this.#ctx;
    switch (op.kind) {
      case 'raw.wait': {
        const socket = this.#pair()[op.side];
        const direction = op.readable ? 0 : 1;
        const what = `raw ${'ab'[op.side]}: wait${op.readable ? 'Readable' : 'Writable'}`;
        const armed = ctx.aborts.make(op.abort);
        const options = armed.signal ? { signal: armed.signal } : {};
        const busy = this.#waits[op.side][direction] !== undefined;
        const call = attempt(() => (op.readable ? ctx.reactor.waitReadable(socket, options) : ctx.reactor.waitWritable(socket, options)));
        armed.afterCall();
        const waiting: Waiting = { op: undefined!, signal: armed.signal };
        waiting.op = ctx.track(what, { socket: true }, call, {
          signal: armed.signal,
          onValue: () => {
            if (!busy) this.#waits[op.side][direction] = undefined;
            if (busy) ctx.violate('unexpected-result', `${what}: resolved while another task waited on the socket the same way`);
            if (op.abort === 'pre') ctx.violate('unexpected-result', `${what}: resolved although its signal was aborted before the call`);
          },
          allowed: { signal: armed.signal, busy, closed: () => this.#closed },
          onError: () => {
            if (!busy) this.#waits[op.side][direction] = undefined;
          },
        });
        if (!busy) this.#waits[op.side][direction] = waiting;
        // An idle connected socket is writable (the little sent here never fills its buffers).
        if (!op.readable) waiting.op.markDue('an idle connected socket is writable');
        return true;
      }
      case 'raw.send': {
        const [a, b] = this.#pair();
        const from = op.side === 0 ? a : b;
        const sent = winsock.sendSome(from, new Uint8Array(op.size).fill(0x42));
        if (sent === null) ctx.violate('unexpected-result', `raw ${'ab'[op.side]}: a ${op.size}-byte send would block on an idle socket`);
        else this.#unread[(1 - op.side) as Side] += sent;
        return true;
      }
      case 'raw.drain': {
        const socket = this.#pair()[op.side];
        const buffer = new Uint8Array(4096);
        let got = 0;
        for (let n = winsock.recvSome(socket, buffer); n !== null && n > 0; n = winsock.recvSome(socket, buffer)) got += n;
        // Bytes sent on loopback may still be on their way: fewer than sent is fine, more is not.
        if (got > this.#unread[op.side]) ctx.violate('data', `raw ${'ab'[op.side]}: received ${got} B, but only ${this.#unread[op.side]} were sent to it`);
        this.#unread[op.side] = Math.max(0, this.#unread[op.side] - got);
        return true;
      }
      default:
        return false;
    }
  }

  check(): void {
    for (const side of [0, 1] as const) {
      const readable = this.#waits[side][0];
      const live = readable !== undefined && !readable.signal?.aborted;
      const hang = this.#ctx.pending.watch(`raw ${side} readable`, live && this.#unread[side] > 0,
        () => `raw ${'ab'[side]}: waitReadable did not end while ${this.#unread[side]} B waited to be read`);
      if (hang !== undefined) this.#ctx.violate('hang', hang);
    }
  }

  /** A readable wait still pending gets a byte to end it. */
  async drain(): Promise<void> {
    if (this.#sockets === undefined) return;
    for (const side of [0, 1] as const) {
      if (this.#waits[side][0] !== undefined && this.#unread[side] === 0) this.apply({ kind: 'raw.send', side: (1 - side) as Side, size: 1 });
    }
    await this.#ctx.until(() => this.#waits.every(([r]) => r === undefined || r.signal?.aborted === true),
      () => 'raw: a readable wait with a byte to read did not end');
  }

  async close(): Promise<void> {
    if (this.#sockets === undefined) return;
    this.#closed = true;
    for (const socket of this.#sockets) this.#ctx.reactor.notifyClosing(socket);
    winsock.closeQuietly(...this.#sockets);
    for (const side of this.#waits) for (const w of side) w?.op.markDue('its socket was closed');
  }
}
