// The Reactor's options and statistics: the shapes its constructor takes and `stats()` returns,
// each field with its meaning (docs/api.md lists them too).
import type { ReadinessBackend, ReadinessStats } from '../loop/readiness.ts';
import { checkBoolean, checkInteger, checkOptions } from '../core/arguments.ts';
import { backendRow, type BackendRow } from './backends.ts';

export interface ReactorOptions {
  /**
   * Longest time one select may block in `run` (host mode), in ms (default 50; Infinity: only
   * winmux events wake it). A guest reactor never blocks Node's thread, so it ignores this.
   */
  maxBlockMs?: number;
  /**
   * Run as a guest of Node's event loop (default false): no `run` owns the thread; the loop turns
   * inside Node's, a helper thread makes the blocking wait, and tasks are ordinary promises
   * started from anywhere. `run(fn)` still works (it only calls `fn`). See docs/design.md.
   */
  guest?: boolean;
  /**
   * Guest mode: whether the reactor keeps the process alive while something waits on it (default
   * true), as a Node handle that is ref'd; `reactor.ref()`/`unref()` change it later.
   */
  ref?: boolean;
  /**
   * The readiness backend: 'select' (default), 'afd' (IOCTL_AFD_POLL completions on the reactor's
   * IOCP, the design wepoll and libuv use), 'wsapoll' (WSAPoll over one WSAPOLLFD array; not in
   * guest mode) — the rows of BACKENDS (backends.ts) — or a row of your own (`{ name, make(context),
   * … }`, made with the same context as the built-in ones), or an instance (tests use a fake one).
   */
  readiness?: 'select' | 'afd' | 'wsapoll' | ReadinessBackend | BackendRow;
  /**
   * Where the reactor thread blocks once per iteration:
   * - 'select': in select over the interest sets and the wakeup socket; completions reach the
   *   loop through the IOCP worker thread, which pokes the wakeup socket (default for 'select');
   * - 'port': in its completion port (GetQueuedCompletionStatusEx): AFD polls, overlapped I/O and
   *   wakes from other threads all arrive there; no IOCP worker thread, no wakeup socket
   *   (default for 'afd'; needs a backend whose readiness arrives on the port — 'afd', or a row with
   *   `readinessOnPort` — since select must block on the sockets).
   */
  waitIn?: 'select' | 'port';
  /** Monotonic clock in ms (default performance.now). Tests inject a virtual clock. */
  clock?: () => number;
  /** Object waits one waiter thread serves at once: 63 (default, coalesced) down to 1 (a thread per wait). */
  maxWaitsPerThread?: number;
  /** How long a waiter thread with no waits lives before it retires, in ms (default 5000). */
  waiterIdleMs?: number;
}

export interface ObjectWaitOptions extends WaitOptions {
  /** Give up after this many ms: the wait resolves `{ timedOut: true }`. */
  timeoutMs?: number;
}

export interface WaitOptions {
  signal?: AbortSignal;
}


export interface ReactorStats {
  readWaiters: number;
  writeWaiters: number;
  /** Timers pending: sleeps, deadline signals' timers and the waiter pool's own (a wait's timeout, an idle thread's retirement). */
  timers: number;
  /** Of `timers`, those a task awaits (`sleep`, `sleepUntil`); the others keep nothing waiting. */
  sleeps: number;
  /** Call-soon callbacks queued for the next iteration. */
  callbacks: number;
  /** Open channels, and those with a `receive()` waiting. */
  channels: number;
  channelReceivers: number;
  /** Completed loop iterations (select calls made by the loop) since the reactor was created. */
  iterations: number;
  /** Times the wakeup socket was found readable and drained. */
  wakeups: number;
  /**
   * The longest time the loop went without polling, in ms of wall time: from the end of one poll
   * to the start of the next (dispatch, timers, call-soon, the tasks and Node's callbacks).
   */
  longestIterationMs: number;
  /**
   * Turns of Node's event loop the reactor let run before an iteration: host mode, `run`'s yields
   * (a setImmediate each); guest mode, the iterations not made inline (each a setImmediate's
   * step or the helper's message). Divided by `iterations`: Node turns per iteration.
   */
  nodeTurns: number;
  /**
   * Native (koffi) calls made on this thread since it loaded winmux, by Win32 function name. Per
   * thread, not per reactor: two reactors on one thread share the counts, and the IOCP worker's,
   * waiter threads' and guest helper's calls are not in them. Take differences.
   */
  nativeCalls: Record<string, number>;
  /** Operations that completed at once but whose tasks were held to the next iteration for fairness. */
  deferredOperations: number;
  /** Host mode: `run` is running. Guest mode: the loop is live (not closed). */
  running: boolean;
  closed: boolean;
  /** The reactor runs as a guest of Node's loop. */
  guest: boolean;
  /** The backend's own figures; for select: readSet, writeSet, exceptSet (the read set includes the wakeup socket). */
  readiness: ReadinessStats;
  /** Overlapped operations waiting for their completion packet. */
  overlappedWaiters: number;
  /** Packets the IOCP worker has put in the ring that the loop has not dispatched yet. */
  iocpBacklog: number;
  /** Packets dispatched since the reactor was created; `strayCompletions`: those matching nothing. */
  completions: number;
  strayCompletions: number;
  /**
   * Overlapped operations that succeeded at once on a handle that skips their packet
   * (FILE_SKIP_COMPLETION_PORT_ON_SUCCESS: the handles winmux opens): results taken without a packet.
   */
  completedAtOnce: number;
  /** 'not started' (no IOCP use yet), 'running', 'failed', 'stopped'. */
  iocpWorker: string;
  /** Handles whose operations are emulated (bound to a port this reactor does not own), and operations run that way. */
  emulatedHandles: number;
  emulatedOperations: number;
  /** Object waits pending on waiter threads; waiter threads alive now; started since creation. */
  objectWaits: number;
  waiterThreads: number;
  waiterThreadsStarted: number;
  /** Waiter threads that ended unexpectedly (their waits rejected with ThreadExitedError). */
  waiterThreadsLost: number;
  /**
   * Guest mode only: iterations made on Node's thread, waits handed to the helper thread, and the
   * helper's state ('starting', 'waiting', 'idle', 'stopped', 'failed').
   */
  guestTurns?: number;
  guestHandoffs?: number;
  guestHelper?: string;
}


/** Longest waiter idle time: setTimeout's limit (2^31 - 1 ms; a longer one fires at once). */
const MAX_TIMER_MS = 0x7fff_ffff;

/**
 * Every option checked before the reactor makes anything (a bad one found after the wakeup
 * socket and port were made used to leak them): a TypeError for a wrong type, a RangeError for
 * a number out of range. `readiness` as an instance needs the backend's methods.
 */
export function checkReactorOptions(options: unknown): ReactorOptions {
  const o = checkOptions(options as ReactorOptions | undefined, 'new Reactor: options');
  const maxBlockMs = o.maxBlockMs === undefined ? 0 : o.maxBlockMs;
  if (typeof maxBlockMs !== 'number') throw new TypeError(`new Reactor: maxBlockMs must be a number ≥ 0 (or Infinity), got ${maxBlockMs === null ? 'null' : typeof maxBlockMs}`);
  if (Number.isNaN(maxBlockMs) || maxBlockMs < 0) throw new RangeError(`new Reactor: maxBlockMs must be a number ≥ 0 (or Infinity), got ${maxBlockMs}`);
  if (o.maxWaitsPerThread !== undefined) checkInteger(o.maxWaitsPerThread, 'new Reactor: maxWaitsPerThread', 1, 63);
  if (o.waiterIdleMs !== undefined) checkInteger(typeof o.waiterIdleMs === 'number' ? Math.ceil(o.waiterIdleMs) : o.waiterIdleMs, 'new Reactor: waiterIdleMs', 0, MAX_TIMER_MS);
  if (o.clock !== undefined && typeof o.clock !== 'function') throw new TypeError(`new Reactor: clock must be a function, got ${o.clock === null ? 'null' : typeof o.clock}`);
  const row = backendRow(o.readiness === undefined ? 'select' : o.readiness);
  checkBoolean(o.guest, 'new Reactor: guest', false);
  checkBoolean(o.ref, 'new Reactor: ref', true);
  const waitIn = o.waitIn !== undefined ? o.waitIn : row.waitIn;
  if (waitIn !== 'select' && waitIn !== 'port') throw new TypeError(`new Reactor: unknown waitIn ${JSON.stringify(waitIn)} (expected 'select' or 'port')`);
  if (waitIn === 'port' && !row.readinessOnPort) {
    throw new TypeError("new Reactor: waitIn 'port' needs readiness 'afd': with select the reactor must block on the sockets themselves");
  }
  if (o.guest === true && row.guestWait === undefined) {
    throw new TypeError(`new Reactor: readiness ${JSON.stringify(row.name)} cannot run as a guest: its row has no guestWait (the blocking call a guest's helper thread makes for it; 'select' and 'afd' have one)`);
  }
  return o;
}
