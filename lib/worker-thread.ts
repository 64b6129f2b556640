// startWorkerThread: the one way winmux starts a worker_thread that spends its life in a native
// wait (the IOCP worker in GetQueuedCompletionStatusEx, the waiter threads in
// WaitForMultipleObjects), node-pty's rule made code: a thread that exits when nobody asked it to
// becomes an error its owner sees, never a silent hang.
import { Worker } from 'node:worker_threads';
import { ThreadExitedError } from './errors.ts';

/** The `entry.ts` (or, built, `entry.js`) beside the module at `moduleUrl`: a worker's tiny entry file. */
export function entryBeside(moduleUrl: string): URL {
  return new URL(`./entry${moduleUrl.endsWith('.ts') ? '.ts' : '.js'}`, moduleUrl);
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
 */
export function startWorkerThread(
  entry: URL,
  data: unknown,
  name: string,
  expected: () => boolean,
  onUnexpectedExit: (error: Error) => void,
): StartedThread {
  const worker = new Worker(entry, { workerData: data, execArgv: [], stdout: false, stderr: false });
  worker.unref();
  let errorSeen: unknown;
  worker.on('error', (error) => {
    errorSeen = error;
  });
  const exited = new Promise<void>((resolve) => {
    worker.once('exit', (code) => {
      if (!expected()) onUnexpectedExit(new ThreadExitedError(`${name} exited unexpectedly (exit code ${code})`, { cause: errorSeen }));
      resolve();
    });
  });
  return { worker, exited };
}
