// Timeval: the `select` timeout, shared by every backend that blocks in select.
import { TIMEVAL } from './structs.ts';
import { wholeMs } from './timeouts.ts';

export class Timeval {
  readonly #words = new Int32Array(TIMEVAL.SIZE / 4);

  /**
   * Milliseconds → the timeval to pass to select (null blocks without limit), by timeouts.ts's rule.
   */
  of(timeoutMs: number): Int32Array | null {
    if (timeoutMs === Infinity) return null;
    const ms = wholeMs(timeoutMs);
    this.#words[TIMEVAL.SEC / 4] = Math.floor(ms / 1000);
    this.#words[TIMEVAL.USEC / 4] = (ms % 1000) * 1000;
    return this.#words;
  }
}
