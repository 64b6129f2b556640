// RemoteWaker: the other thread's end of a reactor channel (or of a bare WakeTarget). Loads the
// Winsock bindings in its own thread; holds no socket of its own.
import { CHANNEL_PENDING, type ChannelHandle, type WakeTarget } from './protocol.ts';
import type { MessagePort, Transferable } from 'node:worker_threads';
import { requestWake, type WakeDestination } from './wake.ts';
import { ClosedResourceError } from '../core/errors.ts';

export class RemoteWaker implements Disposable {
  readonly #to: WakeDestination;
  readonly #state: Int32Array;
  readonly #port: MessagePort | undefined;
  readonly #pending: Int32Array | undefined;
  #closed = false;

  constructor(target: WakeTarget | ChannelHandle) {
    if (typeof target !== 'object' || target === null || !(target.state instanceof SharedArrayBuffer)) {
      throw new TypeError('new RemoteWaker: target must be a reactor\'s wakeTarget() or a channel\'s handle');
    }
    this.#to = { socket: target.socket, completionPort: target.completionPort };
    this.#state = new Int32Array(target.state);
    if ('port' in target) {
      this.#port = target.port;
      this.#pending = new Int32Array(target.pending);
    }
  }

  /** Makes the reactor run an iteration soon. False if the reactor is closed. */
  wake(): boolean {
    return requestWake(this.#state, this.#to);
  }

  /** Sends `message` (structured clone) to the reactor's channel and wakes the reactor. */
  post(message: unknown, transfer?: readonly Transferable[]): void {
    if (this.#closed) throw new ClosedResourceError('RemoteWaker.post: this waker is closed');
    if (this.#port === undefined || this.#pending === undefined) {
      throw new TypeError('RemoteWaker.post: this waker was made from a WakeTarget without a channel');
    }
    this.#port.postMessage(message, transfer);
    Atomics.store(this.#pending, CHANNEL_PENDING, 1);
    if (!this.wake()) throw ClosedResourceError.reactor();
  }

  /**
   * Stops this end: `post` throws from now on. The port is unreferenced rather than closed: a
   * close that follows a post at once would race the message's delivery to a reactor that reads
   * its port with receiveMessageOnPort, and an unreferenced port cannot lose anything. The
   * reactor closes its end with the channel.
   */
  close(): void {
    this.#closed = true;
    this.#port?.unref();
  }

  /** `close()`, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}
