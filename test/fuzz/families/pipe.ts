// Named pipes: a server and a connected pair per slot; writes and reads of random sizes with
// random aborts, ends closed at random, extra accepts and extra clients (some of which hang up
// before they are accepted), the server closed under them, a connect to a name nobody serves, and
// ends handed to this same reactor with transferHandle + adoptHandle (emulated under Wine 8).
//
// Under Wine a cancelled pipe write reports 0 bytes even when the peer already read part of it;
// resuming at `bytesWritten` then duplicates what was read (docs/wine.md, issue #22 item 7). The
// byte checks tolerate exactly that, and count it (../byte-stream.ts).
import { NamedPipe, NamedPipeServer } from '../../../lib/index.ts';
import type { Context, Family } from '../context.ts';
import type { AbortSpec, Op, Side } from '../ops.ts';
import type { PendingOp } from '../pending.ts';
import { attempt } from '../outcomes.ts';
import { Pair, StreamPairs, type StreamKind } from './stream-pairs.ts';

/** How long an extra client retries while the server has no listening instance. */
const CONNECT_TIMEOUT_MS = 5000;

/** What a pipe whose peer has gone reports. */
const PEER_GONE = ['ERROR_NO_DATA', 'ERROR_BROKEN_PIPE', 'ERROR_PIPE_NOT_CONNECTED'];

interface Server {
  server: NamedPipeServer;
  closed: boolean;
  /** An accept in flight (the pair's, or an extra one). */
  accepting: PendingOp | undefined;
  /**
   * Clients that connected to the listening instance, oldest first, not yet taken by an accept:
   * `client` undefined for one that hung up at once (it is accepted all the same, docs/api.md).
   */
  connected: { client: NamedPipe | undefined }[];
}

export class PipeFamily implements Family {
  readonly #ctx: Context;
  readonly #pairs: StreamPairs<NamedPipe>;
  readonly #servers: (Server | undefined)[];
  readonly #opening = new Set<number>();
  /** Ends made outside a pair (extra clients, their accepted ends), closed at the end. */
  readonly #extras = new Set<NamedPipe>();
  #made = 0;

  constructor(ctx: Context, slots: number) {
    this.#ctx = ctx;
    const kind: StreamKind = {
      holds: { overlapped: true },
      readCodes: (pair) => (pair.broken ? PEER_GONE : []),
      writeCodes: (pair) => (pair.broken ? PEER_GONE : []),
      sentBeforeError: () => undefined,
      ended: () => false,
    };
    this.#pairs = new StreamPairs<NamedPipe>(ctx, kind, slots);
    this.#servers = new Array<Server | undefined>(slots).fill(undefined);
  }

  apply(op: Op, skip: () => void): boolean {
    switch (op.kind) {
      case 'pipe.open':
        if (this.#opening.has(op.slot)) return skip(), true;
        this.#open(op.slot);
        return true;
      case 'pipe.write':
      case 'pipe.read': {
        const pair = this.#pairs.slots[op.slot];
        if (pair === undefined) return skip(), true;
        if (op.kind === 'pipe.write') this.#pairs.write(pair, op.dir, op.size, op.abort);
        else this.#pairs.read(pair, op.dir, op.size, op.abort);
        return true;
      }
      case 'pipe.close': {
        const pair = this.#pairs.slots[op.slot];
        if (pair === undefined) return skip(), true;
        this.#pairs.closeEnd(pair, op.side);
        return true;
      }
      case 'pipe.accept': {
        const server = this.#servers[op.slot];
        if (server === undefined) return skip(), true;
        this.#accept(op.slot, server, op.abort);
        return true;
      }
      case 'pipe.connect': {
        const server = this.#servers[op.slot];
        if (server === undefined) return skip(), true;
        this.#connectExtra(op.slot, server, op.hangUp);
        return true;
      }
      case 'pipe.serverClose': {
        const server = this.#servers[op.slot];
        if (server === undefined) return skip(), true;
        server.closed = true;
        server.server.close();
        server.accepting?.markDue('the pipe server was closed');
        return true;
      }
      case 'pipe.missing': {
        const ctx = this.#ctx;
        const name = `winmux-fuzz-missing-${ctx.runId}-${this.#made++}`;
        const what = `pipe: connect to ${name}, which nobody serves`;
        ctx.track(what, { timer: true }, attempt(() => NamedPipe.connect(ctx.reactor, name)), {
          onValue: (pipe) => {
            ctx.violate('unexpected-result', `${what}: connected`);
            pipe.close();
          },
          allowed: { winCodes: () => ['ERROR_FILE_NOT_FOUND'] },
        }).markDue('a missing pipe fails at once');
        return true;
      }
      case 'pipe.transfer': {
        const pair = this.#pairs.slots[op.slot];
        // A closed end's handle value may already be another handle's: never passed on.
        if (pair === undefined || pair.ends[op.side].closed) return skip(), true;
        this.#transfer(pair, op.side);
        return true;
      }
      default:
        return false;
    }
  }

  /** A new server (the slot's old pair and server close), accept + connect; the pair is in its slot once both ends are there. */
  #open(slot: number): void {
    const ctx = this.#ctx;
    this.#pairs.retire(slot);
    this.#closeServer(slot);
    const n = this.#made++;
    const name = `winmux-fuzz-${ctx.runId}-${slot}-${n}`;
    const entry: Server = { server: new NamedPipeServer(ctx.reactor, name), closed: false, accepting: undefined, connected: [] };
    this.#servers[slot] = entry;
    this.#opening.add(slot);
    let client: NamedPipe | undefined;
    let accepted: NamedPipe | undefined;
    const accepting = ctx.track(`pipe #${slot}: accept`, { overlapped: true }, entry.server.accept(), {
      onValue: (pipe) => {
        accepted = pipe;
      },
      allowed: { closed: () => entry.closed },
      onError: () => {},
    });
    entry.accepting = accepting;
    const connecting = ctx.track(`pipe #${slot}: connect to ${name}`, { timer: true }, NamedPipe.connect(ctx.reactor, name), {
      onValue: (pipe) => {
        client = pipe;
      },
      allowed: { winCodes: () => (entry.closed ? ['ERROR_FILE_NOT_FOUND'] : []) },
    });
    accepting.markDue('a client connects');
    connecting.markDue('the server listens');
    void Promise.allSettled([accepting.done, connecting.done]).then(() => {
      this.#opening.delete(slot);
      if (entry.accepting === accepting) entry.accepting = undefined;
      if (client !== undefined && accepted !== undefined && this.#pairs.slots[slot] === undefined) {
        this.#pairs.slots[slot] = new Pair<NamedPipe>(`pipe #${slot}.${n}`, client, accepted, 5000 + n, this.#ctx.wine);
      } else {
        client?.close();
        accepted?.close();
      }
    });
  }

  #closeServer(slot: number): void {
    const entry = this.#servers[slot];
    if (entry === undefined) return;
    entry.closed = true;
    entry.server.close();
    entry.accepting?.markDue('the pipe server was closed');
    for (const { client } of entry.connected) client?.close();
    entry.connected = [];
    this.#servers[slot] = undefined;
  }

  /** An extra accept: resolves only when a client connected (it and its client are then closed). */
  #accept(slot: number, entry: Server, abort: AbortSpec): void {
    const ctx = this.#ctx;
    const what = `pipe #${slot}: extra accept`;
    const armed = ctx.aborts.make(abort);
    const busy = entry.accepting !== undefined;
    const closed = entry.closed;
    const call = attempt(() => entry.server.accept(armed.signal ? { signal: armed.signal } : {}));
    armed.afterCall();
    const op = ctx.track(what, { overlapped: true }, call, {
      signal: armed.signal,
      onValue: (pipe) => {
        if (entry.accepting === op) entry.accepting = undefined;
        const taken = entry.connected.shift();
        if (taken === undefined) ctx.violate('unexpected-result', `${what}: resolved, but no client had connected`);
        if (taken?.client !== undefined) {
          taken.client.close();
          this.#extras.delete(taken.client);
        }
        pipe.close();
        if (busy || closed) ctx.violate('unexpected-result', `${what}: resolved ${busy ? 'while another accept was in flight' : 'on a closed server'}`);
      },
      allowed: { signal: armed.signal, busy, closed: () => entry.closed },
      onError: () => {
        if (entry.accepting === op) entry.accepting = undefined;
      },
    });
    if (!busy && !closed) entry.accepting = op;
    if (entry.connected.length > 0) op.markDue('a client had connected');
  }

  /** Another client for the server's listening instance; with `hangUp`, closed again at once. */
  #connectExtra(slot: number, entry: Server, hangUp: boolean): void {
    const ctx = this.#ctx;
    const what = `pipe #${slot}: connect another client${hangUp ? ' (hangs up)' : ''}`;
    // The listening instance may be taken by a client not yet accepted: ERROR_PIPE_BUSY after
    // the timeout. A closed server has no listening instance (its pair's instance is connected).
    // Otherwise the server makes a fresh instance as soon as an accept has its client, which may
    // take a while when that packet waits for the IOCP worker thread to start (50–190 ms under
    // Wine, more under load): the timeout is long enough for that.
    const occupied = entry.connected.length > 0 || entry.closed;
    ctx.track(what, { timer: true }, attempt(() => NamedPipe.connect(ctx.reactor, entry.server.path, { timeoutMs: CONNECT_TIMEOUT_MS })), {
      onValue: (client) => {
        if (hangUp || entry.closed) client.close();
        else this.#extras.add(client);
        if (!entry.closed) entry.connected.push({ client: hangUp ? undefined : client });
        entry.accepting?.markDue('a client connected');
      },
      allowed: { winCodes: () => (occupied || entry.closed ? ['ERROR_PIPE_BUSY', 'ERROR_FILE_NOT_FOUND'] : []) },
    });
  }

  /** transferHandle to this reactor's own target, then adoptHandle: the end goes on (emulated where the OS cannot detach it). */
  #transfer(pair: Pair<NamedPipe>, side: Side): void {
    const ctx = this.#ctx;
    const end = pair.ends[side];
    const what = `${pair.name} end ${'ab'[side]}: transferHandle to this reactor + adoptHandle`;
    const busy = end.reading !== undefined || end.writing !== undefined;
    ctx.track(what, {}, attempt(() => ctx.reactor.adoptHandle(ctx.reactor.transferHandle(end.object.handle, ctx.reactor.completionTarget()))), {
      onValue: (mode) => {
        if (mode !== 'native' && mode !== 'emulated') ctx.violate('unexpected-result', `${what}: adoptHandle returned ${String(mode)}`);
        if (busy) ctx.violate('unexpected-result', `${what}: succeeded with operations pending on the handle`);
      },
      allowed: { busy },
    });
  }

  check(): void {
    this.#pairs.check();
  }

  counters(): Record<string, number> {
    return { pipeResumeDuplicates: this.#pairs.duplicates };
  }

  drain(): Promise<void> {
    return this.#pairs.drain();
  }

  async close(): Promise<void> {
    this.#pairs.close();
    for (let slot = 0; slot < this.#servers.length; slot++) this.#closeServer(slot);
    for (const pipe of this.#extras) pipe.close();
    this.#extras.clear();
  }
}
