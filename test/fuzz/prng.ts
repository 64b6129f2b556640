// The fuzzer's seeded PRNG: mulberry32 (Tommy Ettinger's 32-bit generator: one word of state,
// full 2^32 period, good enough statistics for choosing operations). The same seed gives the
// same sequence on every platform, so a seed alone names an operation log.

export class Prng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [lo, hi], both included. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** One of `entries`' values, each with its weight (weights need not sum to 1; 0 never picks). */
  weighted<T>(entries: readonly (readonly [T, number])[]): T {
    const total = entries.reduce((sum, [, w]) => sum + w, 0);
    let at = this.next() * total;
    for (const [value, w] of entries) {
      if (at < w) return value;
      at -= w;
    }
    return entries[entries.length - 1]![0];
  }

  /** A size skewed small: mostly under `typical`, sometimes up to `max` (writes that fill kernel buffers). */
  size(typical: number, max: number): number {
    return this.chance(0.8) ? this.int(1, typical) : this.int(typical, max);
  }
}
