// Timeval: the `select` timeout, shared by every backend that blocks in select.
import { TIMEVAL } from './structs.ts';

/**
 * The longest single `select` call, whatever the caller asked for: timeval holds 32-bit seconds,
 * and a day is far beyond any real loop's wait (the scheduler re-enters select if it needs more).
 */
export const MAX_SELECT_TIMEOUT_MS = 86_400_000;

export class Timeval {
  readonly #words = new Int32Array(TIMEVAL.SIZE / 4);

  /**
   * Milliseconds → the timeval to pass to select (null blocks without limit). Fractions are
   * rounded up, so a sub-millisecond wait does not make the loop spin.
   */
  of(timeoutMs: number): Int32Array | null {
    if (timeoutMs === Infinity) return null;
    const ms = Math.min(Math.max(Math.ceil(timeoutMs), 0), MAX_SELECT_TIMEOUT_MS);
    this.#words[TIMEVAL.SEC / 4] = Math.floor(ms / 1000);
    this.#words[TIMEVAL.USEC / 4] = (ms % 1000) * 1000;
    return this.#words;
  }
}
