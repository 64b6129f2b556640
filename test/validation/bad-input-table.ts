// The bad-input table's shared parts: bad input fails the call that got it — with a named error,
// before anything starts — and loses nothing: no crash (a number given for a string used to
// page-fault the process), no hang (a NaN timeout retried forever), no timer, waiter, thread or
// handle left behind, and the reactor goes on working. One row per case; the table grows with the
// API. Its rows are split by family over three test files, which run side by side:
// bad-input-reactor.test.ts (the Reactor's own calls, its cross-thread handles, postCompletion),
// bad-input-io.test.ts (files, pipes, the directory watcher, events, child processes) and
// bad-input-net.test.ts (TCP, UDP, name lookup, winsock; and what is accepted).
//
// Each row runs on a fresh reactor with background work pending in all three families (a socket
// wait, a completion-key wait, an object wait). The row's call must throw or reject with the
// row's error class — a TypeError or RangeError for a bad argument, a WinmuxError subclass with a
// `code` otherwise, never a plain Error — with a message that names the argument (and, for
// TypeError and RangeError, the call). Afterwards no handle or thread is left over, the
// background work still completes (each family does a round trip), and nothing is left pending.
//
// The table is built per entry point from lists of bad values of each kind (wrong types, bad
// numbers, bad buffers, bad handles and sockets, bad signals, bad option bags), so adding an
// entry point means adding its lines (`each`, `one`, `onClosedReactor`) to its family's file,
// before that file calls `badInputTable()`. This module holds the kinds of bad values, the row
// builders, the fixtures and the runner; one test file's rows and reactor are its own. The files
// of a test worker share this module (vitest.config.ts), so `badInputTable()` takes the rows
// registered since the last file's, and the scratch directory is emptied after each file and
// removed when the process exits.
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  ClosedResourceError, File, NamedPipe, NamedPipeServer, Reactor, TcpListener, TcpStream, UdpSocket, WinEvent, WinmuxError,
  processHandleCount, winsock, type KeyMonitor,
} from '../../lib/index.ts';
import { counts, sameCounts, settle, type Counts } from '../helpers/resources.ts';
import { loopUntil, settled } from '../helpers/loop.ts';
import { shareAcrossTests } from '../helpers/loop-empty.ts';

/** The scratch directory: emptied after each file's tests, removed with the process. */
export const tmp = mkdtempSync(path.join(tmpdir(), 'winmux-bad-input-'));
process.once('exit', () => rmSync(tmp, { recursive: true, force: true }));
/** The reactor the row at hand calls (an ES module binding: importers see each new one). */
export let reactor: Reactor;
/**
 * The table's rows share one reactor while it stays open (a fresh one per row made the table
 * take 12 minutes: each started its IOCP worker and waiter thread anew); each row still starts
 * its own background work and checks the loop after its call, and a row that closes the
 * reactor gets the next row a new one.
 */
let shared: Reactor | undefined;
/** Run after the test, last first: what a row's fixtures opened. */
export const cleanups: (() => unknown)[] = [];

/** For a test of its own: a new reactor, closed after the test. */
export function freshReactor(): Reactor {
  reactor = new Reactor();
  return reactor;
}

export type ErrorClass = new (...args: never[]) => Error;

// ---------------------------------------------------------------------------------------------
// Fixtures, made inside `reactor.run` before the row's call and closed after the test.

let fileCounter = 0;

/** A number no earlier fixture of this file has used, for file and pipe names. */
export function nextSerial(): number {
  return ++fileCounter;
}

/** A file open for reading and writing, closed after the test. */
export function scratchFile(): File {
  const file = File.open(reactor, path.join(tmp, `scratch-${nextSerial()}.bin`), { mode: 'readwrite', disposition: 'create' });
  cleanups.push(() => file.close());
  return file;
}

/** The path of a scratch file (closed), for calls that want a directory. */
export function scratchFilePath(): string {
  const file = File.open(reactor, path.join(tmp, `plain-${nextSerial()}.bin`), { mode: 'write', disposition: 'create' });
  file.close();
  return file.path;
}

/** Inside `reactor.run`: a connected pair of pipe ends (client, server side), closed after the test. */
export async function connectedPipe(tag: string): Promise<{ client: NamedPipe; conn: NamedPipe }> {
  const name = `winmux-${tag}-${process.pid}-${nextSerial()}`;
  const server = new NamedPipeServer(reactor, name);
  cleanups.push(() => server.close());
  const accepting = server.accept();
  const client = await NamedPipe.connect(reactor, name);
  const conn = await accepting;
  cleanups.push(() => client.close(), () => conn.close());
  return { client, conn };
}

/** Inside `reactor.run`: a connected TCP pair (client, accepted end), closed after the test. */
export async function connectedTcp(): Promise<{ client: TcpStream; conn: TcpStream }> {
  const listener = TcpListener.listen(reactor);
  cleanups.push(() => listener.close());
  const accepting = listener.accept();
  const client = await TcpStream.connect(reactor, '127.0.0.1', listener.address.port);
  const conn = await accepting;
  cleanups.push(() => client.close(), () => conn.close());
  return { client, conn };
}

export function udpSocket(): UdpSocket {
  const socket = UdpSocket.bind(reactor);
  cleanups.push(() => socket.close());
  return socket;
}

export function event(): WinEvent {
  const e = WinEvent.create({ manualReset: true });
  cleanups.push(() => e.close());
  return e;
}

export function socketPair(): [number, number] {
  const pair = winsock.loopbackPair();
  cleanups.push(() => winsock.closeQuietly(...pair));
  return pair;
}

/** A handle value no open handle has (a multiple of 4 far above what a test process reaches). */
export const NOT_OPEN = 0x3fff_fff0;
/** A socket value no open socket has. */
export const NOT_A_SOCKET = 0x3fff_fff0;

export function detached(length = 8): Uint8Array {
  const buffer = new Uint8Array(length);
  structuredClone(buffer.buffer, { transfer: [buffer.buffer] });
  return buffer;
}

// ---------------------------------------------------------------------------------------------
// Kinds of bad values.

export interface Bad {
  label: string;
  value: unknown;
  error: ErrorClass;
}

export const bad = (label: string, value: unknown, error: ErrorClass): Bad => ({ label, value, error });

/** Not a number at all. */
export const NOT_NUMBERS: Bad[] = [
  bad('undefined', undefined, TypeError), bad('null', null, TypeError), bad("'abc'", 'abc', TypeError), bad('{}', {}, TypeError),
  bad('a symbol', Symbol('s'), TypeError), bad('1n', 1n, TypeError),
];
/** Numbers no count, size, offset or index can be. */
export const BAD_INTEGERS: Bad[] = [
  bad('-1', -1, RangeError), bad('NaN', NaN, RangeError), bad('1.5', 1.5, RangeError), bad('Infinity', Infinity, RangeError),
  bad('2^64', 2 ** 64, RangeError),
];
/** Not a string. */
export const NOT_STRINGS: Bad[] = [
  bad('undefined', undefined, TypeError), bad('null', null, TypeError), bad('5', 5, TypeError), bad('{}', {}, TypeError), bad('a symbol', Symbol('s'), TypeError),
];
/** Not a function. */
export const NOT_FUNCTIONS: Bad[] = [
  bad('5', 5, TypeError), bad("'x'", 'x', TypeError), bad('null', null, TypeError), bad('undefined', undefined, TypeError), bad('{}', {}, TypeError),
];
/** Not a signal. */
export const NOT_SIGNALS: Bad[] = [
  bad('{}', {}, TypeError), bad("'x'", 'x', TypeError), bad('null', null, TypeError), bad('an AbortController', new AbortController(), TypeError),
];
/** Not an options object (undefined is: the defaults). */
export const NOT_OPTIONS: Bad[] = [
  bad('null', null, TypeError), bad('5', 5, TypeError), bad("'x'", 'x', TypeError), bad('true', true, TypeError),
];
/** Durations: a number ≥ 0 (negative counts as 0) or Infinity; nothing else. */
export const BAD_DURATIONS: Bad[] = [
  bad('NaN', NaN, RangeError), bad("'abc'", 'abc', TypeError), bad('undefined', undefined, TypeError), bad('null', null, TypeError),
  bad('{}', {}, TypeError), bad('1n', 1n, TypeError),
];
/** Handles: positive integers or BigInts that fit. */
export const BAD_HANDLE_VALUES: Bad[] = [
  bad('0', 0, TypeError), bad('-1', -1, TypeError), bad('1.5', 1.5, TypeError), bad('NaN', NaN, TypeError), bad("'abc'", 'abc', TypeError),
  bad('undefined', undefined, TypeError), bad('null', null, TypeError), bad('{}', {}, TypeError), bad('2^64', 2 ** 64, TypeError),
  bad('2n ** 64n', 2n ** 64n, TypeError),
];
/** Sockets: non-negative integers or BigInts that fit. */
export const BAD_SOCKET_VALUES: Bad[] = [
  bad('-1', -1, TypeError), bad('1.5', 1.5, TypeError), bad('NaN', NaN, TypeError), bad("'abc'", 'abc', TypeError), bad('undefined', undefined, TypeError),
  bad('null', null, TypeError), bad('{}', {}, TypeError), bad('2^64', 2 ** 64, TypeError), bad('-1n', -1n, TypeError),
];
/** Buffers for a write. */
export const BAD_WRITE_BUFFERS = (): Bad[] => [
  bad("a string 'abc'", 'abc', TypeError), bad('an array [1, 2]', [1, 2], TypeError), bad('an ArrayBuffer', new ArrayBuffer(4), TypeError),
  bad('a DataView', new DataView(new ArrayBuffer(4)), TypeError), bad('undefined', undefined, TypeError), bad('null', null, TypeError),
  bad('a detached Uint8Array', detached(), TypeError), bad('a Uint16Array', new Uint16Array(2), TypeError),
];
/** Buffers for a read: as for a write, and not empty (a 0-byte read returns 0, which reads as end of stream). */
export const BAD_READ_BUFFERS = (): Bad[] => [...BAD_WRITE_BUFFERS(), bad('a zero-length Uint8Array', new Uint8Array(0), RangeError)];
/** Ports. */
export const BAD_PORTS: Bad[] = [
  bad('-1', -1, RangeError), bad('70000', 70000, RangeError), bad('1.5', 1.5, RangeError), bad('NaN', NaN, RangeError), bad('Infinity', Infinity, RangeError),
  bad("'80'", '80', TypeError), bad('null', null, TypeError), bad('undefined', undefined, TypeError),
];
/** Hosts. */
export const BAD_HOSTS: Bad[] = [
  bad('5', 5, TypeError), bad('null', null, TypeError), bad('undefined', undefined, TypeError), bad("''", '', TypeError), bad('{}', {}, TypeError),
];
/** Things that are not a reactor. */
export const NOT_REACTORS: Bad[] = [
  bad('undefined', undefined, TypeError), bad('null', null, TypeError), bad('{}', {}, TypeError), bad('5', 5, TypeError),
];

// ---------------------------------------------------------------------------------------------
// The table.

export interface Row {
  what: string;
  error: ErrorClass;
  /** A word the message must contain (case-insensitive): the argument's name. */
  names?: string;
  /** Made inside `reactor.run` before the call (fixtures); the call gets its result. */
  setup?: () => unknown;
  call: (fixture: never) => unknown;
  /** The call is made on a reactor that is already closed, outside `run`. */
  closedReactor?: boolean;
}

const rows: Row[] = [];

/** Rows for one argument of one call: `call(fixture, value)` for each bad value. */
export function each<F>(
  api: string,
  arg: string,
  values: Bad[],
  call: (fixture: F, value: never) => unknown,
  setup?: () => F | Promise<F>,
  names = arg.replace(/^options\./, '').replace(/\[.*$/, ''),
): void {
  for (const { label, value, error } of values) {
    rows.push({
      what: `${api}: ${arg} ${label}`,
      error,
      names: error === TypeError || error === RangeError ? names : undefined,
      setup,
      call: (fixture: never) => call(fixture as F, value as never),
    });
  }
}

export function one<F>(what: string, error: ErrorClass, call: (fixture: F) => unknown, setup?: () => F | Promise<F>, names?: string): void {
  rows.push({ what, error, names, setup, call: call as (fixture: never) => unknown });
}

export function onClosedReactor(what: string, call: (r: Reactor) => unknown, error: ErrorClass = ClosedResourceError): void {
  rows.push({ what: `${what} on a closed reactor`, error, closedReactor: true, call: () => call(reactor) });
}

export const any = <T>(value: unknown): T => value as T;

// ---------------------------------------------------------------------------------------------
// Running a row.

/** Background work in all three families, pending while the row's call is made. */
interface Background {
  pair: [number, number];
  readable: Promise<void>;
  monitor: KeyMonitor;
  keyed: Promise<unknown>;
  event: WinEvent;
  signaled: Promise<unknown>;
}

function startBackground(): Background {
  const pair = winsock.loopbackPair();
  const event = WinEvent.create();
  const monitor = reactor.monitorCompletionKey();
  const background: Background = {
    pair,
    readable: reactor.waitReadable(pair[0]),
    monitor,
    keyed: monitor.next(),
    event,
    signaled: reactor.waitForObject(event.handle),
  };
  // Observed early so a failure is reported by stillWorks, not as an unhandled rejection.
  for (const p of [background.readable, background.keyed, background.signaled]) p.catch(() => {});
  return background;
}

/** The background work completes when its events come: a round trip in each family. */
async function stillWorks(background: Background): Promise<void> {
  const stalled = Symbol('stalled');
  const done = new AbortController();
  const bound = (): Promise<typeof stalled> => reactor.sleep(10_000, { signal: done.signal }).then(() => stalled, () => stalled);
  await reactor.run(async () => {
    winsock.sendSome(background.pair[1], new Uint8Array([1]));
    expect(await Promise.race([background.readable, bound()]), 'a socket wait still completes').toBeUndefined();
    reactor.postCompletion(background.monitor.key, 7);
    expect(await Promise.race([background.keyed, bound()]), 'a completion still arrives').toMatchObject({ bytes: 7 });
    background.event.set();
    expect(await Promise.race([background.signaled, bound()]), 'an object wait still completes').toMatchObject({ signaled: true });
    done.abort();
  });
  stopBackground(background);
}

function stopBackground(background: Background): void {
  reactor.notifyClosing(background.pair[0]);
  winsock.closeQuietly(...background.pair);
  background.monitor.close();
  background.event.close();
}

/** Nothing left pending, and the loop still turns. */
export async function stillHealthy(): Promise<void> {
  // A fixture closed with an operation pending (a second accept's first) gets its packet back later.
  await reactor.run(() => loopUntil(reactor, () => reactor.stats().overlappedWaiters === 0));
  expect(reactor.stats()).toMatchObject({ readWaiters: 0, writeWaiters: 0, timers: 0, callbacks: 0, overlappedWaiters: 0, objectWaits: 0 });
  await reactor.run(() => reactor.sleep(1));
}

/** The error is of `type`, a TypeError, RangeError or WinmuxError with a `code`, never a plain Error, and names what it should. */
export function checkError(error: unknown, row: Pick<Row, 'error' | 'names' | 'what'>): void {
  expect(error, `${row.what}: the error class`).toBeInstanceOf(row.error);
  const e = error as Error & { code?: unknown };
  expect(e.constructor, `${row.what}: a plain Error`).not.toBe(Error);
  const kind = e instanceof TypeError || e instanceof RangeError || (e instanceof WinmuxError && typeof e.code === 'string' && e.code !== '');
  expect(kind, `${row.what}: ${e.name} (${e.message}) is neither a TypeError, a RangeError nor a WinmuxError with a code`).toBe(true);
  expect(e.message.length).toBeGreaterThan(0);
  if (row.names !== undefined) expect(e.message, `${row.what}: the message names the argument`).toMatch(new RegExp(row.names, 'i'));
}

/** Runs `call` and returns what it threw or rejected with; fails the test if it did neither. */
export async function failure(call: () => unknown): Promise<unknown> {
  let outcome: unknown;
  try {
    outcome = call();
  } catch (error) {
    return error;
  }
  if (outcome instanceof Promise || (typeof outcome === 'object' && outcome !== null && typeof (outcome as PromiseLike<unknown>).then === 'function')) {
    try {
      await outcome;
    } catch (error) {
      return error;
    }
  }
  expect.fail(`accepted silently (returned ${String(outcome)})`);
}

/**
 * Inside `reactor.run`: the counts once they hold still (the background's threads open handles
 * of their own as they start, which is not the row's doing).
 */
function steadyCounts(): Promise<Counts> {
  return settled(reactor, counts, sameCounts);
}

/**
 * In the calling test file, after its rows: the hooks its tests share (each test's fixtures and
 * reactor closed after it, the rows' reactor and the scratch directory after the file) and one
 * test per row. `atLeast`: the file's row count when it was last counted, so a row lost on the way
 * fails the file.
 */
export function badInputTable({ atLeast }: { atLeast: number }): void {
  const fileRows = rows.splice(0); // this file's: registered since the last file's table
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch {
        // already closed by the row itself
      }
    }
    if (reactor !== shared) await reactor?.close();
  });
  afterAll(async () => {
    await shared?.close();
    shared = undefined;
    for (const entry of readdirSync(tmp)) rmSync(path.join(tmp, entry), { recursive: true, force: true });
  });

  describe('bad input fails the call, and only the call', () => {
    test.each(fileRows.filter((r) => !r.closedReactor))('$what', { timeout: 30_000 }, async (row) => {
      if (shared === undefined || shared.stats().closed) {
        // A new reactor's threads (the IOCP worker, a waiter thread) start, and open handles, with
        // its first background: one round of it first, so the rows' counts start from a settled one.
        reactor = shared = new Reactor();
        shareAcrossTests(shared); // the rows' reactor until one breaks it; closed in afterAll
        await stillWorks(startBackground());
        await reactor.run(() => settled(reactor, processHandleCount));
      }
      reactor = shared;
      try {
        await runRow(row);
      } catch (error) {
        // A failed row may leave its background pending: the next row gets a reactor of its own.
        const broken = shared;
        shared = undefined;
        await broken.close();
        throw error;
      }
    });

    async function runRow(row: Row): Promise<void> {
      const background = startBackground();
      await reactor.run(async () => {
        const fixture = await row.setup?.();
        const before = await steadyCounts();
        const error = await failure(() => row.call(fixture as never));
        checkError(error, row);
        // Nothing the failed call made is left open (a fixture it closed only lowers the count).
        let after = before;
        const released = await settle(() => {
          after = counts();
          return after.handles <= before.handles && after.threads <= before.threads;
        }, 3000);
        expect(released ? before : after, 'handles and threads after the failed call').toEqual(before);
      });
      await stillWorks(background);
      for (const cleanup of cleanups.splice(0).reverse()) {
        try {
          await reactor.run(async () => cleanup());
        } catch {
          // already closed by the row itself
        }
      }
      await stillHealthy();
    }

    test.each(fileRows.filter((r) => r.closedReactor))('$what', async (row) => {
      reactor = new Reactor();
      await reactor.close();
      const error = await failure(() => row.call(undefined as never));
      checkError(error, row);
    });

    test(`this file's rows of the table: at least ${atLeast} (the table grows with the API)`, () => {
      expect(fileRows.length).toBeGreaterThanOrEqual(atLeast);
    });
  });
}
