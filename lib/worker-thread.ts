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
import { Worker, type TransferListItem } from 'node:worker_threads';
import { ThreadExitedError } from './errors.ts';

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
  /** Resolves when the thread has exited, for whatever reason. */
  readonly exited: Promise<void>;
}

/**
 * Starts `entry` with `data`, unreferenced (an idle thread must not keep the process alive; its
 * owner refs it while it joins it) and with no `execArgv` (it needs none of the parent's loaders
 * or flags — a test runner's, say). If it exits while `expected()` is false, `onUnexpectedExit`
 * gets an Error naming it (`name`), the exit code and, as cause, any error it threw.
 * `stopAtExit` must end the thread's native wait synchronously; it runs if the process (or the
 * worker thread that started this one) exits while the thread is alive. `transferList` moves
 * what `data` holds that must be transferred (a MessagePort).
 */
export function startWorkerThread(
  entry: URL,
  data: unknown,
  name: string,
  expected: () => boolean,
  onUnexpectedExit: (error: Error) => void,
  stopAtExit: () => void,
  transferList: TransferListItem[] = [],
): StartedThread {
  const worker = new Worker(entry, { workerData: data, transferList, execArgv: [], stdout: false, stderr: false });
  worker.unref();
  aliveThreads.add(stopAtExit);
  if (!exitHooked) {
    exitHooked = true;
    process.on('exit', stopAliveThreads);
  }
  let errorSeen: unknown;
  worker.on('error', (error) => {
    errorSeen = error;
  });
  const exited = new Promise<void>((resolve) => {
    worker.once('exit', (code) => {
      aliveThreads.delete(stopAtExit);
      if (!expected()) onUnexpectedExit(new ThreadExitedError(`${name} exited unexpectedly (exit code ${code})`, { cause: errorSeen }));
      resolve();
    });
  });
  return { worker, exited };
}
