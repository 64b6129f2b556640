// JobObject: a Windows job object whose messages arrive on a reactor's completion port — a fourth
// kind of packet, next to overlapped I/O, wakes and user posts. SetInformationJobObject(
// JobObjectAssociateCompletionPortInformation) makes the kernel post JOB_OBJECT_MSG_* packets to
// the port with key = the job's completion key, lpOverlapped = the process id and
// dwNumberOfBytesTransferred = the message id. The job is a row of the port's key table
// (completion-keys.ts): its packets come to `deliver` by key, during dispatch, and the port
// closes it (`close(error)`) before the port handle closes.
//
// Why: a process in a job costs no waiter thread — its exit is a packet — and the job reaches
// its whole tree: a process started by a member joins the job (unless it breaks away), so
// TerminateJobObject ends descendants too, and JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE ends them when
// the job's last handle closes.
//
// Microsoft documents the messages as not guaranteed (JOBOBJECT_ASSOCIATE_COMPLETION_PORT
// remarks), so an exit awaited through a job has a backstop that cannot lose it: while a wait is
// pending, the process handle is polled with a zero-timeout WaitForSingleObject every
// BACKSTOP_POLL_MS and whenever the job reports ACTIVE_PROCESS_ZERO — no thread either way.
//
// Measured under Wine 8 (probes/jobs.ts, docs/wine.md): NEW_PROCESS for each member (including
// the conhost.exe Wine starts for a console child), EXIT_PROCESS with the pid, then
// ACTIVE_PROCESS_ZERO with lpOverlapped 0; Wine never posts ABNORMAL_EXIT_PROCESS (a crash with
// 0xC0000005 arrives as EXIT_PROCESS), so an event's exit code is read from the process, not
// inferred from the message.
import * as kernel32 from '../win32/kernel32.ts';
import { ERROR, WinError } from '../core/windows-errors.ts';
import { JOBOBJECT_ASSOCIATE_COMPLETION_PORT, JOBOBJECT_BASIC_PROCESS_ID_LIST, JOBOBJECT_EXTENDED_LIMIT_INFORMATION } from '../win32/structs.ts';
import type { Reactor } from '../scheduler/reactor.ts';
import type { Completion } from '../iocp-worker/completion-ring.ts';
import type { KeySource } from '../iocp-worker/completion-keys.ts';
import { BusyResourceError, ClosedResourceError } from '../core/errors.ts';
import { checkInteger, checkOptions } from '../core/arguments.ts';
import { checkReactor } from '../scheduler/check-reactor.ts';
import { untilClosed } from '../core/until-closed.ts';

/** How often a pending exit wait looks at its process itself, in case the job's message was lost (they are not guaranteed). */
export const BACKSTOP_POLL_MS = 1000;
/** Events nobody has read yet, kept newest-last: a job whose events are never read keeps only these. */
const MAX_QUEUED_EVENTS = 4096;

/** What a job reports, each with the process id it is about. */
export type JobEvent =
  | { type: 'new-process'; pid: number }
  /** `exitCode`: read from the process (GetExitCodeProcess), null when it could no longer be read. */
  | { type: 'exit'; pid: number; exitCode: number | null }
  /** Windows' ABNORMAL_EXIT_PROCESS (an unhandled exception); Wine 8 reports such an exit as 'exit'. */
  | { type: 'abnormal-exit'; pid: number; exitCode: number | null }
  /** No process is left in the job (ACTIVE_PROCESS_ZERO; its pid is 0). */
  | { type: 'all-exited'; pid: 0 };

export interface JobObjectOptions {
  /** End every process of the job when it closes (JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE). Default false. */
  killOnClose?: boolean;
}

/** Test-only: `dropMessages` makes every job discard its packets, as a lossy kernel might. */
export const jobTestHooks = { dropMessages: false };

interface ExitWatch {
  handle: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Rounds `processes()` makes while processes keep joining between the count and the copy. */
const PROCESS_LIST_TRIES = 8;

export class JobObject implements AsyncIterable<JobEvent>, AsyncDisposable, KeySource {
  /** The job's handle (closed by `close()`). */
  readonly handle: number;
  readonly killOnClose: boolean;
  readonly #reactor: Reactor;
  /** Takes the job's key out of the port's key table. */
  #removeKey: () => void = () => {};
  /** Tells the reactor a task now waits on the job (a guest reactor re-counts its waiters). */
  #onWait: () => void = () => {};
  /** Exit waits by pid (ChildProcess.wait of a child started in this job). */
  readonly #exits = new Map<number, Set<ExitWatch>>();
  /**
   * Our duplicates of assigned children's process handles, by pid, until their exit is reported:
   * an exit code is read from these (the owner may close its own meanwhile), and while one is
   * open the pid cannot name another process.
   */
  readonly #handles = new Map<number, number>();
  readonly #events: JobEvent[] = [];
  #eventWaiter: { resolve: (event: JobEvent) => void; reject: (error: unknown) => void } | undefined;
  #backstop: AbortController | undefined;
  #closedWith: unknown;

  constructor(reactor: Reactor, options: JobObjectOptions = {}) {
    checkReactor(reactor, 'JobObject: reactor');
    const { killOnClose = false } = checkOptions(options, 'JobObject: options') as JobObjectOptions;
    if (typeof killOnClose !== 'boolean') throw new TypeError(`JobObject: killOnClose must be a boolean, got ${typeof killOnClose}`);
    this.#reactor = reactor;
    this.killOnClose = killOnClose;
    const job = kernel32.CreateJobObjectW(null, null);
    if (kernel32.isNullHandle(job)) throw new WinError('CreateJobObjectW', kernel32.GetLastError());
    this.handle = Number(job);
    try {
      if (killOnClose) {
        const limits = new Uint8Array(JOBOBJECT_EXTENDED_LIMIT_INFORMATION.SIZE);
        new DataView(limits.buffer).setUint32(JOBOBJECT_EXTENDED_LIMIT_INFORMATION.LIMIT_FLAGS, kernel32.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE, true);
        this.#set(kernel32.JobObjectExtendedLimitInformation, limits, 'JobObjectExtendedLimitInformation');
      }
      reactor.openCompletionSource((key, port, hooks) => {
        this.#removeKey = hooks.remove;
        this.#onWait = hooks.onWait;
        const info = new Uint8Array(JOBOBJECT_ASSOCIATE_COMPLETION_PORT.SIZE);
        const view = new DataView(info.buffer);
        view.setBigUint64(JOBOBJECT_ASSOCIATE_COMPLETION_PORT.KEY, BigInt(key), true);
        view.setBigUint64(JOBOBJECT_ASSOCIATE_COMPLETION_PORT.PORT, BigInt(port), true);
        this.#set(kernel32.JobObjectAssociateCompletionPortInformation, info, 'JobObjectAssociateCompletionPortInformation');
        return this;
      });
    } catch (error) {
      this.#removeKey();
      kernel32.CloseHandle(this.handle);
      throw error;
    }
  }

  #set(infoClass: number, info: Uint8Array, what: string): void {
    if (!kernel32.SetInformationJobObject(this.handle, infoClass, info, info.length)) {
      throw new WinError('SetInformationJobObject', kernel32.GetLastError(), { detail: what });
    }
  }

  /**
   * Puts a process in the job: a ChildProcess, or a process HANDLE with PROCESS_SET_QUOTA and
   * PROCESS_TERMINATE access. Processes it starts from then on join too. A process may be in
   * several jobs (nested jobs, Windows 8 and later, and Wine 8).
   */
  assign(process: { handle: number; pid: number } | number): void {
    this.#check();
    const handle = typeof process === 'number' ? kernel32.toHandle(process, 'JobObject.assign: process') : checkChild(process);
    if (!kernel32.AssignProcessToJobObject(this.handle, handle)) throw new WinError('AssignProcessToJobObject', kernel32.GetLastError());
    if (typeof process !== 'number' && !this.#handles.has(process.pid)) this.#handles.set(process.pid, duplicate(handle));
  }

  /** Forgets a member's handle (closing our duplicate). */
  #forget(pid: number): void {
    const handle = this.#handles.get(pid);
    if (handle === undefined) return;
    this.#handles.delete(pid);
    kernel32.CloseHandle(handle);
  }

  /** Ends every process in the job, descendants included (TerminateJobObject), with `exitCode` (default 1). */
  kill(exitCode = 1): void {
    this.#check();
    checkInteger(exitCode, 'JobObject.kill: exitCode', 0, 0xffff_ffff);
    if (!kernel32.TerminateJobObject(this.handle, exitCode)) throw new WinError('TerminateJobObject', kernel32.GetLastError());
  }

  /** The ids of the processes in the job now (QueryInformationJobObject, JobObjectBasicProcessIdList). */
  processes(): number[] {
    this.#check();
    // At most PROCESS_LIST_TRIES rounds, each sized by the count the last one reported (plus room
    // for a few more): the list comes back short (ERROR_MORE_DATA) only if processes joined
    // between the count and the copy.
    let capacity = 64;
    for (let attempt = 0; attempt < PROCESS_LIST_TRIES; attempt++) {
      const buffer = new Uint8Array(JOBOBJECT_BASIC_PROCESS_ID_LIST.IDS + capacity * JOBOBJECT_BASIC_PROCESS_ID_LIST.ID_SIZE);
      const ok = kernel32.QueryInformationJobObject(this.handle, kernel32.JobObjectBasicProcessIdList, buffer, buffer.length, null);
      const errno = ok ? 0 : kernel32.GetLastError();
      if (!ok && errno !== ERROR.ERROR_MORE_DATA) throw new WinError('QueryInformationJobObject', errno, { detail: 'JobObjectBasicProcessIdList' });
      const view = new DataView(buffer.buffer);
      const assigned = view.getUint32(JOBOBJECT_BASIC_PROCESS_ID_LIST.ASSIGNED, true);
      const listed = view.getUint32(JOBOBJECT_BASIC_PROCESS_ID_LIST.IN_LIST, true);
      if (ok && listed >= assigned) {
        return Array.from({ length: listed }, (_, i) => Number(view.getBigUint64(JOBOBJECT_BASIC_PROCESS_ID_LIST.IDS + i * JOBOBJECT_BASIC_PROCESS_ID_LIST.ID_SIZE, true)));
      }
      capacity = Math.max(capacity, assigned) * 2;
    }
    throw new WinError('QueryInformationJobObject', ERROR.ERROR_MORE_DATA, { detail: `JobObjectBasicProcessIdList: processes kept joining over ${PROCESS_LIST_TRIES} tries` });
  }

  /** The next event; rejects with ClosedResourceError once the job (or its reactor) is closed. */
  next(): Promise<JobEvent> {
    if (this.#events.length > 0) return Promise.resolve(this.#events.shift()!);
    if (this.#closedWith !== undefined) return Promise.reject(this.#closedWith);
    if (this.#eventWaiter !== undefined) return Promise.reject(new BusyResourceError('JobObject.next: another task is already waiting'));
    return new Promise((resolve, reject) => {
      this.#eventWaiter = { resolve, reject };
      this.#onWait();
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<JobEvent> {
    return untilClosed(() => this.next(), () => this.#closedWith !== undefined);
  }

  /**
   * @internal Resolves once process `pid` (whose handle is `handle`) has exited: its EXIT or
   * ABNORMAL_EXIT message, or the backstop's look at `handle`. Rejects if the job closes first,
   * or when `signal` fires.
   */
  whenExited(pid: number, handle: number, signal?: AbortSignal): Promise<void> {
    this.#check();
    if (kernel32.WaitForSingleObject(handle, 0) === kernel32.WAIT_OBJECT_0) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      let watches = this.#exits.get(pid);
      if (watches === undefined) this.#exits.set(pid, (watches = new Set()));
      const onAbort = (): void => {
        this.#unwatch(pid, watch);
        reject(signal!.reason);
      };
      const watch: ExitWatch = {
        handle,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      watches.add(watch);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#onWait();
      this.#armBackstop();
    });
  }

  #unwatch(pid: number, watch: ExitWatch): void {
    const watches = this.#exits.get(pid);
    watches?.delete(watch);
    if (watches?.size === 0) this.#exits.delete(pid);
    if (this.#exits.size === 0) this.#disarmBackstop();
  }

  /** Ends the exit waits on `pid`. */
  #exited(pid: number): void {
    const watches = this.#exits.get(pid);
    if (watches === undefined) return;
    this.#exits.delete(pid);
    for (const watch of watches) watch.resolve();
    if (this.#exits.size === 0) this.#disarmBackstop();
  }

  /** Ends every exit wait whose process has exited, by looking at its handle (zero-timeout wait). */
  #sweep(): void {
    for (const [pid, watches] of [...this.#exits]) {
      const [first] = watches;
      if (first !== undefined && kernel32.WaitForSingleObject(first.handle, 0) === kernel32.WAIT_OBJECT_0) this.#exited(pid);
    }
  }

  /** While exit waits are pending: a timer sweeps every BACKSTOP_POLL_MS (a lost message delays a wait by at most that). */
  #armBackstop(): void {
    if (this.#backstop !== undefined) return;
    const controller = (this.#backstop = new AbortController());
    const tick = (): void => {
      this.#reactor.sleep(BACKSTOP_POLL_MS, { signal: controller.signal }).then(
        () => {
          if (controller.signal.aborted) return;
          this.#sweep();
          if (this.#backstop === controller) tick();
        },
        () => {}, // aborted, or the reactor closed (the job closes with it)
      );
    };
    tick();
  }

  #disarmBackstop(): void {
    this.#backstop?.abort();
    this.#backstop = undefined;
  }

  /**
   * @internal The key table's row: a packet for this job's key, during dispatch. Kept as an
   * event whether or not a task waits (a job's packets are few: one per process start and exit).
   */
  deliver(entry: Completion): boolean {
    if (this.#closedWith !== undefined) return false;
    this.#onPacket(entry.bytes, entry.overlapped);
    return true;
  }

  /**
   * @internal A task waits on the job (an event reader or an exit wait): the reactor keeps a
   * guest's process alive for it. An idle job does not.
   */
  get waiting(): boolean {
    return this.#eventWaiter !== undefined || this.#exits.size > 0;
  }

  /** One JOB_OBJECT_MSG_* (`message`) about process `pid`. */
  #onPacket(message: number, pid: number): void {
    if (jobTestHooks.dropMessages) return;
    let event: JobEvent;
    switch (message) {
      case kernel32.JOB_OBJECT_MSG_NEW_PROCESS:
        event = { type: 'new-process', pid };
        break;
      case kernel32.JOB_OBJECT_MSG_EXIT_PROCESS:
      case kernel32.JOB_OBJECT_MSG_ABNORMAL_EXIT_PROCESS:
        event = { type: message === kernel32.JOB_OBJECT_MSG_EXIT_PROCESS ? 'exit' : 'abnormal-exit', pid, exitCode: this.#exitCodeOf(pid, this.#handles.get(pid)) };
        this.#forget(pid);
        this.#exited(pid);
        break;
      case kernel32.JOB_OBJECT_MSG_ACTIVE_PROCESS_ZERO:
        // A member whose EXIT message never came (Wine 8 posts none for a process that
        // TerminateJobObject ended; Windows may drop any) has exited by now: its event comes
        // first, from its handle, and so does the end of any wait on it.
        for (const [member, handle] of [...this.#handles]) {
          if (kernel32.WaitForSingleObject(handle, 0) !== kernel32.WAIT_OBJECT_0) continue;
          this.#emit({ type: 'exit', pid: member, exitCode: this.#exitCodeOf(member, handle) });
          this.#forget(member);
        }
        this.#sweep();
        event = { type: 'all-exited', pid: 0 };
        break;
      default:
        return; // limits winmux never sets (time, memory, active process count)
    }
    this.#emit(event);
  }

  #emit(event: JobEvent): void {
    const waiter = this.#eventWaiter;
    if (waiter !== undefined) {
      this.#eventWaiter = undefined;
      waiter.resolve(event);
      return;
    }
    this.#events.push(event);
    if (this.#events.length > MAX_QUEUED_EVENTS) this.#events.shift();
  }

  /**
   * The exit code of `pid`: from the handle of an assigned child, else from OpenProcess. An
   * exited process's id is not reused while a handle to it is open; once none is, the id may
   * name a new process — one still running is not the one that exited (null).
   */
  #exitCodeOf(pid: number, own: number | undefined): number | null {
    const code = new Uint32Array(1);
    if (own !== undefined) return kernel32.GetExitCodeProcess(own, code) ? code[0]! : null;
    const handle = kernel32.OpenProcess(kernel32.PROCESS_QUERY_LIMITED_INFORMATION | kernel32.SYNCHRONIZE, 0, pid);
    if (kernel32.isNullHandle(handle)) return null;
    try {
      if (!kernel32.GetExitCodeProcess(handle, code)) return null;
      return code[0] === kernel32.STILL_ACTIVE && kernel32.WaitForSingleObject(handle, 0) === kernel32.WAIT_TIMEOUT ? null : code[0]!;
    } finally {
      kernel32.CloseHandle(handle);
    }
  }

  /**
   * Closes the job: its key stops taking packets, pending reads and exit waits reject with
   * ClosedResourceError, and the handle is closed — with `killOnClose`, that ends every process
   * still in the job; without it they run on, outside any job of ours. Idempotent.
   */
  close(error: unknown = new ClosedResourceError('the job object is closed')): void {
    if (this.#closedWith !== undefined) return;
    this.#closedWith = error;
    // Out of the key table first: a packet the kernel posts from here on is stray. There is no
    // call that breaks a job's port association; once the handle is closed, a job kept alive by
    // its processes still holds a reference to the port object, so a late post cannot reach a
    // reused handle value.
    this.#removeKey();
    this.#disarmBackstop();
    kernel32.CloseHandle(this.handle);
    const waiter = this.#eventWaiter;
    this.#eventWaiter = undefined;
    waiter?.reject(error);
    for (const watches of this.#exits.values()) for (const watch of watches) watch.reject(error);
    this.#exits.clear();
    for (const pid of [...this.#handles.keys()]) this.#forget(pid);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  #check(): void {
    if (this.#closedWith !== undefined) throw new ClosedResourceError('the job object is closed');
  }
}

/** A second handle to the same process, same access (DuplicateHandle), closed independently of the first. */
function duplicate(handle: number): number {
  const out = new Uint8Array(8);
  if (!kernel32.DuplicateHandle(kernel32.CURRENT_PROCESS, handle, kernel32.CURRENT_PROCESS, out, 0, 0, kernel32.DUPLICATE_SAME_ACCESS)) {
    throw new WinError('DuplicateHandle', kernel32.GetLastError(), { detail: 'the process handle' });
  }
  return Number(new DataView(out.buffer).getBigUint64(0, true));
}

function checkChild(child: unknown): number {
  if (typeof child !== 'object' || child === null || typeof (child as { pid?: unknown }).pid !== 'number') {
    throw new TypeError('JobObject.assign: process must be a ChildProcess or a process HANDLE');
  }
  return kernel32.toHandle((child as { handle: unknown }).handle, 'JobObject.assign: process.handle');
}
