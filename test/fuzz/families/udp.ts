// UDP sockets bound on loopback: datagrams between them (to closed ones too), receives with random
// maxSize and aborts, sockets closed at random. Each datagram says who sent it, its number and its
// size, and its payload is a pattern of those: a received datagram must be one that was sent to
// that socket, once, whole (or cut at maxSize with `truncated` set), from the right port. Loopback
// UDP may drop datagrams in principle, so none is required to arrive (a receive waiting while
// datagrams sent to it are unread must end, though).
import { UdpSocket, type Received } from '../../../lib/index.ts';
import type { Context, Family } from '../context.ts';
import type { AbortSpec, Op } from '../ops.ts';
import { attempt } from '../outcomes.ts';
import { patternBytes } from '../byte-stream.ts';
import type { PendingOp } from '../pending.ts';

const HEADER = 12;
const MAGIC = 0xf00d;

interface Model {
  /** Unique in the run (slots are reused): the sender's name in its datagrams. */
  id: number;
  socket: UdpSocket;
  port: number;
  closed: boolean;
  /** Datagrams sent to it and not yet received: `${from}:${n}` → size. */
  expected: Map<string, { size: number; fromPort: number }>;
  received: Set<string>;
  nextNumber: number;
  /** It sent to a closed socket's port: Windows reports the ICMP port-unreachable as WSAECONNRESET on its next receive. */
  sentToClosed: boolean;
  receives: Set<PendingOp>;
}

function datagram(from: number, n: number, size: number): Uint8Array {
  const data = patternBytes(from * 100_003 + n, 0, size);
  const view = new DataView(data.buffer);
  view.setUint16(0, MAGIC);
  view.setUint16(2, from);
  view.setUint32(4, n);
  view.setUint32(8, size);
  return data;
}

export class UdpFamily implements Family {
  readonly #ctx: Context;
  readonly #slots: (Model | undefined)[];
  #made = 0;

  constructor(ctx: Context, slots: number) {
    this.#ctx = ctx;
    this.#slots = new Array<Model | undefined>(slots).fill(undefined);
  }

  apply(op: Op, skip: () => void): boolean {
    switch (op.kind) {
      case 'udp.open': {
        const old = this.#slots[op.slot];
        if (old !== undefined && !old.closed) return skip(), true;
        const socket = UdpSocket.bind(this.#ctx.reactor);
        this.#slots[op.slot] = {
          id: this.#made++, socket, port: socket.address.port, closed: false, expected: new Map(), received: new Set(), nextNumber: 0, sentToClosed: false, receives: new Set(),
        };
        return true;
      }
      case 'udp.send': {
        const from = this.#slots[op.from];
        const to = this.#slots[op.to];
        if (from === undefined || to === undefined) return skip(), true;
        this.#send(op.from, from, to, op.size);
        return true;
      }
      case 'udp.receive': {
        const model = this.#slots[op.slot];
        if (model === undefined) return skip(), true;
        this.#receive(op.slot, model, op.maxSize, op.abort);
        return true;
      }
      case 'udp.close': {
        const model = this.#slots[op.slot];
        if (model === undefined) return skip(), true;
        this.#close(model);
        return true;
      }
      default:
        return false;
    }
  }

  #send(fromSlot: number, from: Model, to: Model, size: number): void {
    const ctx = this.#ctx;
    const n = from.nextNumber++;
    const key = `${from.id}:${n}`;
    const what = `udp #${fromSlot}: send ${size} B to :${to.port}`;
    const closed = from.closed;
    const toClosed = to.closed;
    ctx.track(what, {}, attempt(() => from.socket.send(datagram(from.id, n, size), '127.0.0.1', to.port)), {
      onValue: () => {
        if (closed) ctx.violate('unexpected-result', `${what}: succeeded on a closed socket`);
        if (toClosed) from.sentToClosed = true;
        else to.expected.set(key, { size, fromPort: from.port });
      },
      // A full send buffer is an error, not a wait (UDP has no backpressure).
      allowed: { closed: () => closed, winCodes: () => ['WSAEWOULDBLOCK'] },
    });
  }

  #receive(slot: number, model: Model, maxSize: number, abort: AbortSpec): void {
    const ctx = this.#ctx;
    const what = `udp #${slot}: receive (maxSize ${maxSize})`;
    const armed = ctx.aborts.make(abort);
    const closed = model.closed;
    // Another receive in flight may refuse this one (BusyResourceError), or may be past its wait.
    const busy = model.receives.size > 0;
    const call = attempt(() => model.socket.receive({ maxSize, ...(armed.signal ? { signal: armed.signal } : {}) }));
    armed.afterCall();
    const op = ctx.track(what, { socket: true }, call, {
      signal: armed.signal,
      onValue: (got) => {
        model.receives.delete(op);
        if (closed) ctx.violate('unexpected-result', `${what}: resolved on a closed socket`);
        if (abort === 'pre') ctx.violate('unexpected-result', `${what}: resolved although its signal was aborted before the call`);
        this.#check(what, model, got, maxSize);
      },
      allowed: { signal: armed.signal, busy, closed: () => model.closed, winCodes: () => (model.sentToClosed ? ['WSAECONNRESET'] : []) },
      onError: () => {
        model.receives.delete(op);
      },
    });
    model.receives.add(op);
  }

  #check(what: string, model: Model, got: Received, maxSize: number): void {
    const ctx = this.#ctx;
    const data = got.data;
    if (data.length > maxSize) return ctx.violate('data', `${what}: ${data.length} B, more than maxSize`);
    if (data.length < HEADER) {
      if (!got.truncated) ctx.violate('data', `${what}: a ${data.length}-byte datagram, shorter than any sent, not marked truncated`);
      return; // cut before its header: cannot say which it was
    }
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const from = view.getUint16(2);
    const n = view.getUint32(4);
    const size = view.getUint32(8);
    const key = `${from}:${n}`;
    const sent = model.expected.get(key);
    if (view.getUint16(0) !== MAGIC || sent === undefined || sent.size !== size) {
      return ctx.violate('data', `${what}: datagram ${key} (${size} B) was ${model.received.has(key) ? 'received twice' : 'never sent to this socket'}`);
    }
    model.expected.delete(key);
    model.received.add(key);
    if (got.truncated !== size > maxSize || data.length !== Math.min(size, maxSize)) {
      ctx.violate('data', `${what}: datagram ${key} of ${size} B came as ${data.length} B, truncated ${got.truncated}`);
    }
    if (!Buffer.from(data).equals(Buffer.from(datagram(from, n, size).subarray(0, data.length)))) ctx.violate('data', `${what}: datagram ${key}'s bytes are not what was sent`);
    if (got.address !== '127.0.0.1' || got.port !== sent.fromPort) ctx.violate('data', `${what}: datagram ${key} from ${got.address}:${got.port}, sent from 127.0.0.1:${sent.fromPort}`);
  }

  #close(model: Model): void {
    model.closed = true;
    for (const op of model.receives) op.markDue('its socket was closed');
    model.socket.close();
  }

  check(): void {
    this.#slots.forEach((model, slot) => {
      if (model === undefined || model.closed) return;
      const hang = this.#ctx.pending.watch(`udp #${slot} receive`, model.receives.size > 0 && model.expected.size > 0,
        () => `udp #${slot}: a receive waits while ${model.expected.size} datagram(s) sent to it were not received`);
      if (hang !== undefined) this.#ctx.violate('hang', hang);
    });
  }

  async drain(): Promise<void> {}

  async close(): Promise<void> {
    for (const model of this.#slots) if (model !== undefined && !model.closed) this.#close(model);
  }
}
