// LoopPart: one source of events that the reactor's loop drives. There are three — socket
// readiness (SocketWaits and its readiness backend), the completion port (overlapped operations,
// key monitors, handle transfer) and object waits (the waiter pool) — and the loop names none of
// them: it calls every part, in one order, through this interface. A new kind of event source is
// a new part: implement this, make it in scheduler/reactor-parts.ts and give it its place in the
// list there (which says why the order is what it is).
//
// How the loop uses its parts:
//   before the poll   `hasPending()` on each: any true, and the poll does not block; otherwise
//                     each part's `blockLimitMs()` caps the poll's timeout;
//   the poll phase    each part in turn settles what has arrived: `dispatch()`, or, for the one
//                     part the thread blocks in (the PollingPart: select, or the completion
//                     port), `poll(timeout)`;
//   guest mode        `hasWaiters()` on each: whether the reactor keeps the process alive;
//                     `checkThreads()` on each while the helper waits (no turns are made then);
//   stats()           each part's `stats()`, merged into the reactor's.
// How the reactor closes them, once a guest's helper thread has stopped:
//   1. `beginClose(error)` on each: new work refused; what is pending ends now, or is cancelled
//      and ends when its cancellation reports (through `dispatch()`);
//   2. the reactor dispatches every part until none has `draining()` work left, or gives up;
//   3. `finishClose()` on each, in order: the part's threads stopped and joined;
//   4. the reactor refuses wakes (and closes its wakeup pair), then `closeHandles()` on each, in
//      order — no thread is left that could wake it or post to a handle value reused meanwhile.

export interface LoopPart {
  /** Something has arrived that no dispatch has settled yet: this iteration's poll must not block. */
  hasPending(): boolean;
  /** Settles what has arrived, synchronously, in the poll phase; never blocks. Returns how many events. */
  dispatch(): number;
  /**
   * The longest the loop may block before this part must look again (Infinity: no limit). A part
   * with threads of its own says THREAD_CHECK_MS while they live: a thread killed behind Node's
   * back is found only by looking, in `dispatch()` (lib/threads/worker-thread.ts).
   */
  blockLimitMs(): number;
  /**
   * Looks at this part's threads now (lib/threads/worker-thread.ts): a killed one fails what waits on it.
   * `dispatch()` looks too; an idle guest reactor, which makes no turns, calls this from a timer.
   */
  checkThreads(): void;
  /** Something waits on this part that only the loop can end (a guest reactor then keeps the process alive). */
  hasWaiters(): boolean;
  /** This part's figures, merged into `Reactor.stats()` (scheduler/options.ts names them all). */
  stats(): { [figure: string]: unknown };
  /** Close, step 1: refuses new work; ends what is pending, or cancels it (its end then comes through `dispatch()`). */
  beginClose(error: unknown): void;
  /** After `beginClose`: how much is still to come through `dispatch()` (the packets of cancelled I/O). */
  draining(): number;
  /** Close, step 3, once draining is over (or given up on): stops and joins this part's threads. */
  finishClose(): Promise<void>;
  /** Close, step 4, once no thread can wake the loop or post to its port: releases this part's handles. */
  closeHandles(): void;
}

/**
 * What a guest reactor's helper thread brought back from a wait it made on a PollingPart's
 * behalf: in port mode, the completion entries it dequeued (OVERLAPPED_ENTRYs), which no other
 * dequeue will see again.
 */
export interface HandedOver {
  batch: Uint32Array;
  count: number;
}

/** The part the reactor thread blocks in, once per iteration: select (over the sockets), or the completion port. */
export interface PollingPart extends LoopPart {
  /**
   * Settles `handedOver` first, then blocks for up to `timeoutMs` (0: a look; Infinity: no limit)
   * in this part's wait and settles what it returns. Returns how many events (and entries).
   */
  poll(timeoutMs: number, handedOver?: HandedOver): number;
  /** Settles what a guest's helper thread dequeued and no poll will see (the reactor is closing). Returns how many. */
  dispatchHandedOver(handedOver: HandedOver): number;
}
