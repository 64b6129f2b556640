// SocketWaits: the loop's socket-readiness part (lib/loop/loop-part.ts) — the reactor's socket waits,
// the readiness backend they arm, and the sink that backend reports to. Waits are one-shot, as in
// Trio: `wait` arms the socket in the backend, and the wake (or an abort, or `notifyClosing`)
// disarms it. One waiter per socket and direction; a second gets BusyResourceError. The reactor
// owns the loop; this part owns who waits on which socket.
//
// Readiness is never queued between polls: select and WSAPoll report it from the poll itself
// (this part is then the one the thread blocks in), and AFD polls report it from the completion
// port's dispatch, in the same poll phase. So `hasPending()` is always false and `dispatch()`
// settles nothing.
import { READABLE, WRITABLE, type Direction, type ReadinessBackend, type ReadinessSink, type ReadinessStats } from '../loop/readiness.ts';
import type { PollingPart } from '../loop/loop-part.ts';
import type { WinError } from '../core/windows-errors.ts';
import { toSocket, type Socket } from '../win32/winsock.ts';
import { BusyResourceError, ClosedResourceError, InternalStateError } from '../core/errors.ts';
import { checkSignal, onAbort } from '../core/abort.ts';
import { checkOptions, checkedCall } from '../core/arguments.ts';

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
  /** Removes the abort listener (lib/core/abort.ts). */
  stopListening(): void;
}

export class SocketWaits implements PollingPart {
  readonly #readers = new Map<Socket, Waiter>();
  readonly #writers = new Map<Socket, Waiter>();
  /** The wakeup socket's read end (select mode): reported to `onWakeup`, never waited on by a task. */
  readonly #wakeupEnd: Socket | undefined;
  readonly #onWakeup: () => void;
  readonly #closed: () => boolean;
  readonly #onChange: () => void;
  #backend: ReadinessBackend | undefined;

  /** Where the backend reports: called on the reactor thread, in the poll phase. */
  readonly sink: ReadinessSink = {
    ready: (socket, direction) => {
      if (socket === this.#wakeupEnd && direction === READABLE) {
        this.#onWakeup();
      } else {
        this.settle(socket, direction, false, undefined);
      }
    },
    failed: (socket, error: WinError) => {
      if (socket === this.#wakeupEnd) {
        // Without it no other thread can wake the loop (completions, object waits, channels
        // would stall unseen): the loop fails, and the reactor closes with this as the cause.
        throw new InternalStateError(`the reactor's wakeup socket (${socket}) is no longer a socket: it was closed behind the loop's back`, { cause: error });
      }
      this.settle(socket, READABLE, true, error);
      this.settle(socket, WRITABLE, true, error);
    },
  };

  /** `onChange` is told after a socket is armed or disarmed (a guest reactor's helper may need waking). */
  constructor(wakeupEnd: Socket | undefined, onWakeup: () => void, closed: () => boolean, onChange: () => void = () => {}) {
    this.#wakeupEnd = wakeupEnd;
    this.#onWakeup = onWakeup;
    this.#closed = closed;
    this.#onChange = onChange;
  }

  /** The backend the waits arm (made after this part, since it may need the sink to start). */
  attach(backend: ReadinessBackend): void {
    this.#backend = backend;
  }

  hasPending(): boolean {
    return false;
  }

  /**
   * Select, WSAPoll, or AFD with the reactor in select mode: blocks in the backend's wait and
   * settles what it reports. A guest's select helper hands nothing over: it waited on copies of
   * the sets, and this poll looks again.
   */
  poll(timeoutMs: number): number {
    return this.#backend!.wait(timeoutMs, this.sink);
  }

  /**
   * When the thread blocks in the completion port instead (AFD): nothing to settle here, the poll
   * packets come through the port's dispatch, after this one.
   */
  dispatch(): number {
    return 0;
  }

  /** Nothing: see `poll`. */
  dispatchHandedOver(): number {
    return 0;
  }

  blockLimitMs(): number {
    return Infinity;
  }

  /** No threads of its own. */
  checkThreads(): void {}

  hasWaiters(): boolean {
    return this.#readers.size + this.#writers.size > 0;
  }

  stats(): { readWaiters: number; writeWaiters: number; readiness: ReadinessStats } {
    return { readWaiters: this.#readers.size, writeWaiters: this.#writers.size, readiness: this.#backend!.stats() };
  }

  /** Resolves when the backend reports `value` ready in `direction` (Reactor.waitReadable, waitWritable). */
  wait(value: Socket | bigint, direction: Direction, options?: { signal?: AbortSignal }): Promise<void> {
    const call = direction === READABLE ? 'waitReadable' : 'waitWritable';
    return checkedCall(() => {
      const { signal } = checkOptions(options, `${call}: options`);
      return { socket: toSocket(value), signal: checkSignal(signal, `${call}: signal`) };
    }, ({ socket, signal }) => this.#wait(socket, direction, signal));
  }

  #wait(socket: Socket, direction: Direction, signal: AbortSignal | undefined): Promise<void> {
    if (this.#closed()) return Promise.reject(ClosedResourceError.reactor());
    if (signal?.aborted) return Promise.reject(signal.reason);
    const waiters = direction === READABLE ? this.#readers : this.#writers;
    if (waiters.has(socket) || socket === this.#wakeupEnd) {
      const what = direction === READABLE ? 'readable' : 'writable';
      return Promise.reject(new BusyResourceError(`another task is already waiting for socket ${socket} to become ${what}`));
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, stopListening: onAbort(signal, () => this.settle(socket, direction, true, signal!.reason)) };
      waiters.set(socket, waiter);
      this.#backend!.arm(socket, direction);
      this.#onChange();
    });
  }

  /** Ends the wait on (socket, direction), if any: disarms, then resolves or rejects. */
  settle(socket: Socket, direction: Direction, failed: boolean, error: unknown): void {
    const waiters = direction === READABLE ? this.#readers : this.#writers;
    const waiter = waiters.get(socket);
    if (waiter === undefined) return;
    waiters.delete(socket);
    this.#backend!.disarm(socket, direction);
    this.#onChange();
    waiter.stopListening();
    if (failed) waiter.reject(error);
    else waiter.resolve();
  }

  /** `socket` is about to be closed: its waiters reject with ClosedResourceError and the backend forgets it. */
  notifyClosing(value: Socket | bigint): void {
    const socket = toSocket(value);
    const error = new ClosedResourceError(`socket ${socket} was closed while a task waited on it`);
    this.settle(socket, READABLE, true, error);
    this.settle(socket, WRITABLE, true, error);
    this.#backend!.forget?.(socket);
  }

  /**
   * Checks that no task waits on `socket` here (BusyResourceError otherwise), lets the backend
   * forget it (AFD: its registration and any poll left armed), and returns it, to hand on.
   */
  release(value: Socket | bigint): Socket {
    const socket = toSocket(value);
    if (this.#readers.has(socket) || this.#writers.has(socket)) {
      throw new BusyResourceError(`socket ${socket} still has waiters on this reactor: settle or abort them before releasing it`);
    }
    this.#backend!.forget?.(socket);
    return socket;
  }

  /** Rejects every wait with `error`: nothing more will come for them. (New waits are refused already: the reactor is closed.) */
  beginClose(error: unknown): void {
    for (const socket of [...this.#readers.keys()]) this.settle(socket, READABLE, true, error);
    for (const socket of [...this.#writers.keys()]) this.settle(socket, WRITABLE, true, error);
  }

  draining(): number {
    return 0;
  }

  /** No threads of its own. */
  finishClose(): Promise<void> {
    return Promise.resolve();
  }

  /** Closes the backend (AFD: its \Device\Afd handles, whose polls ended during the port's drain). */
  closeHandles(): void {
    this.#backend!.close();
  }
}
