// What the fuzzer accepts as the end of an operation, and what it reports otherwise.
//
// Every rejection is judged against what the operation could meet at that moment: its signal's
// reason (by identity: a library that swapped it for another error is wrong), WriteAbortedError
// for an aborted write (its cause that reason), ClosedResourceError only once the resource was
// closed, BusyResourceError only while another operation of the kind was in flight, WinError only
// with a Windows error (`winCode`) the situation explains (a peer that closed, a shutdown). Anything else is a
// violation: a plain `Error` (the house rule: never one), a TypeError or RangeError (the fuzzer
// passes only valid arguments), any other class or code.
import { BusyResourceError, ClosedResourceError, WinError, WinmuxError, WriteAbortedError } from '../../lib/index.ts';

export type ViolationKind =
  | 'plain-error' // a rejection or throw with a bare Error
  | 'unexpected-error' // an error the situation does not explain
  | 'unexpected-result' // a call that succeeded, or resolved with a value, where it must not have
  | 'data' // bytes, datagrams, completions or messages lost, duplicated, reordered or corrupted
  | 'hang' // something that had every reason to settle did not, within the bound
  | 'stats' // reactor.stats() inconsistent with what is in flight, or not back to empty at the end
  | 'leak' // kernel handles or OS threads above the baseline after close
  | 'unhandled-rejection';

/**
 * Defects already known and not yet fixed in lib/: the fuzzer still reports them (a run with one
 * fails), but a long run goes on past them to find others (engine.ts). A violation names one by
 * its key (`known`), and a family tags the symptom (Tracking.knownError, or `violate(…, KNOWN.x)`).
 * Empty: what the fuzzer found so far is fixed, each with its regression test (docs/reliability.md
 * lists them). A defect found and not fixed at once gets a line here, with where it lives.
 */
export const KNOWN_DEFECTS: Record<string, string> = {};

export type KnownDefect = keyof typeof KNOWN_DEFECTS;

export interface Violation {
  kind: ViolationKind;
  message: string;
  /** A defect already known (KNOWN_DEFECTS). */
  known?: KnownDefect;
  /** The index of the operation whose step found it (-1: the drain or the final checks). */
  step: number;
}

/** What may end an operation with an error (each a predicate read when the operation settles). */
export interface Allowed {
  /** The operation's signal: an abort rejects with its reason (a write: WriteAbortedError caused by it). */
  signal?: AbortSignal | undefined;
  /** The operation is a write: an abort must come as WriteAbortedError. */
  write?: boolean;
  /** ClosedResourceError is right (the resource, or the one it depends on, was closed). */
  closed?: () => boolean;
  /** BusyResourceError is right (another operation of the kind was in flight when this one started). */
  busy?: boolean;
  /** WinError Windows names (`winCode`: `ERROR_NO_DATA`, `WSAECONNRESET`) the situation explains. */
  winCodes?: () => readonly string[];
  /** Other winmux error classes the situation explains (HandleStateError for a handle already closed). */
  classes?: () => readonly (abstract new (...args: never[]) => Error)[];
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = error instanceof WinError ? error.winCode : (error as { code?: unknown }).code;
    return `${error.constructor.name}${code === undefined ? '' : ` ${String(code)}`}: ${error.message}`;
  }
  if (error instanceof DOMException) return `DOMException ${error.name}: ${error.message}`;
  return `a non-error value (${typeof error}: ${String(error)})`;
}

/**
 * Undefined when `error` is an allowed end for an operation, else the violation's kind and
 * message. `what` names the operation.
 */
export function judgeError(what: string, error: unknown, allowed: Allowed): { kind: ViolationKind; message: string } | undefined {
  const signal = allowed.signal;
  const aborted = signal?.aborted === true;
  if (allowed.write && error instanceof WriteAbortedError) {
    if (aborted && error.cause === signal!.reason) return undefined;
    return { kind: 'unexpected-error', message: `${what}: WriteAbortedError whose cause is not its signal's reason (signal ${aborted ? 'aborted' : 'not aborted'}): ${describeError(error)}` };
  }
  if (aborted && error === signal!.reason) {
    if (!allowed.write) return undefined;
    return { kind: 'unexpected-error', message: `${what}: an aborted write rejected with the bare abort reason, not WriteAbortedError` };
  }
  if (error instanceof ClosedResourceError && allowed.closed?.()) return undefined;
  if (error instanceof BusyResourceError && allowed.busy) return undefined;
  if (error instanceof WinError && allowed.winCodes?.().includes(error.winCode)) return undefined;
  if (allowed.classes?.().some((c) => error instanceof c)) return undefined;
  if (error instanceof Error && error.constructor === Error) {
    return { kind: 'plain-error', message: `${what}: rejected with a plain Error: ${error.message}\n${error.stack ?? ''}` };
  }
  const why = error instanceof WinmuxError || error instanceof TypeError || error instanceof RangeError || error instanceof DOMException
    ? 'which nothing in this situation explains'
    : 'which is not an error winmux documents';
  return { kind: 'unexpected-error', message: `${what}: rejected with ${describeError(error)}, ${why}${error instanceof Error && error.stack ? `\n${error.stack}` : ''}` };
}

/** Runs `call`, turning a synchronous throw into a rejection (some calls throw, some reject). */
export function attempt<T>(call: () => T | Promise<T>): Promise<T> {
  try {
    return Promise.resolve(call());
  } catch (error) {
    return Promise.reject(error);
  }
}
