// Channels: messages from other threads into a reactor, delivered on the reactor's thread.
//
// ReactorChannel is the reactor's end; its `handle` goes to another thread (transfer
// `handle.port`), where `new RemoteWaker(handle)` posts messages and wakes the reactor.
//
// Messages travel on a MessagePort, but the reactor does not wait for Node to deliver them (Node's
// loop does not run while select blocks): after a wake it reads them synchronously with
// receiveMessageOnPort. A poster posts, then sets the channel's PENDING flag, then wakes; the
// reactor swaps PENDING to 0, then reads the port dry. A message posted after the swap either
// comes out in this read or sets PENDING again and wakes again: none is left behind.
import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { CHANNEL_PENDING, type ChannelHandle, type WakeTarget } from './protocol.ts';
import { BusyResourceError, ClosedResourceError } from '../core/errors.ts';
import { Turn, whenTurn, type Pace } from '../loop/fair-share.ts';
import { checkSignal, onAbort } from '../core/abort.ts';
import { checkOptions, checkedCall } from '../core/arguments.ts';
import { untilClosed } from '../core/until-closed.ts';

interface Receiver<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
  /** Removes the abort listener (lib/core/abort.ts). */
  stopListening(): void;
}

export class ReactorChannel<T = unknown> implements AsyncIterable<T>, Disposable {
  /** Give this to the other thread, with `handle.port` in the transfer list. */
  readonly handle: ChannelHandle;
  readonly #port: MessagePort;
  readonly #pending = new Int32Array(new SharedArrayBuffer(4));
  readonly #queue: T[] = [];
  readonly #onClose: (channel: ReactorChannel<T>) => void;
  readonly #pace: Pace;
  readonly #turn = new Turn();
  readonly #onWait: () => void;
  #receiver: Receiver<T> | undefined;
  #closed = false;

  /** @internal Created by `Reactor.openChannel()`; `onWait` is told when a receive starts waiting. */
  constructor(wakeup: { target(): WakeTarget }, onClose: (channel: ReactorChannel<T>) => void, pace: Pace, onWait: () => void = () => {}) {
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    this.#onClose = onClose;
    this.#pace = pace;
    this.#onWait = onWait;
    this.handle = { ...wakeup.target(), port: port2, pending: this.#pending.buffer as SharedArrayBuffer };
  }

  /** Messages received and not yet taken. */
  get queued(): number {
    return this.#queue.length;
  }

  /** A receive is waiting for a message. */
  get receiving(): boolean {
    return this.#receiver !== undefined;
  }

  /** @internal The reactor calls this after draining its wakeup socket. */
  deliver(): void {
    if (this.#closed || Atomics.exchange(this.#pending, CHANNEL_PENDING, 0) === 0) return;
    for (let entry = receiveMessageOnPort(this.#port); entry !== undefined; entry = receiveMessageOnPort(this.#port)) {
      const receiver = this.#receiver;
      if (receiver !== undefined) {
        this.#takeReceiver();
        this.#pace(this.#turn, true);
        receiver.resolve(entry.message as T);
      } else {
        this.#queue.push(entry.message as T);
      }
    }
  }

  /**
   * The next message; one receiver at a time. Rejects with ClosedResourceError once closed. A
   * message already queued is a fast path: it is paced like any operation that did not wait.
   */
  receive(options: { signal?: AbortSignal } = {}): Promise<T> {
    return checkedCall(() => checkSignal(checkOptions(options, 'ReactorChannel.receive: options').signal, 'ReactorChannel.receive: signal'), (signal) => this.#receive(signal));
  }

  #receive(signal: AbortSignal | undefined): Promise<T> {
    // Before the queue: an already-aborted receive takes no message, even with one waiting.
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#queue.length > 0) {
      const message = this.#queue.shift()!;
      return whenTurn(this.#pace(this.#turn, false), message);
    }
    if (this.#closed) return Promise.reject(new ClosedResourceError('the channel is closed'));
    if (this.#receiver !== undefined) return Promise.reject(new BusyResourceError('ReactorChannel.receive: another task is already receiving'));
    return new Promise<T>((resolve, reject) => {
      this.#receiver = {
        resolve, reject,
        stopListening: onAbort(signal, () => {
          this.#takeReceiver();
          reject(signal!.reason);
        }),
      };
      this.#onWait();
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return untilClosed(() => this.receive(), () => this.#closed);
  }

  /**
   * Stops delivery and rejects a pending receive (with `error`: the reactor passes its own when it
   * closes). Queued messages can still be taken. Idempotent.
   */
  close(error: unknown = new ClosedResourceError('the channel is closed')): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#port.close();
    const receiver = this.#takeReceiver();
    receiver?.reject(error);
    this.#onClose(this);
  }

  /** `close()`, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  #takeReceiver(): Receiver<T> | undefined {
    const receiver = this.#receiver;
    this.#receiver = undefined;
    receiver?.stopListening();
    return receiver;
  }
}
