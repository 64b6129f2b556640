// WakeupSocket: how other threads interrupt the reactor's `select`.
//
// Windows has no socketpair, and select waits only on sockets, so the reactor owns a connected
// loopback TCP pair: the read end sits in the read set for the reactor's whole life, and any
// thread that needs the reactor sends one byte to the write end (requestWake, merged by an
// Atomics flag so a burst costs one send). The reactor drains the read end fully after every wake.
import { closeQuietly, loopbackPair, recvSome, type Socket } from '../win32/winsock.ts';
import { refuseWakes, requestWake } from './wake.ts';
import { WAKE_REQUESTED, WAKE_STATE_SLOTS, type WakeTarget } from './protocol.ts';
import { InternalStateError } from '../core/errors.ts';

/** Bytes read per recv while draining: wakes are merged, so a handful at most is typical. */
const DRAIN_CHUNK = 256;

export class WakeupSocket {
  readonly readEnd: Socket;
  readonly writeEnd: Socket;
  readonly state = new Int32Array(new SharedArrayBuffer(WAKE_STATE_SLOTS * 4));
  readonly #drainBuffer = new Uint8Array(DRAIN_CHUNK);
  #closed = false;

  constructor() {
    [this.writeEnd, this.readEnd] = loopbackPair();
  }

  /** What another thread needs to call `requestWake` on this socket. */
  target(): WakeTarget {
    return { socket: this.writeEnd, completionPort: 0, state: this.state.buffer as SharedArrayBuffer };
  }

  /** Wakes the reactor (usable on its own thread too, e.g. from a Node callback). */
  wake(): boolean {
    return requestWake(this.state, { socket: this.writeEnd, completionPort: 0 });
  }

  /**
   * Call when the read end is readable: reads every byte, *then* clears the request flag (see
   * protocol.ts for why this order). The caller looks at shared work only after this returns.
   */
  drain(): number {
    let total = 0;
    // ends: when recv finds the socket empty; wakers send at most one byte per WAKE_REQUESTED, which stays set until after this loop
    for (;;) {
      const n = recvSome(this.readEnd, this.#drainBuffer);
      if (n === null) break;
      if (n === 0) throw new InternalStateError('the reactor wakeup socket was closed by its peer');
      total += n;
    }
    Atomics.store(this.state, WAKE_REQUESTED, 0);
    return total;
  }

  /** Refuses further wakes, waits out wakers already sending, then closes both ends. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    refuseWakes(this.state);
    closeQuietly(this.readEnd, this.writeEnd);
  }
}
