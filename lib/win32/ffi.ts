// The one module that imports koffi. Every Win32 function winmux calls is declared in one of the
// sibling modules (ws2_32.ts, kernel32.ts, ntdll.ts) through `declare`, once, with its Win32 name
// and a typed TypeScript signature.
//
// koffi facts this layer relies on (measured, see docs/wine.md):
// - calls are synchronous on the calling thread;
// - Buffers, typed arrays and SharedArrayBuffer views pass to `void *` without a copy, and their
//   memory does not move while referenced;
// - pointer-sized integers come back as a JS number when they fit, as a BigInt otherwise
//   (INVALID_SOCKET and INVALID_HANDLE_VALUE are 2^64-1, so they come back as BigInt);
// - `GetLastError`/`WSAGetLastError` called as the very next call return the failed call's code.
import koffi from 'koffi';

export type Library = ReturnType<typeof koffi.load>;

export function loadLibrary(name: string): Library {
  return koffi.load(name);
}

/**
 * Native calls made on this JS thread, by Win32 function name: one counter per declared function,
 * bumped by its wrapper before the call (a failed call counts too). Per thread, not per reactor:
 * each thread loads its own copy of this module (and of koffi's bindings), so the main thread's
 * counts leave out the IOCP worker's, the waiter threads' and a guest helper's calls. Cheap
 * enough to stay on (bench/ffi-calls.ts measures it: a property increment on an object the
 * closure holds).
 */
const callCounters: { name: string; calls: number; ms: number }[] = [];

/** Sums one counter field by Win32 function name, leaving out the names whose sum is 0. */
function byName(field: 'calls' | 'ms'): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const counter of callCounters) if (counter[field] > 0) sums[counter.name] = (sums[counter.name] ?? 0) + counter[field];
  return sums;
}

/** Native calls made on this thread so far, by Win32 function name (functions never called left out). */
export function nativeCallCounts(): Record<string, number> {
  return byName('calls');
}

/**
 * Whether native calls on this thread are also timed: off unless a benchmark turns it on
 * (bench/round-trip.ts, where a round trip's time goes). Timing costs two performance.now() per
 * call (~0.3 µs under Wine, against 25–150 µs for a Winsock call there, but a good part of a
 * native Windows recv), so it does not stay on; off, it is one branch per call.
 */
let timing = false;

/** @internal Turns timing of this thread's native calls on or off (for benchmarks). */
export function setNativeCallTiming(on: boolean): void {
  timing = on;
}

/** @internal Milliseconds spent in native calls on this thread while timing was on, by Win32 function name. */
export function nativeCallTimes(): Record<string, number> {
  return byName('ms');
}

/** Calls `fn`, adding its time to `counter` when timing is on. */
function callTimed(counter: { ms: number }, fn: (...args: unknown[]) => unknown, args: unknown[]): unknown {
  const started = performance.now();
  try {
    return fn(...args);
  } finally {
    counter.ms += performance.now() - started;
  }
}

/**
 * Declares one function of `library` from a C prototype; `F` is its TypeScript signature. Its
 * calls are counted (`nativeCallCounts`).
 *
 * String parameters (`str16`, `str`) are checked before the call: koffi takes a number given for
 * one as an address, so `File.open(reactor, 5)` read memory at address 5 and killed the process
 * (a page fault). Here a non-string (other than null, for optional ones) is a TypeError.
 */
export function declare<F extends (...args: never[]) => unknown>(library: Library, prototype: string): F {
  const fn = library.func(prototype) as unknown as (...args: unknown[]) => unknown;
  const name = /(\w+)\s*\(/.exec(prototype)?.[1] ?? 'a Win32 function';
  const counter = { name, calls: 0, ms: 0 };
  callCounters.push(counter);
  const strings = stringParameters(prototype);
  if (strings.length === 0) {
    return ((...args: unknown[]) => {
      counter.calls++;
      return timing ? callTimed(counter, fn, args) : fn(...args);
    }) as unknown as F;
  }
  return ((...args: unknown[]) => {
    for (const [index, parameter] of strings) {
      const value = args[index];
      if (value !== null && value !== undefined && typeof value !== 'string') {
        throw new TypeError(`${name}: ${parameter} must be a string, got ${typeof value}`);
      }
    }
    counter.calls++;
    return timing ? callTimed(counter, fn, args) : fn(...args);
  }) as unknown as F;
}

/** @internal The bare koffi function, uncounted: only for bench/ffi-calls.ts, which measures what counting costs. */
export function declareUncounted<F extends (...args: never[]) => unknown>(library: Library, prototype: string): F {
  return library.func(prototype) as unknown as F;
}

/** The positions and names of a prototype's string parameters. */
function stringParameters(prototype: string): [number, string][] {
  const list = prototype.slice(prototype.indexOf('(') + 1, prototype.lastIndexOf(')'));
  if (list.trim() === '' || list.trim() === 'void') return [];
  return list.split(',').flatMap((parameter, index): [number, string][] => {
    const words = parameter.trim().split(/\s+/);
    return words[0] === 'str16' || words[0] === 'str' ? [[index, words.at(-1) ?? `argument ${index + 1}`]] : [];
  });
}

/** Declares an export that may be missing (e.g. Wine-only functions): `undefined` when absent. */
export function declareOptional<F extends (...args: never[]) => unknown>(library: Library, prototype: string): F | undefined {
  try {
    return declare<F>(library, prototype);
  } catch {
    return undefined;
  }
}

/** Memory address of a Buffer/typed array, as the kernel sees it. */
export function addressOf(memory: ArrayBufferView | ArrayBuffer | SharedArrayBuffer): bigint {
  return koffi.address(memory);
}

/** A pointer-sized value from koffi (number or BigInt) as a BigInt. */
export type PointerValue = number | bigint;

/** `count` UTF-16 strings from an array of `count` pointers at `pointer` (e.g. CommandLineToArgvW's result). */
export function decodeString16Array(pointer: unknown, count: number): string[] {
  return koffi.decode(pointer, koffi.array('str16', count)) as string[];
}
