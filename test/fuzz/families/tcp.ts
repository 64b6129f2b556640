// TCP: pairs of TcpStreams made by listen + accept + connect or by winsock.loopbackPair; writes
// and reads of random sizes with random aborts, shutdowns, ends closed at random, release(), and
// accepts on a listener nobody connects to (ended by an abort or by closing the listener).
import { TcpListener, TcpStream, winsock } from '../../../lib/index.ts';
import type { Context, Family } from '../context.ts';
import type { AbortSpec, Dir, Op } from '../ops.ts';
import { attempt } from '../outcomes.ts';
import { Pair, StreamPairs, type StreamKind, type StreamObject } from './stream-pairs.ts';

const SMALL_BUFFER = 4096;

/** Winsock errors a peer that closed (or reset) can cause. */
const PEER_GONE = ['WSAECONNRESET', 'WSAECONNABORTED'];

export class TcpFamily implements Family {
  readonly #ctx: Context;
  readonly #pairs: StreamPairs<TcpStream>;
  /** Per pair, per direction: the writer has called shutdownWrite. */
  readonly #shut = new WeakMap<object, [boolean, boolean]>();
  readonly #opening = new Set<number>();
  readonly #listeners = new Set<TcpListener>();
  #made = 0;

  constructor(ctx: Context, slots: number) {
    this.#ctx = ctx;
    const shut = this.#shut;
    const kind: StreamKind = {
      holds: { socket: true },
      readCodes: (pair) => (pair.broken ? PEER_GONE : []),
      writeCodes: (pair, dir) => [...(pair.broken ? PEER_GONE : []), ...(shut.get(pair)?.[dir] ? ['WSAESHUTDOWN'] : [])],
      sentBeforeError: () => undefined, // a send failed part-way: how much went before is not reported
      ended: (pair, dir) => shut.get(pair)?.[dir] === true,
    };
    this.#pairs = new StreamPairs<TcpStream>(ctx, kind, slots);
  }

  apply(op: Op, skip: () => void): boolean {
    const ctx = this.#ctx;
    switch (op.kind) {
      case 'tcp.open':
        if (this.#opening.has(op.slot)) return skip(), true;
        this.#pairs.retire(op.slot);
        if (op.via === 'pair') {
          const [a, b] = winsock.loopbackPair();
          this.#install(op.slot, new TcpStream(ctx.reactor, a), new TcpStream(ctx.reactor, b), op.smallBuffers);
        } else {
          this.#connect(op.slot, op.smallBuffers);
        }
        return true;
      case 'tcp.write': {
        const pair = this.#pairs.slots[op.slot];
        if (pair === undefined) return skip(), true;
        const refused = this.#shut.get(pair)![op.dir] && !pair.ends[op.dir].closed ? { why: 'after shutdownWrite', codes: ['WSAESHUTDOWN', ...PEER_GONE] } : undefined;
        this.#pairs.write(pair, op.dir, op.size, op.abort, refused);
        return true;
      }
      case 'tcp.read': {
        const pair = this.#pairs.slots[op.slot];
        if (pair === undefined) return skip(), true;
        this.#pairs.read(pair, op.dir, op.size, op.abort);
        return true;
      }
      case 'tcp.shutdown': {
        const pair = this.#pairs.slots[op.slot];
        if (pair === undefined) return skip(), true;
        this.#shutdown(pair, op.dir);
        return true;
      }
      case 'tcp.close': {
        const pair = this.#pairs.slots[op.slot];
        if (pair === undefined) return skip(), true;
        this.#pairs.closeEnd(pair, op.side);
        return true;
      }
      case 'tcp.release': {
        const pair = this.#pairs.slots[op.slot];
        // A closed end's socket value may already be another socket's: never passed on.
        if (pair === undefined || pair.ends[op.side].closed) return skip(), true;
        const end = pair.ends[op.side];
        const what = `tcp #${op.slot} end ${'ab'[op.side]}: reactor.release(socket)`;
        // A socket wait in flight refuses it (BusyResourceError); a read or write in flight may be
        // between waits (past its recv, deferred for fairness), so it need not.
        const mayBeBusy = end.reading !== undefined || end.writing !== undefined;
        ctx.track(what, {}, attempt(() => ctx.reactor.release(end.object.socket)), {
          onValue: (socket) => {
            if (socket !== end.object.socket) ctx.violate('unexpected-result', `${what}: returned ${socket}, not the socket ${end.object.socket}`);
          },
          allowed: { busy: mayBeBusy },
        });
        return true;
      }
      case 'tcp.accept':
        this.#idleAccept(op.abort, op.closeAfter);
        return true;
      default:
        return false;
    }
  }

  /** `smallBuffers`: 4 KiB send and receive buffers, so that writes wait for room and aborts cut them part-way. */
  #install(slot: number, a: TcpStream, b: TcpStream, smallBuffers: boolean): void {
    if (smallBuffers) {
      for (const stream of [a, b]) {
        winsock.setIntOption(stream.socket, winsock.SOL_SOCKET, winsock.SO_SNDBUF, SMALL_BUFFER);
        winsock.setIntOption(stream.socket, winsock.SOL_SOCKET, winsock.SO_RCVBUF, SMALL_BUFFER);
      }
    }
    const pair = new Pair<TcpStream>(`tcp #${slot}.${this.#made}`, a, b, 1000 + this.#made++, false);
    this.#shut.set(pair, [false, false]);
    this.#pairs.slots[slot] = pair;
  }

  /** listen, accept + connect; the pair is in its slot once both ends are there (the listener then closes). */
  #connect(slot: number, smallBuffers: boolean): void {
    const ctx = this.#ctx;
    this.#opening.add(slot);
    const listener = TcpListener.listen(ctx.reactor);
    this.#listeners.add(listener);
    let client: TcpStream | undefined;
    let server: TcpStream | undefined;
    const accepting = ctx.track(`tcp #${slot}: accept`, { socket: true }, listener.accept(), {
      onValue: (stream) => {
        server = stream;
      },
      allowed: { closed: () => listener.closed },
    });
    const connecting = ctx.track(`tcp #${slot}: connect to 127.0.0.1:${listener.address.port}`, { socket: true, timer: true },
      TcpStream.connect(ctx.reactor, '127.0.0.1', listener.address.port, { timeoutMs: 60_000 }), {
        onValue: (stream) => {
          client = stream;
        },
        allowed: {},
      });
    // A loopback connect to a listening socket completes at once, and so does its accept.
    accepting.markDue('a client connects to the listener');
    connecting.markDue('the listener accepts');
    void Promise.allSettled([accepting.done, connecting.done]).then(() => {
      this.#opening.delete(slot);
      listener.close();
      this.#listeners.delete(listener);
      if (client !== undefined && server !== undefined && this.#pairs.slots[slot] === undefined) this.#install(slot, client, server, smallBuffers);
      else {
        client?.close();
        server?.close();
      }
    });
  }

  #shutdown(pair: Pair<StreamObject>, dir: Dir): void {
    const ctx = this.#ctx;
    const end = pair.ends[dir];
    const what = `${pair.streams[dir].name}: shutdownWrite`;
    const closed = end.closed;
    const broken = pair.broken;
    ctx.track(what, {}, attempt(() => (end.object as TcpStream).shutdownWrite()), {
      onValue: () => {
        if (closed) ctx.violate('unexpected-result', `${what}: succeeded on a closed end`);
        this.#shut.get(pair)![dir] = true;
      },
      allowed: { closed: () => closed, winCodes: () => (broken ? [...PEER_GONE, 'WSAENOTCONN'] : []) },
    });
  }

  /** An accept on a fresh listener nobody connects to: it must end by its abort or by the listener's close, never resolve. */
  #idleAccept(abort: AbortSpec, closeAfter: number): void {
    const ctx = this.#ctx;
    const listener = TcpListener.listen(ctx.reactor);
    this.#listeners.add(listener);
    const armed = ctx.aborts.make(abort);
    const what = `tcp: accept on listener :${listener.address.port} (no client)`;
    const call = attempt(() => listener.accept(armed.signal ? { signal: armed.signal } : {}));
    armed.afterCall();
    const accepting = ctx.track(what, { socket: true }, call, {
      signal: armed.signal,
      onValue: (stream) => {
        ctx.violate('unexpected-result', `${what}: resolved, but nobody connected`);
        stream.close();
      },
      allowed: { signal: armed.signal, closed: () => listener.closed },
    });
    ctx.later(closeAfter, () => {
      listener.close();
      this.#listeners.delete(listener);
      accepting.markDue('its listener was closed');
    });
  }

  check(): void {
    this.#pairs.check();
  }

  drain(): Promise<void> {
    return this.#pairs.drain();
  }

  async close(): Promise<void> {
    this.#pairs.close();
    for (const listener of this.#listeners) listener.close();
    this.#listeners.clear();
  }
}

