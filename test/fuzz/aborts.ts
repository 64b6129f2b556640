// The signals the fuzzer passes to operations, made from an AbortSpec (ops.ts). Each abort has a
// reason of its own (a DOMException named AbortError, numbered), so an operation that rejected
// with some other signal's reason is caught. Reactor timeout signals are counted while they are
// live: each holds a reactor timer until it fires.
import type { Reactor } from '../../lib/index.ts';
import type { AbortSpec } from './ops.ts';

export interface Armed {
  signal: AbortSignal | undefined;
  /** Call right after the operation was started: an abort 'now' happens here. */
  afterCall(): void;
}

export class Aborts {
  readonly #reactor: Reactor;
  #countdowns: { controller: AbortController; steps: number }[] = [];
  readonly #timeouts = new Set<AbortSignal>();
  #latestDeadline = 0;
  #reasons = 0;

  constructor(reactor: Reactor) {
    this.#reactor = reactor;
  }

  #reason(): DOMException {
    return new DOMException(`fuzz abort ${++this.#reasons}`, 'AbortError');
  }

  make(spec: AbortSpec): Armed {
    if (spec === 'none') return { signal: undefined, afterCall: () => {} };
    if (spec === 'pre') return { signal: AbortSignal.abort(this.#reason()), afterCall: () => {} };
    if (spec === 'now') {
      const controller = new AbortController();
      return { signal: controller.signal, afterCall: () => controller.abort(this.#reason()) };
    }
    if ('steps' in spec) {
      const controller = new AbortController();
      this.#countdowns.push({ controller, steps: spec.steps });
      return { signal: controller.signal, afterCall: () => {} };
    }
    const signal = this.#reactor.timeoutSignal(spec.ms);
    this.#latestDeadline = Math.max(this.#latestDeadline, this.#reactor.now() + spec.ms);
    this.#timeouts.add(signal);
    signal.addEventListener('abort', () => this.#timeouts.delete(signal), { once: true });
    return { signal, afterCall: () => {} };
  }

  /** One fuzzer step has passed: counts down, and aborts what reached 0. */
  tick(): void {
    const due = this.#countdowns.filter((c) => --c.steps <= 0);
    this.#countdowns = this.#countdowns.filter((c) => c.steps > 0);
    for (const { controller } of due) controller.abort(this.#reason());
  }

  /** Aborts every step countdown now (the drain: nothing more will count them down). */
  fireAll(): void {
    const all = this.#countdowns;
    this.#countdowns = [];
    for (const { controller } of all) controller.abort(this.#reason());
  }

  /** Timeout signals that have not fired: each holds a reactor timer. */
  get liveTimeouts(): number {
    return this.#timeouts.size;
  }

  /** The reactor-clock deadline of the latest timeout signal made. */
  get latestDeadline(): number {
    return this.#latestDeadline;
  }
}
