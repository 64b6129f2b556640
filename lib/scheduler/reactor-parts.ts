// What a Reactor is made of: its wake (a wakeup socket, or posts to its completion port), the
// completion port, the socket waits with their readiness backend, and the waiter pool — made in
// an order that lets a failure undo what was made before it, and listed as the loop drives them
// (lib/loop/loop-part.ts). A new kind of event source is made here and takes its place in `parts`.
import type { ReadinessBackend } from '../loop/readiness.ts';
import { backendRow, type BackendRow } from './backends.ts';
import { READABLE } from '../loop/readiness.ts';
import type { LoopPart, PollingPart } from '../loop/loop-part.ts';
import type { GuestWait } from '../loop/guest-wait.ts';
import { WakeupSocket } from '../wakeup/wakeup-socket.ts';
import { PortWakeup } from '../wakeup/port-wakeup.ts';
import { CompletionPort } from '../iocp-worker/completion-port.ts';
import { WaitPool } from '../waits/wait-pool.ts';
import type { Socket } from '../win32/winsock.ts';
import { SocketWaits } from './socket-waits.ts';
import type { ReactorOptions } from './options.ts';

/** What the parts need from their reactor. */
export interface PartHooks {
  /** A wake arrived (the wakeup socket readable, or a KEY_WAKE packet). */
  onWakeup(): void;
  /** The reactor is closed: new socket waits are refused. */
  closed(): boolean;
  /** A socket was armed or disarmed (guest mode: the helper's wait may need redoing, and the ref may change). */
  socketsChanged(): void;
  /** Runs `fire` `ms` from now on a weak reactor timer; returns its cancel function. */
  schedule(ms: number, fire: () => void): () => void;
}

export interface ReactorParts {
  /** How other threads wake the reactor: a wakeup socket (waitIn 'select') or posts to the port ('port'). */
  readonly wakeup: WakeupSocket | PortWakeup;
  /** The wakeup socket's read end, which select watches (undefined in port mode); armed in the backend already. */
  readonly wakeupEnd: Socket | undefined;
  readonly iocp: CompletionPort;
  readonly sockets: SocketWaits;
  readonly backend: ReadinessBackend;
  /** The backend's row (backends.ts): what the reactor may do with it. */
  readonly row: BackendRow;
  readonly waits: WaitPool;
  /**
   * In the order the poll phase dispatches them and close() closes them: sockets first (select's
   * own results, and where the count of ready sockets starts); the completion port next (select
   * mode: the ring the worker filled while select blocked; its AFD packets report to the
   * sockets' sink); object waits last (the port's emulated operations end through them, so they
   * are served until the port has drained).
   */
  readonly parts: readonly LoopPart[];
  /** The part the thread blocks in: the sockets (select, WSAPoll) or, in port mode, the completion port. */
  readonly poller: PollingPart;
}

/** Makes the parts for `options` (already checked); on failure, what was made is released and the error thrown. */
export function makeParts(options: ReactorOptions, hooks: PartHooks): ReactorParts {
  const row = backendRow(options.readiness ?? 'select');
  const waitIn = options.waitIn ?? row.waitIn;
  let waits: WaitPool | undefined;
  const waitEvent = (event: number): Promise<unknown> => waits!.wait(event, undefined, undefined);
  let wakeup: WakeupSocket | PortWakeup;
  let wakeupEnd: Socket | undefined;
  let iocp: CompletionPort;
  if (waitIn === 'port') {
    iocp = new CompletionPort(waitEvent, hooks.onWakeup);
    wakeup = new PortWakeup(iocp.port);
  } else {
    const wakeupSocket = new WakeupSocket();
    wakeup = wakeupSocket;
    wakeupEnd = wakeupSocket.readEnd;
    try {
      // The port is made now; its worker thread starts with the first use of the IOCP family.
      iocp = new CompletionPort(waitEvent, hooks.onWakeup, wakeupSocket.target());
    } catch (error) {
      wakeupSocket.close();
      throw error;
    }
  }
  let sockets: SocketWaits;
  let backend: ReadinessBackend;
  try {
    sockets = new SocketWaits(wakeupEnd, hooks.onWakeup, hooks.closed, hooks.socketsChanged);
    backend = row.make({ port: iocp, sink: sockets.sink, wakeupEnd });
  } catch (error) {
    wakeup.close();
    iocp.closeUnused();
    throw error;
  }
  waits = new WaitPool(wakeup.target(), hooks.schedule, { maxWaitsPerThread: options.maxWaitsPerThread, idleMs: options.waiterIdleMs });
  sockets.attach(backend);
  if (wakeupEnd !== undefined) {
    backend.established?.(wakeupEnd); // one end of a connected pair: no connect of its can fail
    backend.arm(wakeupEnd, READABLE);
  }
  return {
    wakeup, wakeupEnd, iocp, sockets, backend, row, waits,
    parts: [sockets, iocp, waits],
    poller: iocp.inLoop ? iocp : sockets,
  };
}

/** Guest mode: the blocking call the helper thread makes for these parts (the row's guestWait; options checked that it has one). */
export function makeGuestWait(parts: ReactorParts): GuestWait {
  return parts.row.guestWait!(parts.backend, { port: parts.iocp, sink: parts.sockets.sink, wakeupEnd: parts.wakeupEnd });
}

/** For a reactor that fails to start after its parts were made, before any of their threads started: releases them. */
export function closeUnusedParts(parts: ReactorParts): void {
  parts.wakeup.close();
  parts.backend.close();
  parts.iocp.closeUnused();
}
