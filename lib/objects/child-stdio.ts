// A child's three standard handles, made before CreateProcessW: for 'pipe' an overlapped named
// pipe whose parent end is a winmux NamedPipe on the reactor's port and whose child end is a
// synchronous, inheritable handle; for 'ignore' the NUL device; for 'inherit' or a handle, an
// inheritable duplicate. The child ends belong to this object until closeChildEnds(), which the
// spawn calls once CreateProcessW has copied them into the child (or has failed).
import { randomBytes } from 'node:crypto';
import * as kernel32 from '../win32/kernel32.ts';
import { WinError } from '../core/windows-errors.ts';
import type { Reactor } from '../scheduler/reactor.ts';
import { NamedPipe } from '../io/named-pipe.ts';
import { closeHandle, createFile, createNamedPipe, inheritableAttributes, registerOrClose } from '../io/handles.ts';

/** What a child's stdin, stdout or stderr is: a new pipe, this process's own, NUL, or a handle of yours. */
export type StdioOption = 'pipe' | 'inherit' | 'ignore' | number | bigint;

const STREAMS = ['stdin', 'stdout', 'stderr'] as const;
const STD_HANDLES = [kernel32.STD_INPUT_HANDLE, kernel32.STD_OUTPUT_HANDLE, kernel32.STD_ERROR_HANDLE] as const;
/** Each direction's kernel buffer, as NamedPipeServer's. */
const PIPE_BUFFER_SIZE = 65536;

let pipeCounter = 0;

/** A pipe name no other process guesses: pid, a counter and 64 random bits. */
function uniquePipeName(): string {
  return `\\\\.\\pipe\\winmux-child-${process.pid}-${++pipeCounter}-${randomBytes(8).toString('hex')}`;
}

/** `value` as a stdio option, or a TypeError naming the option. */
export function checkStdio(value: unknown, name: string): StdioOption {
  if (value === undefined) return 'ignore';
  if (value === 'pipe' || value === 'inherit' || value === 'ignore') return value;
  if ((typeof value === 'number' && Number.isSafeInteger(value) && value > 0) || (typeof value === 'bigint' && value > 0n)) return value;
  throw new TypeError(`spawnProcess: ${name} must be 'pipe', 'inherit', 'ignore' or a HANDLE (positive integer), got ${typeof value === 'string' ? JSON.stringify(value) : typeof value}`);
}

/**
 * A pipe for one of the child's streams. The parent's end is overlapped and made with
 * FILE_FLAG_FIRST_PIPE_INSTANCE and one instance, so a process that made the name first (or connects
 * second) cannot get in between. Wine 8 ignores that flag; there the name's 64 random bits keep a
 * squatter out (NamedPipeServer's instance count, createFirstInstance, cannot be read here:
 * GetNamedPipeHandleStateW needs read access, which a one-direction server end lacks — measured,
 * ERROR_ACCESS_DENIED). One direction only (PIPE_ACCESS_INBOUND/OUTBOUND), so a read on
 * stdin's end or a write on stdout's fails at once rather than waiting forever. The child's end is
 * synchronous: a child's C runtime and libuv expect blocking stdio handles.
 */
function pipePair(reactor: Reactor, childReads: boolean): { parent: NamedPipe; child: number } {
  const name = uniquePipeName();
  const openMode = (childReads ? kernel32.PIPE_ACCESS_OUTBOUND : kernel32.PIPE_ACCESS_INBOUND) | kernel32.FILE_FLAG_OVERLAPPED | kernel32.FILE_FLAG_FIRST_PIPE_INSTANCE;
  const pipeMode = kernel32.PIPE_TYPE_BYTE | kernel32.PIPE_READMODE_BYTE | kernel32.PIPE_WAIT | kernel32.PIPE_REJECT_REMOTE_CLIENTS;
  const server = createNamedPipe(name, openMode, pipeMode, PIPE_BUFFER_SIZE, 1);
  let child: number;
  try {
    // The attribute right beside the data right lets the child's libuv set the pipe's mode
    // (SetNamedPipeHandleState needs FILE_WRITE_ATTRIBUTES) and query it.
    const access = childReads ? kernel32.GENERIC_READ | kernel32.FILE_WRITE_ATTRIBUTES : kernel32.GENERIC_WRITE | kernel32.FILE_READ_ATTRIBUTES;
    // Opening the client end connects the instance: no ConnectNamedPipe needed.
    child = createFile(name, access, 0, kernel32.OPEN_EXISTING, 0, inheritableAttributes());
  } catch (error) {
    closeHandle(server);
    throw error;
  }
  try {
    return { parent: new NamedPipe(reactor, registerOrClose(reactor, server)), child };
  } catch (error) {
    closeHandle(child);
    throw error;
  }
}

/** An inheritable duplicate of `handle` (the original keeps its own inheritance flag). */
function inheritableDuplicate(handle: number | bigint, what: string): number {
  const target = new Uint8Array(8);
  if (!kernel32.DuplicateHandle(kernel32.CURRENT_PROCESS, handle, kernel32.CURRENT_PROCESS, target, 0, 1, kernel32.DUPLICATE_SAME_ACCESS)) {
    throw new WinError('DuplicateHandle', kernel32.GetLastError(), { detail: what });
  }
  return Number(new DataView(target.buffer).getBigUint64(0, true));
}

export class ChildStdio {
  /** The child's ends, inheritable, 0 for none; owned here until closeChildEnds(). */
  readonly childEnds: [number, number, number] = [0, 0, 0];
  /** The parent's ends of the 'pipe' streams. */
  readonly pipes: [NamedPipe | undefined, NamedPipe | undefined, NamedPipe | undefined] = [undefined, undefined, undefined];

  private constructor() {}

  /** Makes the three; if one fails, closes whatever the others opened and rethrows. */
  static open(reactor: Reactor, options: readonly [StdioOption, StdioOption, StdioOption]): ChildStdio {
    const stdio = new ChildStdio();
    try {
      options.forEach((option, fd) => stdio.#openOne(reactor, fd, option));
    } catch (error) {
      stdio.closeChildEnds();
      stdio.closePipes();
      throw error;
    }
    return stdio;
  }

  #openOne(reactor: Reactor, fd: number, option: StdioOption): void {
    const what = `${STREAMS[fd]} for a child process`;
    if (option === 'pipe') {
      const { parent, child } = pipePair(reactor, fd === 0);
      this.pipes[fd] = parent;
      this.childEnds[fd] = child;
    } else if (option === 'ignore') {
      const access = fd === 0 ? kernel32.GENERIC_READ : kernel32.GENERIC_WRITE;
      this.childEnds[fd] = createFile('NUL', access, kernel32.FILE_SHARE_READ | kernel32.FILE_SHARE_WRITE, kernel32.OPEN_EXISTING, 0, inheritableAttributes());
    } else if (option === 'inherit') {
      // GetStdHandle: NULL when this process has no such handle; the child then gets none either.
      const own = kernel32.GetStdHandle(STD_HANDLES[fd]!);
      if (kernel32.isInvalidHandle(own)) return;
      this.childEnds[fd] = inheritableDuplicate(own, what);
    } else {
      this.childEnds[fd] = inheritableDuplicate(option, what);
    }
  }

  /** Closes the child's ends in this process (the child has its own copies). Idempotent. */
  closeChildEnds(): void {
    for (const [fd, handle] of this.childEnds.entries()) {
      if (handle !== 0) kernel32.CloseHandle(handle);
      this.childEnds[fd] = 0;
    }
  }

  /** Closes the parent's pipe ends. Idempotent. */
  closePipes(): void {
    for (const pipe of this.pipes) pipe?.close();
  }
}
