// CompletionWorker: how packets leave the port in select mode — the reactor's side of the IOCP
// worker thread (worker-loop.ts), which blocks in GetQueuedCompletionStatusEx, lets it write each
// OVERLAPPED_ENTRY straight into a SharedArrayBuffer ring (completion-ring.ts) and wakes the
// reactor through its wakeup socket if it may be asleep. The loop drains the ring in each poll
// phase — only what is in it at that moment. Started at the first use of the completion family;
// stopped by a private stop key once close() has settled or abandoned every operation. (In port
// mode there is no worker: the reactor thread dequeues itself, port-dequeue.ts.)
import type { Worker } from 'node:worker_threads';
import { entryBeside, startWorkerThread, type StartedThread } from '../../threads/worker-thread.ts';
import { WinError } from '../../core/windows-errors.ts';
import { ThreadExitedError } from '../../core/errors.ts';
import type { WakeTarget } from '../../wakeup/protocol.ts';
import { CompletionRing, type Completion } from '../completion-ring.ts';
import { ERRNO, EXITING, FAILED, STATE, TAIL, type IocpWorkerData } from '../protocol.ts';
import { KEY_STOP } from '../../loop/reserved-keys.ts';
import { postPrivate } from '../completion-post.ts';
import type { Handle } from '../handle-registry.ts';

export class CompletionWorker {
  readonly #port: Handle;
  /** Where the worker wakes the reactor. */
  readonly #wake: WakeTarget;
  readonly #ring = new CompletionRing();
  /** The worker failed or ended unexpectedly: everything pending must fail (called once). */
  readonly #onFail: (error: Error) => void;
  #worker: Worker | undefined;
  #workerExited: Promise<void> | undefined;
  /** The worker as started: liveness checks and joining (lib/threads/worker-thread.ts). */
  #thread: StartedThread | undefined;
  #stopping = false;
  #failed = false;

  constructor(port: Handle, wake: WakeTarget, onFail: (error: Error) => void) {
    this.#port = port;
    this.#wake = wake;
    this.#onFail = onFail;
  }

  /** The worker thread, once started (for tests that need to kill it). */
  get worker(): Worker | undefined {
    return this.#worker;
  }

  /** The worker's OS thread id once it has reported it, else 0 (for tests that kill it natively). */
  get threadId(): number {
    return this.#thread?.threadId() ?? 0;
  }

  get failed(): boolean {
    return this.#failed;
  }

  /** Packets in the ring that the loop has not dispatched yet. */
  backlog(): number {
    return this.#ring.backlog();
  }

  /** Starts the worker thread, unless it has started already. */
  start(): void {
    if (this.#worker !== undefined) return;
    const data: IocpWorkerData = { port: this.#port, ring: this.#ring.bytes.buffer as SharedArrayBuffer, control: this.#ring.control.buffer as SharedArrayBuffer, wake: this.#wake };
    const thread = startWorkerThread(entryBeside(import.meta.url), data, 'the IOCP worker thread',
      () => this.#stopping, (error) => this.#fail(error), () => {
        // At exit: the worker leaves at once, whatever is queued (EXITING), from a full ring's
        // wait (TAIL) or from its port wait (KEY_STOP).
        this.#stopping = true;
        Atomics.store(this.#ring.control, EXITING, 1);
        Atomics.notify(this.#ring.control, TAIL);
        postPrivate(this.#port, KEY_STOP, 0);
      });
    this.#thread = thread;
    this.#worker = thread.worker;
    this.#workerExited = thread.exited;
  }

  /** Looks at the worker's OS thread now: a killed one is reported as a failure (lib/threads/worker-thread.ts). */
  checkAlive(): void {
    this.#thread?.checkAlive();
  }

  /** Hands every packet in the ring now to `deliver`, and looks at the worker's health. Returns the count. */
  drain(deliver: (entry: Completion) => void): number {
    const count = this.#ring.drain(deliver);
    this.#thread?.checkAlive(); // a worker killed behind Node's back (lib/threads/worker-thread.ts)
    if (this.#worker !== undefined && !this.#failed && Atomics.load(this.#ring.control, STATE) === FAILED) {
      this.#fail(new ThreadExitedError('the IOCP worker thread failed', { cause: new WinError('GetQueuedCompletionStatusEx', Atomics.load(this.#ring.control, ERRNO)) }));
    }
    return count;
  }

  /** Stops the worker with the stop key and joins it; what reaches the ring meanwhile goes to `deliver`. */
  async stop(deliver: (entry: Completion) => void): Promise<void> {
    if (this.#worker === undefined) return;
    this.#stopping = true;
    if (!this.#failed) postPrivate(this.#port, KEY_STOP, 0);
    // The worker reaches the stop key only after every packet queued before it. Keep draining
    // the ring meanwhile (what comes now is stray: everything pending was settled or
    // abandoned), or a backlog larger than the ring leaves the worker waiting for space and
    // close() waiting for the worker — seen with a thread posting without pause.
    await this.#thread!.join({ everyMs: 1, meanwhile: () => this.#ring.drain(deliver) });
  }

  #fail(error: Error): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#onFail(error);
  }
}
