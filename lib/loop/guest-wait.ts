// GuestWait: the blocking call a guest reactor's helper thread makes for the part its loop blocks
// in — the poller's own "block on this from another thread". In guest mode Node's thread never
// blocks: when the loop is idle, a helper thread (lib/guest/) makes the poll's wait and posts a
// message when it returns. The poller says what that wait is, in two halves:
//   - on the reactor's thread, this object: what goes to the helper when it starts (`forHelper`:
//     the module holding the blocking call and the data it needs — shared buffers, handle
//     values), what to publish before each wait (`prepare`: select copies its fd_sets), and what
//     the wait brought back (`handedOver`: the port's dequeued entries);
//   - on the helper thread, the module named by `forHelper().module`, which exports
//     `openBlockingWait` (type OpenBlockingWait): the blocking call itself.
// The pollers: select (lib/select/guest-wait.ts: select over copies of the interest sets) and the
// completion port (lib/iocp-worker/guest-wait.ts: GetQueuedCompletionStatusEx). A readiness
// backend's row (scheduler/backends.ts) says which one serves it; guest mode refuses a row without.
import type { TransferListItem } from 'node:worker_threads';
import type { HandedOver } from './loop-part.ts';

/** The reactor's side of a guest wait. */
export interface GuestWait {
  /**
   * Arming or disarming a socket must redo the helper's wait (it waits on a copy of the interest
   * sets: select); false where the wait sees such changes by itself (the port, where AFD polls complete).
   */
  readonly armRedoesWait: boolean;
  /**
   * Once, when the helper thread starts: the module it imports for the blocking call (a file URL),
   * the data its `openBlockingWait` gets (structured-cloned: SharedArrayBuffers are shared), and
   * the MessagePorts in that data, which are transferred.
   */
  forHelper(): { module: string; data: unknown; transfer: TransferListItem[] };
  /** Before each wait is handed to the helper: publishes what it must wait on (written before the request). */
  prepare(): void;
  /**
   * After a wait whose blocking call returned `result`: what it took that no poll will see
   * again (the port's dequeued entries), for the loop to settle first; undefined when nothing.
   */
  handedOver(result: number): HandedOver | undefined;
  /** Once the helper thread has ended: releases what this side holds (a MessagePort). Idempotent. */
  close(): void;
}

/** The helper thread's side: one blocking call, made as often as the loop hands a wait over. */
export interface BlockingWait {
  /**
   * Blocks for up to `timeoutMs` (Infinity: no limit) in the poller's call; returns what it
   * counted (ready sockets, entries dequeued), ≤ 0 when nothing came or the call failed.
   */
  wait(timeoutMs: number): number;
  /** The Win32/WSA error of the last call when it failed, else 0. */
  readonly errno: number;
}

/** What a guest wait's module exports as `openBlockingWait`, called once on the helper thread with `forHelper().data`. */
export type OpenBlockingWait = (data: unknown) => BlockingWait;
