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
// announced by the thread itself on its way out, which a killed thread never takes. So each
// thread reports its OS thread id (GetCurrentThreadId) as it starts, its owner opens the thread
// with OpenThread(SYNCHRONIZE) — a thread handle is signalled once the thread has ended — and
// `checkAlive()` looks at it with WaitForSingleObject(h, 0) at most every THREAD_CHECK_MS, from the
// owner's dispatch in each loop iteration. Found ended twice in a row with no 'exit' event (a
// normal exit's event comes within a turn of Node's loop), the thread counts as killed: its owner
// is told as for any unexpected exit, `exited` resolves, and the Worker is never joined or ref'd
// again (Node would wait for an 'exit' that cannot come).
import { performance } from 'node:perf_hooks';
import { Worker, type TransferListItem } from 'node:worker_threads';
import { ThreadExitedError } from './errors.ts';
import * as kernel32 from './win32/kernel32.ts';

/**
 * How often an owner looks at its threads' OS handles (checkAlive): a killed thread is noticed
 * within two of these. A loop with such a thread never blocks longer than this.
 */
export const THREAD_CHECK_MS = 250;

/** Where a thread's data carries the shared word it reports its OS thread id into. */
interface ThreadReport {
  winmuxThreadId?: SharedArrayBuffer;
}

/** Called first thing on a thread started by startWorkerThread: reports its OS thread id to the owner. */
export function reportThreadId(data: unknown): void {
  const shared = (data as ThreadReport).winmuxThreadId;
  if (shared !== undefined) Atomics.store(new Int32Array(shared), 0, kernel32.GetCurrentThreadId());
}

/** The `entry.ts` (or, built, `entry.js`) beside the module at `moduleUrl`: a worker's tiny entry file. */
export function entryBeside(moduleUrl: string): URL {
  return new URL(`./entry${moduleUrl.endsWith('.ts') ? '.ts' : '.js'}`, moduleUrl);
}

/** The stop calls of the threads alive now, made when this thread's process (or worker) exits. */
const aliveThreads = new Set<() => void>();
let exitHooked = false;

function stopAliveThreads(): void {
  for (const stop of aliveThreads) {
    try {
      stop();
    } catch {
      // exiting: a thread that cannot be stopped cleanly is left to the OS
    }
  }
}

export interface StartedThread {
  readonly worker: Worker;
  /** Resolves when the thread has exited, for whatever reason (killed natively included). */
  readonly exited: Promise<void>;
  /** The OS thread id the thread reported (0 until it has; threads that do not report stay 0). */
  readonly threadId: () => number;
  /**
   * Looks at the OS thread (at most every THREAD_CHECK_MS; `force`: now). Returns false once the
   * thread is known to be gone; a thread killed behind Node's back is reported here.
   */
  checkAlive(force?: boolean): boolean;
  /** `worker.ref()` while the owner joins it — a no-op for a killed thread, which Node never joins. */
  hold(): void;
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
  const worker = new Worker(entry, { workerData: { ...(data as object), ...report }, transferList, execArgv: [], stdout: false, stderr: false });
  if (onMessage !== undefined) worker.on('message', onMessage);
  worker.unref(); // after every listener: see StartOptions.onMessage
  aliveThreads.add(stopAtExit);
  if (!exitHooked) {
    exitHooked = true;
    process.on('exit', stopAliveThreads);
  }
  let errorSeen: unknown;
  worker.on('error', (error) => {
    errorSeen = error;
  });
  let gone = false;
  let killed = false;
  let handle: number | undefined;
  let nextCheck = 0;
  let endedOnce = false;
  const closeThreadHandle = (): void => {
    if (handle !== undefined) kernel32.CloseHandle(handle);
    handle = undefined;
  };
  let resolveExited!: () => void;
  const exited = new Promise<void>((resolve) => {
    resolveExited = resolve;
  });
  worker.once('exit', (code) => {
    if (gone) return;
    gone = true;
    closeThreadHandle();
    aliveThreads.delete(stopAtExit);
    if (!expected()) onUnexpectedExit(new ThreadExitedError(`${name} exited unexpectedly (exit code ${code})`, { cause: errorSeen }));
    resolveExited();
  });
  const threadId = (): number => Atomics.load(threadIdWord, 0);
  const checkAlive = (force = false): boolean => {
    if (gone) return false;
    const now = performance.now();
    if (!force && now < nextCheck) return true;
    if (handle === undefined) {
      const id = threadId();
      // Not started yet: look again at the next check, not THREAD_CHECK_MS later, so the thread's
      // handle is opened (and the process's handle count settles) as soon as it has started.
      if (id === 0) return true;
      const opened = kernel32.OpenThread(kernel32.SYNCHRONIZE, 0, id);
      if (kernel32.isNullHandle(opened)) return true; // already ended: Node's 'exit' says how
      handle = Number(opened);
    }
    nextCheck = now + THREAD_CHECK_MS;
    if (kernel32.WaitForSingleObject(handle, 0) !== kernel32.WAIT_OBJECT_0) {
      endedOnce = false;
      return true;
    }
    // Ended. A normal exit's 'exit' event follows within a turn of Node's loop: wait one more check.
    if (!endedOnce) {
      endedOnce = true;
      return true;
    }
    gone = true;
    killed = true;
    closeThreadHandle();
    aliveThreads.delete(stopAtExit);
    worker.unref();
    if (!expected()) {
      onUnexpectedExit(new ThreadExitedError(
        `${name} (OS thread ${threadId()}) ended without exiting through Node: killed (TerminateThread) or crashed natively`,
        { cause: errorSeen },
      ));
    }
    resolveExited();
    return false;
  };
  const hold = (): void => {
    if (!killed) worker.ref();
  };
  return { worker, exited, threadId, checkAlive, hold };
}
