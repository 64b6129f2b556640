// startWorkerThread: the one way winmux starts a worker_thread that spends its life in a native
// wait (the IOCP worker in GetQueuedCompletionStatusEx, the waiter threads in
// WaitForMultipleObjects), node-pty's rule made code: a thread that exits when nobody asked it to
// becomes an error its owner sees, never a silent hang.
//
// And a thread that sits in a native wait never holds the process: Node joins its worker threads
// when the process (or the worker thread that owns them) exits — after process.exit(), an
// uncaught exception or a natural end — and a thread blocked in an INFINITE native wait is never
// joined (seen: a process with an IOCP worker and a named pipe bound to the port never exited).
// So every thread is started with the synchronous call that ends its wait (a posted stop key, a
// set event), and an 'exit' listener makes those calls for every thread still alive.
//
// A thread can also end without Node knowing: TerminateThread (or a native crash confined to the
// thread) kills the OS thread, and Node's 'exit' event for that Worker never fires — its exit is
// announced by the thread itself on its way out, which a killed thread never takes. So the owner
// holds a handle to the OS thread from the moment it exists — a thread handle is signalled once
// the thread has ended — and `checkAlive()` looks at it with WaitForSingleObject(h, 0) at most
// every THREAD_CHECK_MS, from the owner's dispatch in each loop iteration (and from the one join,
// `join()`, every owner uses). Found ended twice in a row with no 'exit' event (a normal exit's
// event comes within a turn of Node's loop), the thread counts as killed: its owner is told as
// for any unexpected exit, `exited` resolves, and the Worker is never joined or ref'd again (Node
// would wait for an 'exit' that cannot come).
//
// Node gives no handle to a Worker's OS thread, and a thread can be killed while Node is still
// starting it (0.2–1.4 s under Wine), long before any code of ours runs on it. So the owner finds
// it itself: `new Worker` has created the OS thread by the time it returns (Worker::StartThread,
// uv_thread_create), so the threads of this process that were not there just before are opened
// (NtGetNextThread; one, unless another thread of the process started one at the same moment).
// Until the thread reports its own id (GetCurrentThreadId, the first thing its entry file does)
// it counts as ended only once every such candidate has ended; then the reported one is kept.
//
// And a killed Worker must not be destroyed: Node's Worker destructor asserts that the thread
// stopped through Node (node_worker.cc, `CHECK(stopped_)`), so a natural process exit — which
// frees the main Environment and every Worker object with it — aborts (exit code 134) once one
// was killed. process.exit() ends the process without that teardown, so once a thread of this
// process was killed, the exit hook finishes the 'exit' event (the listeners after it) and ends
// the process with process.exit(), the code unchanged. (On a worker_thread that is not possible:
// its own teardown frees the Worker objects it made.)
//
// And a thread still starting must not be stopped by Node: at exit (natural or process.exit())
// Node stops every Worker (Worker::Exit: the worker's Environment is marked stopping, then its
// JavaScript terminated) and joins it. A thread that is still evaluating its modules is declaring
// its koffi functions (koffi.load, lib.func); once its Environment is stopping, node-api calls that
// may run JavaScript fail (napi_cannot_run_js) — koffi's setting of a new function's properties
// among them — and node-addon-api turns that failure into a throw, whose napi_throw fails too:
// "FATAL ERROR: Error::ThrowAsJavaScriptException napi_throw", and the whole process aborts (exit
// code 134, or a page fault; seen about once in 100 runs of test/process/exit.test.ts's guest-select
// child that ends on unref, 50 ms after its reactor started a waiter thread). So the exit hook, after asking every thread to stop, waits for each one still starting
// to report its OS thread id — which its entry file does after all its imports have been
// evaluated — bounded by START_AT_EXIT_LIMIT_MS and given up at once for a thread found ended.
import { performance } from 'node:perf_hooks';
import { Worker, isMainThread, type TransferListItem } from 'node:worker_threads';
import { ThreadExitedError } from '../core/errors.ts';
import * as kernel32 from '../win32/kernel32.ts';
import { openProcessThreads, type OpenThread } from '../win32/diagnostics.ts';

/**
 * How often an owner looks at its threads' OS handles (checkAlive): a killed thread is noticed
 * within two of these. A loop with such a thread never blocks longer than this.
 */
export const THREAD_CHECK_MS = 250;

/**
 * At exit, the longest wait for a thread still starting (see the top of this file): a start takes
 * 0.2–1.4 s under Wine, longer on a loaded machine; one that takes longer than this is stuck, and
 * exiting is then worth the risk.
 */
export const START_AT_EXIT_LIMIT_MS = 10_000;

/** Where a thread's data carries the shared word it reports its OS thread id into. */
interface ThreadReport {
  winmuxThreadId?: SharedArrayBuffer;
}

/** Called first thing on a thread started by startWorkerThread: reports its OS thread id to the owner. */
export function reportThreadId(data: unknown): void {
  const shared = (data as ThreadReport).winmuxThreadId;
  if (shared === undefined) return;
  const word = new Int32Array(shared);
  Atomics.store(word, 0, kernel32.GetCurrentThreadId());
  Atomics.notify(word, 0); // an exit hook may be waiting for it (untilStarted)
}

/** The `entry.ts` (or, built, `entry.js`) beside the module at `moduleUrl`: a worker's tiny entry file. */
export function entryBeside(moduleUrl: string): URL {
  return new URL(`./entry${moduleUrl.endsWith('.ts') ? '.ts' : '.js'}`, moduleUrl);
}

/** A thread alive now, as the exit hook sees it. */
interface AliveThread {
  /** Ends its native wait (stopAtExit). */
  stop(): void;
  /** Its OS thread has ended already, with no 'exit' from Node: killed, and not noticed yet. */
  endedUnseen(): boolean;
  /** Blocks until it has reported its OS thread id (its modules are loaded), it has ended, or `deadline` (performance.now()). */
  untilStarted(deadline: number): void;
}

/** The threads alive now, stopped when this thread's process (or worker) exits. */
const aliveThreads = new Set<AliveThread>();
let exitHooked = false;
/** Threads of this process found killed: its exit must then skip Node's teardown of Workers. */
let killedThreads = 0;

function atExit(code: number): void {
  let killed = killedThreads;
  for (const thread of aliveThreads) {
    // A kill nobody has looked for yet (an idle loop, an unref'd one) counts too.
    if (thread.endedUnseen()) killed++;
    try {
      thread.stop();
    } catch {
      // exiting: a thread that cannot be stopped cleanly is left to the OS
    }
  }
  // Stopped first, so each one still starting ends as soon as it is up.
  const deadline = performance.now() + START_AT_EXIT_LIMIT_MS;
  for (const thread of aliveThreads) thread.untilStarted(deadline);
  if (killed > 0 && isMainThread) exitWithoutWorkerTeardown(code);
}

/**
 * A killed Worker would abort a natural exit (see the top of this file): run the 'exit' listeners
 * that come after this one, as the event would have, then end the process as process.exit() does —
 * which, called from an 'exit' listener, goes straight to the end without emitting again.
 */
function exitWithoutWorkerTeardown(code: number): void {
  const listeners = process.listeners('exit');
  for (const listener of listeners.slice(listeners.indexOf(atExit) + 1)) listener.call(process, code);
  process.exit(process.exitCode ?? code);
}

/**
 * Runs `start` (which makes one Worker) and opens the OS threads it created: the threads of this
 * process that were not there before it (see the top of this file). Empty if they cannot be
 * listed; the thread's own report then stands alone.
 */
function startAndFindThread<T>(start: () => T): { started: T; found: OpenThread[] } {
  let before: Set<number> | undefined = new Set<number>();
  try {
    openProcessThreads(0, (id) => {
      before!.add(id);
      return false; // only the ids: each handle is closed at once
    });
  } catch {
    before = undefined;
  }
  return { started: start(), found: before === undefined ? [] : newThreadsSince(before) };
}

function newThreadsSince(before: Set<number>): OpenThread[] {
  try {
    return openProcessThreads(kernel32.SYNCHRONIZE, (id) => !before.has(id));
  } catch {
    return [];
  }
}

export interface JoinOptions {
  /** How often to look (default THREAD_CHECK_MS); `meanwhile` runs as often. */
  everyMs?: number;
  /** Work to do while waiting (the IOCP worker's owner drains its ring, which the worker may be blocked on). */
  meanwhile?: () => void;
}

export interface StartedThread {
  readonly worker: Worker;
  /** Resolves when the thread has exited, for whatever reason (killed natively included). */
  readonly exited: Promise<void>;
  /** The OS thread id the thread reported (0 until it has: its own code has not run yet). */
  readonly threadId: () => number;
  /** The OS thread id found when it started (0 if that found several or none): for tests that kill it while it starts. */
  readonly foundThreadId: () => number;
  /**
   * Looks at the OS thread (at most every THREAD_CHECK_MS; `force`: now). Returns false once the
   * thread is known to be gone; a thread killed behind Node's back is reported here.
   */
  checkAlive(force?: boolean): boolean;
  /** `worker.ref()` — a no-op for a killed thread, which Node never joins. */
  hold(): void;
  /**
   * Joins the thread once its owner has asked it to end: refs it (Node must not exit before it is
   * joined) and resolves when it has exited — looking at it meanwhile, since a thread killed
   * natively never exits through Node. The one join every owner uses.
   */
  join(options?: JoinOptions): Promise<void>;
}

export interface StartOptions {
  /** What `data` holds that must be transferred (a MessagePort). */
  transferList?: TransferListItem[];
  /**
   * The thread's messages. Given here, the listener is added before the Worker is unref'd: a
   * 'message' listener added to an unref'd Worker refs it again (Node refs a port when its first
   * 'message' listener comes), and the process would never exit.
   */
  onMessage?: (message: unknown) => void;
}

/**
 * Starts `entry` with `data`, unreferenced (an idle thread must not keep the process alive; its
 * owner refs it while it joins it) and with no `execArgv` (it needs none of the parent's loaders
 * or flags — a test runner's, say). If it exits while `expected()` is false, `onUnexpectedExit`
 * gets an Error naming it (`name`), the exit code and, as cause, any error it threw.
 * `stopAtExit` must end the thread's native wait synchronously; it runs if the process (or the
 * worker thread that started this one) exits while the thread is alive.
 */
export function startWorkerThread(
  entry: URL,
  data: unknown,
  name: string,
  expected: () => boolean,
  onUnexpectedExit: (error: Error) => void,
  stopAtExit: () => void,
  { transferList = [], onMessage }: StartOptions = {},
): StartedThread {
  const threadIdWord = new Int32Array(new SharedArrayBuffer(4));
  const report: ThreadReport = { winmuxThreadId: threadIdWord.buffer as SharedArrayBuffer };
  const { started: worker, found } = startAndFindThread(() => new Worker(entry, { workerData: { ...(data as object), ...report }, transferList, execArgv: [], stdout: false, stderr: false }));
  if (onMessage !== undefined) worker.on('message', onMessage);
  worker.unref(); // after every listener: see StartOptions.onMessage
  let errorSeen: unknown;
  worker.on('error', (error) => {
    errorSeen = error;
  });
  let gone = false;
  let killed = false;
  /** The OS threads that may be this one: those found at start until it reports, then just it. */
  let candidates: OpenThread[] = found;
  let settled = false; // candidates is the reported thread alone (or it could not be opened)
  let nextCheck = 0;
  let endedOnce = false;
  /** Every OS thread that may be this one has ended (WaitForSingleObject: a thread handle is signalled at its end). */
  const endedNow = (): boolean => candidates.every((thread) => kernel32.WaitForSingleObject(thread.handle, 0) === kernel32.WAIT_OBJECT_0);
  const endedUnseen = (): boolean => !gone && candidates.length > 0 && endedNow();
  const untilStarted = (deadline: number): void => {
    // ends: the thread reports, is found ended, or the deadline passes (each wait is bounded)
    for (let left = deadline - performance.now(); Atomics.load(threadIdWord, 0) === 0 && left > 0 && !endedUnseen(); left = deadline - performance.now()) {
      Atomics.wait(threadIdWord, 0, 0, Math.min(left, THREAD_CHECK_MS));
    }
  };
  const alive: AliveThread = { stop: stopAtExit, endedUnseen, untilStarted };
  aliveThreads.add(alive);
  if (!exitHooked) {
    exitHooked = true;
    process.on('exit', atExit);
  }
  const closeThreadHandles = (): void => {
    for (const thread of candidates) kernel32.CloseHandle(thread.handle);
    candidates = [];
  };
  let resolveExited!: () => void;
  const exited = new Promise<void>((resolve) => {
    resolveExited = resolve;
  });
  worker.once('exit', (code) => {
    if (gone) return;
    gone = true;
    closeThreadHandles();
    aliveThreads.delete(alive);
    if (!expected()) onUnexpectedExit(new ThreadExitedError(`${name} exited unexpectedly (exit code ${code})`, { cause: errorSeen }));
    resolveExited();
  });
  const threadId = (): number => Atomics.load(threadIdWord, 0);
  const foundThreadId = (): number => (found.length === 1 ? found[0]!.id : 0);
  /** Once the thread has reported: keep its handle alone (opened now if the start missed it). */
  const settle = (id: number): void => {
    settled = true;
    const mine = candidates.find((t) => t.id === id);
    for (const thread of candidates) if (thread !== mine) kernel32.CloseHandle(thread.handle);
    candidates = mine !== undefined ? [mine] : [];
    if (mine !== undefined) return;
    const opened = kernel32.OpenThread(kernel32.SYNCHRONIZE, 0, id);
    // Not found: it has ended already (and its id is free for reuse: never open it later).
    if (!kernel32.isNullHandle(opened)) candidates = [{ id, handle: Number(opened) }];
  };
  const checkAlive = (force = false): boolean => {
    if (gone) return false;
    const now = performance.now();
    if (!force && now < nextCheck) return true;
    nextCheck = now + THREAD_CHECK_MS;
    const id = threadId();
    if (!settled && id !== 0) settle(id);
    // Nothing to look at: not found at start and not reported yet — only Node's 'exit' can tell.
    if (!settled && candidates.length === 0) return true;
    if (!endedNow()) {
      endedOnce = false;
      return true;
    }
    // Ended. A normal exit's 'exit' event follows within a turn of Node's loop: wait one more check.
    if (!endedOnce) {
      endedOnce = true;
      return true;
    }
    const osId = id || foundThreadId();
    const which = osId !== 0 ? ` (OS thread ${osId})` : '';
    const when = id !== 0 ? '' : ' while starting';
    gone = true;
    killed = true;
    killedThreads++;
    closeThreadHandles();
    aliveThreads.delete(alive);
    worker.unref();
    if (!expected()) {
      onUnexpectedExit(new ThreadExitedError(
        `${name}${which} ended without exiting through Node${when}: killed (TerminateThread) or crashed natively`,
        { cause: errorSeen },
      ));
    }
    resolveExited();
    return false;
  };
  const hold = (): void => {
    if (!killed) worker.ref();
  };
  const join = async ({ everyMs = THREAD_CHECK_MS, meanwhile }: JoinOptions = {}): Promise<void> => {
    hold();
    let done = gone;
    let wake: (() => void) | undefined;
    void exited.then(() => {
      done = true;
      wake?.();
    });
    // Ends: a thread either exits through Node ('exit') or is found ended by checkAlive.
    while (!done) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, everyMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
      meanwhile?.();
      checkAlive();
    }
  };
  return { worker, exited, threadId, foundThreadId, checkAlive, hold, join };
}
