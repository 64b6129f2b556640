// The operation log for a seed: a pure function of (seed, count), so a seed names its log in
// every mode and on every machine. The generator keeps a small model of which slots it has opened
// and not yet closed, to make mostly operations that apply; it never looks at the real run
// (whose outcomes depend on timing). A few operations go to closed or empty slots on purpose:
// calls on a closed resource must fail with ClosedResourceError.
import { Prng } from './prng.ts';
import type { AbortSpec, Dir, From, Op, Side } from './ops.ts';

export const SLOTS = { tcp: 3, udp: 3, pipe: 2, file: 2, key: 2, event: 2 } as const;

type Family = 'tcp' | 'raw' | 'udp' | 'pipe' | 'file' | 'watch' | 'key' | 'event' | 'child' | 'timer' | 'soon' | 'chan';

/** Each family's share of the operations, before a seed's own emphasis (below). */
const FAMILY_WEIGHTS: Record<Family, number> = {
  tcp: 20, raw: 6, udp: 8, pipe: 16, file: 10, watch: 6, key: 8, event: 8, child: 2, timer: 7, soon: 3, chan: 7,
};

/** Every family, by the prefix of its operations' kinds (`tcp.open` is tcp's). */
export const FAMILIES = Object.keys(FAMILY_WEIGHTS) as readonly Family[];

interface Model {
  open: Record<keyof typeof SLOTS, boolean[]>;
  watch: boolean;
  child: boolean;
  chan: boolean;
}

function abortSpec(rng: Prng): AbortSpec {
  return rng.weighted<() => AbortSpec>([
    [() => 'none', 35],
    [() => 'pre', 8],
    [() => 'now', 10],
    [() => ({ steps: rng.int(1, 8) }), 27],
    [() => ({ ms: rng.int(0, 30) }), 20],
  ])();
}

/** A slot: an open one most of the time (if there is one), else any. */
function slotOf(rng: Prng, open: boolean[]): number {
  const live = open.flatMap((o, i) => (o ? [i] : []));
  return live.length > 0 && rng.chance(0.9) ? rng.pick(live) : rng.int(0, open.length - 1);
}

const dir = (rng: Prng): Dir => rng.int(0, 1) as Dir;
const side = (rng: Prng): Side => rng.int(0, 1) as Side;
const from = (rng: Prng): From => (rng.chance(0.5) ? 'main' : 'thread');

/** A stream family's operation (TCP and pipes share the shape). */
function streamOp(rng: Prng, model: Model, family: 'tcp' | 'pipe'): Op {
  const open = model.open[family];
  const slot = slotOf(rng, open);
  if (!open[slot] && rng.chance(0.8)) {
    open[slot] = true;
    return family === 'tcp' ? { kind: 'tcp.open', slot, via: rng.chance(0.6) ? 'connect' : 'pair', smallBuffers: rng.chance(0.5) } : { kind: 'pipe.open', slot };
  }
  const size = rng.size(4096, family === 'tcp' ? 300_000 : 200_000);
  const kind = rng.weighted<string>([['write', 34], ['read', 40], ['close', 4], ['extra', 10], ['special', 6]]);
  if (kind === 'write') return { kind: `${family}.write`, slot, dir: dir(rng), size, abort: abortSpec(rng) } as Op;
  if (kind === 'read') return { kind: `${family}.read`, slot, dir: dir(rng), size: rng.size(8192, 131_072), abort: abortSpec(rng) } as Op;
  if (kind === 'close') {
    open[slot] = false;
    return { kind: `${family}.close`, slot, side: side(rng) } as Op;
  }
  if (family === 'tcp') {
    if (kind === 'extra') return rng.chance(0.5) ? { kind: 'tcp.shutdown', slot, dir: dir(rng) } : { kind: 'tcp.accept', abort: abortSpec(rng), closeAfter: rng.int(1, 10) };
    return { kind: 'tcp.release', slot, side: side(rng) };
  }
  if (kind === 'extra') {
    return rng.weighted<() => Op>([
      [() => ({ kind: 'pipe.accept', slot, abort: abortSpec(rng) }), 4],
      [() => ({ kind: 'pipe.connect', slot, hangUp: rng.chance(0.3) }), 3],
      [() => ({ kind: 'pipe.missing' }), 1],
      [() => ({ kind: 'pipe.serverClose', slot }), 1],
    ])();
  }
  return { kind: 'pipe.transfer', slot, side: side(rng) };
}

function familyOp(rng: Prng, model: Model, family: Family): Op {
  switch (family) {
    case 'tcp':
    case 'pipe':
      return streamOp(rng, model, family);
    case 'raw':
      return rng.weighted<() => Op>([
        [() => ({ kind: 'raw.wait', side: side(rng), readable: rng.chance(0.7), abort: abortSpec(rng) }), 5],
        [() => ({ kind: 'raw.send', side: side(rng), size: rng.int(1, 100) }), 3],
        [() => ({ kind: 'raw.drain', side: side(rng) }), 2],
      ])();
    case 'udp': {
      const open = model.open.udp;
      const slot = slotOf(rng, open);
      if (!open[slot] && rng.chance(0.8)) {
        open[slot] = true;
        return { kind: 'udp.open', slot };
      }
      return rng.weighted<() => Op>([
        [() => ({ kind: 'udp.send', from: slot, to: slotOf(rng, open), size: rng.int(12, 1400) }), 10],
        [() => ({ kind: 'udp.receive', slot, maxSize: rng.chance(0.8) ? 2048 : rng.int(1, 1400), abort: abortSpec(rng) }), 9],
        [() => {
          open[slot] = false;
          return { kind: 'udp.close', slot };
        }, 1],
      ])();
    }
    case 'file': {
      const open = model.open.file;
      const slot = slotOf(rng, open);
      if (!open[slot] && rng.chance(0.8)) {
        open[slot] = true;
        return { kind: 'file.open', slot };
      }
      const offset = rng.chance(0.3) ? rng.int(0, 4096) : rng.int(0, 262_144);
      return rng.weighted<() => Op>([
        [() => ({ kind: 'file.write', slot, offset, size: rng.size(4096, 65_536), abort: abortSpec(rng) }), 10],
        [() => ({ kind: 'file.read', slot, offset, size: rng.size(4096, 65_536), abort: abortSpec(rng) }), 10],
        [() => ({ kind: 'file.transfer', slot }), 1],
        [() => {
          open[slot] = false;
          return { kind: 'file.close', slot };
        }, 1],
      ])();
    }
    case 'watch':
      if (!model.watch && rng.chance(0.8)) {
        model.watch = true;
        return { kind: 'watch.open' };
      }
      return rng.weighted<() => Op>([
        [() => ({ kind: 'watch.create' }), 8],
        [() => ({ kind: 'watch.rename', pick: rng.int(0, 20) }), 3],
        [() => ({ kind: 'watch.next', abort: abortSpec(rng) }), 8],
        [() => ({ kind: 'watch.transfer' }), 1],
        [() => {
          model.watch = false;
          return { kind: 'watch.close' };
        }, 1],
      ])();
    case 'key': {
      const open = model.open.key;
      const slot = slotOf(rng, open);
      if (!open[slot] && rng.chance(0.8)) {
        open[slot] = true;
        return { kind: 'key.open', slot };
      }
      return rng.weighted<() => Op>([
        [() => ({ kind: 'key.post', slot, from: rng.weighted<From | 'overlapped'>([['main', 45], ['thread', 40], ['overlapped', 15]]), count: rng.int(1, 5) }), 8],
        [() => ({ kind: 'key.next', slot }), 10],
        [() => {
          open[slot] = false;
          return { kind: 'key.close', slot };
        }, 1],
      ])();
    }
    case 'event': {
      const open = model.open.event;
      const slot = slotOf(rng, open);
      if (!open[slot] && rng.chance(0.8)) {
        open[slot] = true;
        return { kind: 'event.open', slot, manualReset: rng.chance(0.3) };
      }
      return rng.weighted<() => Op>([
        [() => ({ kind: 'event.set', slot, from: from(rng) }), 8],
        [() => ({ kind: 'event.reset', slot }), 2],
        [() => ({ kind: 'event.wait', slot, abort: abortSpec(rng), timeoutMs: rng.chance(0.2) ? rng.int(0, 30) : null }), 10],
        [() => {
          open[slot] = false;
          return { kind: 'event.close', slot };
        }, 1],
      ])();
    }
    case 'child':
      if (!model.child) {
        model.child = true;
        return { kind: 'child.spawn', code: rng.int(0, 255), delayMs: rng.int(0, 300) };
      }
      return rng.weighted<() => Op>([
        [() => ({ kind: 'child.wait', abort: abortSpec(rng) }), 4],
        [() => ({ kind: 'child.kill', code: rng.int(0, 255) }), 1],
        [() => {
          model.child = false;
          return { kind: 'child.close' };
        }, 2],
      ])();
    case 'timer':
      return rng.weighted<() => Op>([
        [() => ({ kind: 'timer.sleep', ms: rng.int(0, 40), abort: abortSpec(rng) }), 7],
        [() => ({ kind: 'timer.pass', ms: rng.int(0, 15) }), 3],
      ])();
    case 'soon':
      return { kind: 'soon.call', count: rng.int(1, 4) };
    case 'chan':
      if (!model.chan && rng.chance(0.8)) {
        model.chan = true;
        return { kind: 'chan.open', poster: from(rng) };
      }
      return rng.weighted<() => Op>([
        [() => ({ kind: 'chan.send', count: rng.int(1, 5) }), 8],
        [() => ({ kind: 'chan.receive', abort: abortSpec(rng) }), 10],
        [() => {
          model.chan = false;
          return { kind: 'chan.close' };
        }, 1],
      ])();
  }
}

/**
 * `count` operations for `seed`. Each seed also draws its own emphasis — every family's weight
 * scaled by 0.25–2 — so that different seeds press on different families.
 */
export function generateOps(seed: number, count: number): Op[] {
  const rng = new Prng(seed);
  const weights = Object.entries(FAMILY_WEIGHTS).map(([family, w]) => [family as Family, w * (0.25 + rng.next() * 1.75)] as const);
  const model: Model = {
    open: { tcp: [], udp: [], pipe: [], file: [], key: [], event: [] },
    watch: false,
    child: false,
    chan: false,
  };
  for (const [family, slots] of Object.entries(SLOTS)) model.open[family as keyof typeof SLOTS] = new Array<boolean>(slots).fill(false);
  const ops: Op[] = [];
  for (let i = 0; i < count; i++) ops.push(familyOp(rng, model, rng.weighted(weights)));
  return ops;
}
