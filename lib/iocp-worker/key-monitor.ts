// KeyMonitor: the completions posted to one user completion key (`monitorCompletionKey`), in
// arrival order. The completion port delivers each packet for the key during its dispatch;
// `next()` or `for await` takes them. A completion already queued is a fast path, paced by the
// reactor's fairness rule like any operation that did not wait (lib/fair-share.ts).
import { BusyResourceError, ClosedResourceError } from '../errors.ts';
import { Turn, whenTurn, type Pace } from '../fair-share.ts';
import { untilClosed } from '../until-closed.ts';

/** One completion delivered to a monitored key. */
export interface KeyCompletion {
  bytes: number;
  /** The OVERLAPPED address the poster passed (0 for none). */
  overlapped: number;
  /** The NTSTATUS the poster passed (0 for PostQueuedCompletionStatus). */
  status: number;
}

/** Completions for one user key, in arrival order: `for await` or `next()`. */
export class KeyMonitor implements AsyncIterable<KeyCompletion>, Disposable {
  readonly key: number;
  readonly #queue: KeyCompletion[] = [];
  readonly #onClose: () => void;
  readonly #pace: Pace;
  readonly #turn = new Turn();
  #waiter: { resolve: (value: KeyCompletion) => void; reject: (error: unknown) => void } | undefined;
  #closedWith: unknown;
  readonly #onWait: () => void;

  /** `onWait` is told when a `next()` starts waiting. */
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

  /** @internal */
  deliver(completion: KeyCompletion): void {
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      this.#pace(this.#turn, true);
      waiter.resolve(completion);
    } else {
      this.#queue.push(completion);
    }
  }

  /**
   * The next completion; rejects with ClosedResourceError (or the worker's failure) once closed.
   * One already queued is a fast path, paced like any operation that did not wait.
   */
  next(): Promise<KeyCompletion> {
    if (this.#queue.length > 0) return whenTurn(this.#pace(this.#turn, false), this.#queue.shift()!);
    if (this.#closedWith !== undefined) return Promise.reject(this.#closedWith);
    if (this.#waiter !== undefined) return Promise.reject(new BusyResourceError('KeyMonitor.next: another task is already waiting'));
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
      this.#onWait();
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<KeyCompletion> {
    return untilClosed(() => this.next(), () => this.#closedWith !== undefined);
  }

  /** Stops delivery; a pending `next()` rejects. Idempotent. */
  close(error: unknown = new ClosedResourceError('the completion key monitor is closed')): void {
    if (this.#closedWith !== undefined) return;
    this.#closedWith = error;
    this.#onClose();
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.reject(error);
  }

  /** `close()`, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}
