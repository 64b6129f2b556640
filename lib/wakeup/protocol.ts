// The wake protocol shared by the reactor and every thread that wakes it (remote wakers and
// channels, the IOCP worker, the waiter threads, a guest reactor's helper). Nothing here imports koffi, so either side can load
// it cheaply.
//
// The same protocol serves both ways a reactor can sleep: in select (a wake is one byte sent to
// its wakeup socket) and in its completion port (a wake is one KEY_WAKE packet posted to it).
// "The byte" below means either.
//
// One Int32Array over a SharedArrayBuffer per reactor, its slots:
//
// WAKE_REQUESTED  1 while a wake byte has been (or is about to be) sent and the reactor has not
//                 yet drained it. A waker publishes its work first, then swaps 0→1 and sends the
//                 byte; one that finds 1 sends nothing: a burst of wakes costs one send. The
//                 reactor reads the socket dry *first* and stores 0 *after*, then looks at the
//                 work. So the flag is 1 only while a byte is in the socket or on its way: a wake
//                 that finds 1 is never left without a byte to wake the reactor. (Clearing before
//                 draining would let the drain swallow a byte whose flag stays 1, and every later
//                 waker would skip its send: a lost wake, seen in the multi-reactor test.) A wake
//                 that races the drain either sends a byte the next select sees, or published its
//                 work before the store and the reactor sees the work now.
// CLOSED          1 once the reactor has started closing: wakers must not send any more (the
//                 socket value may be reused by an unrelated socket after closesocket).
// SENDERS         wakers currently between their CLOSED check and the end of their send. Wakers
//                 increment it *before* reading CLOSED; the reactor sets CLOSED, then waits for
//                 SENDERS to reach 0 before closesocket. Either the waker sees CLOSED, or the
//                 reactor sees it in flight and waits.
// SLEEPING        1 while the reactor is about to block or blocks in select. Producers that
//                 publish work in shared memory (the IOCP worker's ring) wake the reactor only
//                 when it is set: the reactor sets it *before* its last look at shared memory,
//                 the producer publishes *before* reading it, so one of them sees the other.
import type { MessagePort } from 'node:worker_threads';

export const WAKE_REQUESTED = 0;
export const CLOSED = 1;
export const SENDERS = 2;
export const SLEEPING = 3;
export const WAKE_STATE_SLOTS = 4;

/** A channel's flag (one Int32 slot): 1 when messages may wait on its port. */
export const CHANNEL_PENDING = 0;

/** What another thread needs to wake a reactor: structured-clonable, the SAB is shared. */
export interface WakeTarget {
  /** The write end of the reactor's wakeup socket pair (0 for a reactor that waits in its port). */
  socket: number;
  /**
   * The reactor's completion port, when the reactor thread waits in it (GetQueuedCompletionStatusEx)
   * rather than in select: a wake is then a posted KEY_WAKE packet, not a byte. 0 otherwise.
   */
  completionPort: number;
  /** The wake state above. */
  state: SharedArrayBuffer;
}

/** A WakeTarget plus a message channel into the reactor; transfer `port` with it. */
export interface ChannelHandle extends WakeTarget {
  port: MessagePort;
  pending: SharedArrayBuffer;
}
