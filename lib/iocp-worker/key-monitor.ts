// KeyMonitor: the completions posted to one user completion key (`monitorCompletionKey`), in
// arrival order. The key table (completion-keys.ts) routes each packet for the key here during
// dispatch, whatever its lpOverlapped holds; `next()` or `for await` takes them. A completion
// already queued is a fast path, paced by the reactor's fairness rule like any operation that
// did not wait (lib/loop/fair-share.ts).
import { BusyResourceError, ClosedResourceError } from '../core/errors.ts';
import { Turn, whenTurn, type Pace } from '../loop/fair-share.ts';
import { untilClosed } from '../core/until-closed.ts';
import { checkSignal, onAbort } from '../core/abort.ts';
import { checkOptions, checkedCall } from '../core/arguments.ts';
import type { Completion } from './completion-ring.ts';
import type { KeySource } from './completion-keys.ts';

/** One completion delivered to a monitored key. */
export interface KeyCompletion {
  bytes: number;
  /**
   * The lpOverlapped the poster passed, as a number (0 for none). For a user key it is data, not
   * an OVERLAPPED: a job object posts a process id there.
   */
  overlapped: number;
  /** The NTSTATUS the poster passed (0 for PostQueuedCompletionStatus). */
  status: number;
}

interface Waiter {
  resolve: (value: KeyCompletion) => void;
  reject: (error: unknown) => void;
  stopListening: () => void;
}

/** Completions for one user key, in arrival order: `for await` or `next()`. */
export class KeyMonitor implements AsyncIterable<KeyCompletion>, Disposable, KeySource {
  readonly key: number;
  readonly #queue: KeyCompletion[] = [];
  readonly #onClose: () => void;
  readonly #pace: Pace;
  readonly #turn = new Turn();
  #waiter: Waiter | undefined;
  #closedWith: unknown;
  readonly #onWait: () => void;

  /** `onClose` takes the key out of the table; `onWait` is told when a `next()` starts waiting. */
  constructor(key: number, onClose: () => void, pace: Pace, onWait: () => void = () => {}) {
    this.key = key;
    this.#onClose = onClose;
    this.#pace = pace;
    this.#onWait = onWait;
  }

  /** A `next()` is waiting for a completion. */
  get waiting(): boolean {
    return this.#waiter !== undefined;
  }

  /** @internal A packet for this key, during dispatch (`entry` is reused: copied here). */
  deliver(entry: Completion): boolean {
    if (this.#closedWith !== undefined) return false;
    const completion: KeyCompletion = { bytes: entry.bytes, overlapped: entry.overlapped, status: entry.status };
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      waiter.stopListening();
      this.#pace(this.#turn, true);
      waiter.resolve(completion);
    } else {
      this.#queue.push(completion);
    }
    return true;
  }

  /**
   * The next completion; rejects with ClosedResourceError (or the worker's failure) once closed.
   * One already queued is a fast path, paced like any operation that did not wait. A `signal`
   * abandons this call only: an already-aborted one rejects with its reason and takes nothing,
   * and a completion that arrives after the abort waits for the next call.
   */
  next(options: { signal?: AbortSignal } = {}): Promise<KeyCompletion> {
    return checkedCall(() => checkSignal(checkOptions(options, 'KeyMonitor.next: options').signal, 'KeyMonitor.next: signal'), (signal) => this.#next(signal));
  }

  #next(signal: AbortSignal | undefined): Promise<KeyCompletion> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#queue.length > 0) return whenTurn(this.#pace(this.#turn, false), this.#queue.shift()!);
    if (this.#closedWith !== undefined) return Promise.reject(this.#closedWith);
    if (this.#waiter !== undefined) return Promise.reject(new BusyResourceError('KeyMonitor.next: another task is already waiting'));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, stopListening: () => {} };
      waiter.stopListening = onAbort(signal, () => {
        if (this.#waiter === waiter) this.#waiter = undefined;
        reject(signal!.reason);
      });
      this.#waiter = waiter;
      this.#onWait();
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<KeyCompletion> {
    return untilClosed(() => this.next(), () => this.#closedWith !== undefined);
  }

  /** Stops delivery; a pending `next()` rejects; completions already queued can still be taken. Idempotent. */
  close(error: unknown = new ClosedResourceError('the completion key monitor is closed')): void {
    if (this.#closedWith !== undefined) return;
    this.#closedWith = error;
    this.#onClose();
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.stopListening();
    waiter?.reject(error);
  }

  /** `close()`, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}
