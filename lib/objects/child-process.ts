// ChildProcess: a process started with CreateProcessW; its exit is awaited through the reactor's
// object-wait family, and its stdio can be winmux named pipes (child-stdio.ts).
import * as kernel32 from '../win32/kernel32.ts';
import { WinError } from '../core/windows-errors.ts';
import { PROCESS_INFORMATION } from '../win32/structs.ts';
import type { Reactor } from '../scheduler/reactor.ts';
import { ClosedResourceError } from '../core/errors.ts';
import { checkSignal, onAbort } from '../core/abort.ts';
import { checkInteger, checkOptions as checkOptionsBag } from '../core/arguments.ts';
import { checkReactor } from '../scheduler/check-reactor.ts';
import type { NamedPipe } from '../io/named-pipe.ts';
import path from 'node:path';
import { buildBatchCommandLine, buildCommandLine, checkCommandString, firstWord, quoteArgument } from './command-line.ts';
import { commandInterpreter, findProgram } from './program-search.ts';
import { ChildStdio, checkStdio, type StdioOption } from './child-stdio.ts';
import { StartupInfo } from './startup-info.ts';
import { HandleWaits } from './handle-waits.ts';
import { JobObject, type JobObjectOptions } from './job-object.ts';

export interface SpawnOptions {
  /** Working directory (default: this process's). */
  cwd?: string;
  /** The child's whole environment (default: inherit this process's). */
  env?: Record<string, string>;
  /**
   * The child's standard handles (default 'ignore' for each): 'pipe' — a new named pipe, the
   * parent's end as `child.stdin`/`stdout`/`stderr`; 'inherit' — this process's own
   * (GetStdHandle); 'ignore' — the NUL device; or a HANDLE of yours (the child gets a duplicate).
   * The default is not Node's 'pipe' on purpose: a winmux pipe is read only when the caller
   * reads it (there is no stream reading in the background), so a piped stdout nobody reads
   * blocks the child once the pipe's 64 KiB buffer is full (Node's pipe, read into its stream up
   * to the stream's highWaterMark, blocks the same way a little later), and every pipe is a
   * handle pair the caller must close. 'ignore' never blocks the child; ask for 'pipe' where you
   * read.
   */
  stdin?: StdioOption;
  stdout?: StdioOption;
  stderr?: StdioOption;
  /** Aborting it terminates the child (TerminateProcess, exit code 1) if it still runs. */
  signal?: AbortSignal;
  /**
   * Start the child in a job of its own on the reactor's port (`child.job`), before it runs: its
   * exit arrives as a packet, so `wait()` uses no waiter thread, and the processes it starts join
   * the job, so `kill({ tree: true })` ends them too. `{ killOnClose: true }` also ends the tree
   * when the child is closed (or its reactor). Default false: a waiter thread waits for the exit.
   */
  tree?: boolean | JobObjectOptions;
}

/** A Windows environment block: "NAME=value\0…\0\0" in UTF-16, sorted by name case-insensitively. */
function environmentBlock(env: Record<string, string>): Uint8Array {
  if (typeof env !== 'object' || env === null) throw new TypeError(`spawnProcess: env must be an object of strings, got ${env === null ? 'null' : typeof env}`);
  for (const [key, value] of Object.entries(env)) {
    // The block separates entries with NUL and a name from its value with '=' (a leading '=' is
    // Windows' own per-drive variables, which a name cannot otherwise contain).
    if (key === '' || key.slice(1).includes('=') || key.includes('\0')) throw new TypeError(`spawnProcess: env name ${JSON.stringify(key)} is not a valid environment variable name`);
    if (typeof value !== 'string') throw new TypeError(`spawnProcess: env.${key} must be a string, got ${typeof value}`);
    if (value.includes('\0')) throw new TypeError(`spawnProcess: env.${key} contains a NUL character`);
  }
  const entries = Object.entries(env).sort(([a], [b]) => a.toUpperCase().localeCompare(b.toUpperCase()));
  return Buffer.from(`${entries.map(([k, v]) => `${k}=${v}\0`).join('')}\0`, 'utf16le');
}

/** What CreateProcessW gets: the program's full path (so it searches nothing) and the command line. */
interface Command {
  application: string;
  commandLine: string;
}

/**
 * cmd.exe run in the argv form with an argument that needed quoting: cmd.exe parses its command
 * line by its own rules (`/c` takes the rest of the line, quotes are stripped by `/s` rules, `\"`
 * is no escape), not CommandLineToArgvW's, so the quoting that form adds would reach the command
 * as text. Arguments that need no quoting (`/c`, `exit`, `3`) arrive as they are, so those work.
 */
function refuseQuotedCmdArguments(programPath: string, args: readonly string[]): void {
  if (path.win32.basename(programPath).toLowerCase() !== 'cmd.exe') return;
  const index = args.findIndex((arg) => quoteArgument(arg) !== arg);
  if (index < 0) return;
  throw new RangeError(
    `spawnProcess: cmd.exe parses its own command line, not an argv: args[${index}] (${JSON.stringify(args[index])}) would reach it quoted by CommandLineToArgvW's rules, which cmd.exe does not undo. ` +
      "Pass the raw form, one string in cmd.exe's syntax: spawnProcess(reactor, 'cmd.exe /d /s /c \"your command\"', options) (docs/api.md, \"Child processes\")",
  );
}

/** `file` with `args`: a program's argv by CommandLineToArgvW's rules, or a batch file's through cmd.exe. */
function argvCommand(file: string, args: readonly string[]): Command {
  const commandLine = buildCommandLine(file, args); // checks the name first: not empty, no quote
  const program = findProgram(file, 'spawnProcess: file');
  refuseQuotedCmdArguments(program.path, args);
  if (!program.batch) return { application: program.path, commandLine };
  return { application: commandInterpreter(), commandLine: buildBatchCommandLine(program.path, args, { file: 'spawnProcess: file', args: 'spawnProcess: args' }) };
}

/**
 * A raw command line, passed as it is; its first word is the program. A batch file is refused:
 * cmd.exe would parse the rest of the line by its own rules, which no caller-side quoting for
 * CommandLineToArgvW survives.
 */
function rawCommand(commandLine: string): Command {
  const name = firstWord(commandLine);
  if (name === '') throw new TypeError('spawnProcess: the command line names no program');
  const program = findProgram(name, 'spawnProcess: the command line');
  if (program.batch) {
    throw new RangeError(
      `spawnProcess: the command line runs the batch file ${program.path}, whose arguments cmd.exe would parse by its own rules (a quote, & or %NAME% in one runs or changes a command): ` +
        'pass the file and its arguments as spawnProcess(reactor, file, args), which quotes them for cmd.exe, or start cmd.exe /c yourself',
    );
  }
  return { application: program.path, commandLine };
}

/** The options, every one checked before anything is opened. */
function checkOptions(options: unknown): { cwd: string | null; env: Uint8Array | null; stdio: [StdioOption, StdioOption, StdioOption]; signal: AbortSignal | undefined; tree: JobObjectOptions | undefined } {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`spawnProcess: options must be an object, got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}`);
  }
  const o = options as SpawnOptions;
  return {
    cwd: o.cwd === undefined ? null : checkCommandString(o.cwd, 'spawnProcess: cwd'),
    env: o.env === undefined ? null : environmentBlock(o.env),
    stdio: [checkStdio(o.stdin, 'stdin'), checkStdio(o.stdout, 'stdout'), checkStdio(o.stderr, 'stderr')],
    signal: checkSignal(o.signal, 'spawnProcess: signal'),
    tree: checkTree(o.tree),
  };
}

function checkTree(tree: unknown): JobObjectOptions | undefined {
  if (tree === undefined || tree === false) return undefined;
  if (tree === true) return {};
  if (typeof tree === 'object' && tree !== null && !Array.isArray(tree)) return tree as JobObjectOptions; // JobObject checks its fields
  throw new TypeError(`spawnProcess: tree must be a boolean or { killOnClose }, got ${tree === null ? 'null' : typeof tree}`);
}

/**
 * Puts the suspended child in `job`, then lets it run: it cannot start a process before it is in
 * the job (CREATE_SUSPENDED; PROC_THREAD_ATTRIBUTE_JOB_LIST would do it in one call on Windows 10+).
 * On failure the child is ended, never left suspended.
 */
function startInJob(job: JobObject, process: number, thread: number, pid: number): void {
  try {
    job.assign({ handle: process, pid });
    if (kernel32.ResumeThread(thread) === 0xffff_ffff) throw new WinError('ResumeThread', kernel32.GetLastError());
  } catch (error) {
    kernel32.TerminateProcess(process, 1);
    throw error;
  }
}

export class ChildProcess implements AsyncDisposable {
  readonly pid: number;
  readonly handle: number;
  /** The parent's end of the child's stdin, when it was 'pipe': write, then close() for end of input. */
  readonly stdin: NamedPipe | undefined;
  /** The parent's end of the child's stdout, when it was 'pipe': read() until 0 (the child closed it). */
  readonly stdout: NamedPipe | undefined;
  /** The parent's end of the child's stderr, when it was 'pipe'. */
  readonly stderr: NamedPipe | undefined;
  readonly #reactor: Reactor;
  /** The waits on the handle, and closing it only once no waiter thread holds it. */
  readonly #waits: HandleWaits;
  /** Settles once the handle is really closed (after the waits, if any). */
  #released: Promise<void> = Promise.resolve();
  #closed = false;
  /** Drops the `signal` option's listener. */
  #unlisten: () => void = () => {};
  /** `exited`, made on first use. */
  #exited: Promise<number> | undefined;
  /** With the `tree` option: the job the child and its descendants are in; its exit comes from there. */
  readonly job: JobObject | undefined;

  private constructor(reactor: Reactor, handle: number, pid: number, pipes: ChildStdio['pipes'], job: JobObject | undefined) {
    this.#reactor = reactor;
    this.job = job;
    this.handle = handle;
    this.#waits = new HandleWaits(handle);
    this.pid = pid;
    [this.stdin, this.stdout, this.stderr] = pipes;
  }

  /**
   * Starts a program with no console window. `file` and `args` are quoted into one command line
   * by the rules CommandLineToArgvW and the C runtime parse, so the child's argv is [file, ...args];
   * a batch file (.bat, .cmd) is run through the system's cmd.exe with its arguments quoted for
   * cmd.exe instead, and an argument cmd.exe cannot be given safely (`%`, CR, LF) is a
   * RangeError. The raw form `spawn(reactor, commandLine, options)` passes a command line as it
   * is, for programs that parse their own (cmd.exe); one that names a batch file is a RangeError.
   * The program is found as program-search.ts says: CreateProcessW's search without the current
   * directory, ".exe" added when there is no extension.
   */
  static spawn(reactor: Reactor, file: string, args: readonly string[], options?: SpawnOptions): ChildProcess;
  static spawn(reactor: Reactor, commandLine: string, options?: SpawnOptions): ChildProcess;
  static spawn(reactor: Reactor, fileOrCommand: string, argsOrOptions?: readonly string[] | SpawnOptions, maybeOptions?: SpawnOptions): ChildProcess {
    checkReactor(reactor, 'spawnProcess: reactor');
    let file: string | undefined;
    let args: string[] = [];
    let raw: string | undefined;
    let options: unknown;
    if (Array.isArray(argsOrOptions)) {
      file = checkCommandString(fileOrCommand, 'spawnProcess: file');
      args = Array.from(argsOrOptions as unknown[], (arg, i) => checkCommandString(arg, `spawnProcess: args[${i}]`)); // holes too
      options = maybeOptions === undefined ? {} : maybeOptions;
    } else {
      raw = checkCommandString(fileOrCommand, 'spawnProcess: the command line');
      if (maybeOptions !== undefined) throw new TypeError('spawnProcess: args must be an array of strings');
      options = argsOrOptions === undefined ? {} : argsOrOptions;
    }
    const { cwd, env, stdio: stdioOptions, signal, tree } = checkOptions(options);
    if (signal?.aborted) throw signal.reason;
    const { application, commandLine } = file === undefined ? rawCommand(raw!) : argvCommand(file, args);

    const job = tree === undefined ? undefined : new JobObject(reactor, tree);
    let stdio: ChildStdio;
    try {
      stdio = ChildStdio.open(reactor, stdioOptions);
    } catch (error) {
      job?.close();
      throw error;
    }
    const info = new Uint8Array(PROCESS_INFORMATION.SIZE);
    let startup: StartupInfo | undefined;
    try {
      startup = new StartupInfo(stdio.childEnds);
      const command = Buffer.from(`${commandLine}\0`, 'utf16le'); // writable, as CreateProcessW requires
      const flags = kernel32.CREATE_NO_WINDOW | kernel32.EXTENDED_STARTUPINFO_PRESENT | (env ? kernel32.CREATE_UNICODE_ENVIRONMENT : 0) | (job ? kernel32.CREATE_SUSPENDED : 0);
      if (!kernel32.CreateProcessW(application, command, null, null, startup.inherits ? 1 : 0, flags, env, cwd, startup.buffer, info)) {
        throw new WinError('CreateProcessW', kernel32.GetLastError(), { detail: commandLine });
      }
    } catch (error) {
      stdio.closePipes();
      job?.close();
      throw error;
    } finally {
      startup?.delete();
      // The child has its own copies now (or there is no child): ours would keep a pipe open
      // after the child exits, and a read on its stdout would never see the end.
      stdio.closeChildEnds();
    }
    const view = new DataView(info.buffer);
    const process = Number(view.getBigUint64(PROCESS_INFORMATION.PROCESS, true));
    const thread = Number(view.getBigUint64(PROCESS_INFORMATION.THREAD, true));
    const pid = view.getUint32(PROCESS_INFORMATION.PROCESS_ID, true);
    try {
      if (job !== undefined) startInJob(job, process, thread, pid);
    } catch (error) {
      stdio.closePipes();
      job!.close();
      kernel32.CloseHandle(process);
      throw error;
    } finally {
      kernel32.CloseHandle(thread);
    }
    const child = new ChildProcess(reactor, process, pid, stdio.pipes, job);
    child.#unlisten = onAbort(signal, () => child.#terminateOnAbort());
    return child;
  }

  /** The `signal` option fired: end the child if it runs (a failure here has no caller to go to). */
  #terminateOnAbort(): void {
    this.#unlisten = () => {};
    if (!this.#closed) kernel32.TerminateProcess(this.handle, 1);
  }

  /** The exit code, or null while the process runs. */
  get exitCode(): number | null {
    this.#check();
    const code = new Uint32Array(1);
    if (!kernel32.GetExitCodeProcess(this.handle, code)) throw new WinError('GetExitCodeProcess', kernel32.GetLastError());
    // STILL_ACTIVE (259) is also a legal exit code; a zero-timeout wait tells them apart.
    if (code[0] === kernel32.STILL_ACTIVE && kernel32.WaitForSingleObject(this.handle, 0) === kernel32.WAIT_TIMEOUT) return null;
    return code[0]!;
  }

  /**
   * Resolves with the exit code once the process has exited; rejects with ClosedResourceError if
   * `close()` is called meanwhile.
   */
  async wait(options: { signal?: AbortSignal } = {}): Promise<number> {
    this.#check();
    const user = checkSignal(checkOptionsBag(options, 'ChildProcess.wait: options').signal, 'ChildProcess.wait: signal');
    if (this.job !== undefined) await this.#waitInJob(user);
    else await this.#waits.wait(this.#reactor, { signal: user }, 'the process handle was closed while a task waited for the exit');
    this.#unlisten(); // it has exited: nothing left for the signal to end
    return this.exitCode!;
  }

  /**
   * Resolves with the exit code once the process has exited (child_process's 'exit' event, as a
   * promise): one `wait()`, made on first use and the same promise after. Like `wait()`, it
   * rejects with ClosedResourceError if `close()` comes first; asking for it holds a wait (and a
   * waiter thread's slot) until the exit or the close.
   */
  get exited(): Promise<number> {
    this.#exited ??= this.wait();
    return this.#exited;
  }

  /** The exit through the child's job: its EXIT_PROCESS packet, or the job's backstop (no waiter thread either way). */
  async #waitInJob(signal: AbortSignal | undefined): Promise<void> {
    try {
      await this.job!.whenExited(this.pid, this.handle, signal);
    } catch (error) {
      if (error instanceof ClosedResourceError && this.#closed) throw new ClosedResourceError('the process handle was closed while a task waited for the exit');
      throw error;
    }
  }

  /**
   * TerminateProcess with `exitCode` (default 1). No error if it has already exited. With
   * `{ tree: true }` (a child spawned with the `tree` option), TerminateJobObject instead: the
   * child and every process of its tree still in its job end with `exitCode`.
   */
  kill(options: number | { exitCode?: number; tree?: boolean } = 1): void {
    this.#check();
    // A number is the exit code; anything else but an options bag is a wrong exit code (what a
    // caller of the older `kill(exitCode)` meant), named so.
    if (typeof options !== 'number' && (typeof options !== 'object' || options === null || Array.isArray(options))) {
      throw new TypeError(`ChildProcess.kill: exitCode must be a number (or an options object { exitCode, tree }), got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}`);
    }
    const { exitCode = 1, tree = false } = typeof options === 'number' ? { exitCode: options } : checkOptionsBag(options, 'ChildProcess.kill: options');
    checkInteger(exitCode, 'ChildProcess.kill: exitCode', 0, 0xffff_ffff);
    if (typeof tree !== 'boolean') throw new TypeError(`ChildProcess.kill: tree must be a boolean, got ${typeof tree}`);
    if (tree) {
      if (this.job === undefined) throw new TypeError('ChildProcess.kill: { tree: true } needs a child spawned with the tree option (its descendants are found through its job)');
      this.job.kill(exitCode);
      return;
    }
    if (!kernel32.TerminateProcess(this.handle, exitCode) && this.exitCode === null) {
      throw new WinError('TerminateProcess', kernel32.GetLastError());
    }
  }

  /**
   * Closes the process handle and the parent's pipe ends (the process itself runs on; its next
   * write to a closed stdout fails with a broken pipe). Idempotent. Pending pipe operations and
   * waits reject with ClosedResourceError, and the process handle is closed once the waits have
   * settled — once no waiter thread holds it in its set (libuv's uv__process_close unregisters its wait the same way);
   * closing under a waiting thread would let a reused handle value be waited on by mistake.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unlisten();
    for (const pipe of [this.stdin, this.stdout, this.stderr]) pipe?.close();
    this.job?.close(); // with killOnClose, the tree ends here
    this.#released = this.#waits.close('the process handle is closing');
  }

  /** close(), then waits until the handle is really closed. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.#released;
  }

  #check(): void {
    if (this.#closed) throw new ClosedResourceError('the process handle is closed');
  }
}

/** Starts a child process whose exit `reactor` can await: `ChildProcess.spawn` as a function. */
export function spawnProcess(reactor: Reactor, file: string, args: readonly string[], options?: SpawnOptions): ChildProcess;
export function spawnProcess(reactor: Reactor, commandLine: string, options?: SpawnOptions): ChildProcess;
export function spawnProcess(reactor: Reactor, fileOrCommand: string, argsOrOptions?: readonly string[] | SpawnOptions, options?: SpawnOptions): ChildProcess {
  return ChildProcess.spawn(reactor, fileOrCommand, argsOrOptions as readonly string[], options);
}
