// PortWakeup: how other threads wake a reactor whose thread waits in its completion port
// (GetQueuedCompletionStatusEx) instead of select. A wake is one KEY_WAKE packet posted to the
// port, merged by the same WAKE_REQUESTED flag as the wakeup socket's byte (protocol.ts): the
// reactor dequeues the packet, *then* clears the flag, then looks at the shared work.
import { refuseWakes, requestWake } from './wake.ts';
import { WAKE_REQUESTED, WAKE_STATE_SLOTS, type WakeTarget } from './protocol.ts';

export class PortWakeup {
  readonly state = new Int32Array(new SharedArrayBuffer(WAKE_STATE_SLOTS * 4));
  readonly #port: number;

  constructor(port: number) {
    this.#port = port;
  }

  target(): WakeTarget {
    return { socket: 0, completionPort: this.#port, state: this.state.buffer as SharedArrayBuffer };
  }

  wake(): boolean {
    return requestWake(this.state, { socket: 0, completionPort: this.#port });
  }

  /** Call once a KEY_WAKE packet has been dequeued. */
  drain(): void {
    Atomics.store(this.state, WAKE_REQUESTED, 0);
  }

  /** Refuses further wakes and waits out wakers already posting; the port itself is closed by its owner, after this. */
  close(): void {
    refuseWakes(this.state);
  }
}
