// Bad input fails the call that got it — with a named error, before anything starts — and
// loses nothing: no crash (a number given for a string used to page-fault the process), no hang
// (a NaN timeout retried forever), no timer, waiter, thread or handle left behind, and the
// reactor goes on working. One row per case; the table grows with the API.
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
// entry point means adding its lines to `rows` below.
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  BusyResourceError, ClosedResourceError, DirectoryWatcher, File, HandleStateError, NamedPipe, NamedPipeServer, Reactor, RemoteWaker, TcpListener,
  TcpStream, UdpSocket, WinError, WinEvent, WinmuxError, buildCommandLine, lookupHost, pipePath, postCompletion, processHandleCount,
  processThreadCount, quoteArgument, spawnProcess, toNodeDuplex, winsock, type KeyMonitor,
} from '../../lib/index.ts';
import { checkResourcesReleased, settle } from '../helpers/resources.ts';
import { loopUntil, settled } from '../helpers/loop.ts';
import { shareAcrossTests } from '../helpers/loop-empty.ts';

checkResourcesReleased();

const tmp = mkdtempSync(path.join(tmpdir(), 'winmux-bad-input-'));
let reactor: Reactor;
/**
 * The table's rows share one reactor while it stays open (a fresh one per row made the table
 * take 12 minutes: each started its IOCP worker and waiter thread anew); each row still starts
 * its own background work and checks the loop after its call, and a row that closes the
 * reactor gets the next row a new one.
 */
let shared: Reactor | undefined;
const cleanups: (() => unknown)[] = [];
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
});

type ErrorClass = new (...args: never[]) => Error;

// ---------------------------------------------------------------------------------------------
// Fixtures, made inside `reactor.run` before the row's call and closed after the test.

let fileCounter = 0;

/** A file open for reading and writing, closed after the test. */
function scratchFile(): File {
  const file = File.open(reactor, path.join(tmp, `scratch-${++fileCounter}.bin`), { mode: 'readwrite', disposition: 'create' });
  cleanups.push(() => file.close());
  return file;
}

/** The path of a scratch file (closed), for calls that want a directory. */
function scratchFilePath(): string {
  const file = File.open(reactor, path.join(tmp, `plain-${++fileCounter}.bin`), { mode: 'write', disposition: 'create' });
  file.close();
  return file.path;
}

/** Inside `reactor.run`: a connected pair of pipe ends (client, server side), closed after the test. */
async function connectedPipe(tag: string): Promise<{ client: NamedPipe; conn: NamedPipe }> {
  const name = `winmux-${tag}-${process.pid}-${++fileCounter}`;
  const server = new NamedPipeServer(reactor, name);
  cleanups.push(() => server.close());
  const accepting = server.accept();
  const client = await NamedPipe.connect(reactor, name);
  const conn = await accepting;
  cleanups.push(() => client.close(), () => conn.close());
  return { client, conn };
}

/** Inside `reactor.run`: a connected TCP pair (client, accepted end), closed after the test. */
async function connectedTcp(): Promise<{ client: TcpStream; conn: TcpStream }> {
  const listener = TcpListener.listen(reactor);
  cleanups.push(() => listener.close());
  const accepting = listener.accept();
  const client = await TcpStream.connect(reactor, '127.0.0.1', listener.address.port);
  const conn = await accepting;
  cleanups.push(() => client.close(), () => conn.close());
  return { client, conn };
}

function udpSocket(): UdpSocket {
  const socket = UdpSocket.bind(reactor);
  cleanups.push(() => socket.close());
  return socket;
}

function event(): WinEvent {
  const e = WinEvent.create({ manualReset: true });
  cleanups.push(() => e.close());
  return e;
}

function socketPair(): [number, number] {
  const pair = winsock.loopbackPair();
  cleanups.push(() => winsock.closeQuietly(...pair));
  return pair;
}

/** A handle value no open handle has (a multiple of 4 far above what a test process reaches). */
const NOT_OPEN = 0x3fff_fff0;
/** A socket value no open socket has. */
const NOT_A_SOCKET = 0x3fff_fff0;

function detached(length = 8): Uint8Array {
  const buffer = new Uint8Array(length);
  structuredClone(buffer.buffer, { transfer: [buffer.buffer] });
  return buffer;
}

// ---------------------------------------------------------------------------------------------
// Kinds of bad values.

interface Bad {
  label: string;
  value: unknown;
  error: ErrorClass;
}

const bad = (label: string, value: unknown, error: ErrorClass): Bad => ({ label, value, error });

/** Not a number at all. */
const NOT_NUMBERS: Bad[] = [
  bad('undefined', undefined, TypeError), bad('null', null, TypeError), bad("'abc'", 'abc', TypeError), bad('{}', {}, TypeError),
  bad('a symbol', Symbol('s'), TypeError), bad('1n', 1n, TypeError),
];
/** Numbers no count, size, offset or index can be. */
const BAD_INTEGERS: Bad[] = [
  bad('-1', -1, RangeError), bad('NaN', NaN, RangeError), bad('1.5', 1.5, RangeError), bad('Infinity', Infinity, RangeError),
  bad('2^64', 2 ** 64, RangeError),
];
/** Not a string. */
const NOT_STRINGS: Bad[] = [
  bad('undefined', undefined, TypeError), bad('null', null, TypeError), bad('5', 5, TypeError), bad('{}', {}, TypeError), bad('a symbol', Symbol('s'), TypeError),
];
/** Not a function. */
const NOT_FUNCTIONS: Bad[] = [
  bad('5', 5, TypeError), bad("'x'", 'x', TypeError), bad('null', null, TypeError), bad('undefined', undefined, TypeError), bad('{}', {}, TypeError),
];
/** Not a signal. */
const NOT_SIGNALS: Bad[] = [
  bad('{}', {}, TypeError), bad("'x'", 'x', TypeError), bad('null', null, TypeError), bad('an AbortController', new AbortController(), TypeError),
];
/** Not an options object (undefined is: the defaults). */
const NOT_OPTIONS: Bad[] = [
  bad('null', null, TypeError), bad('5', 5, TypeError), bad("'x'", 'x', TypeError), bad('true', true, TypeError),
];
/** Durations: a number ≥ 0 (negative counts as 0) or Infinity; nothing else. */
const BAD_DURATIONS: Bad[] = [
  bad('NaN', NaN, RangeError), bad("'abc'", 'abc', TypeError), bad('undefined', undefined, TypeError), bad('null', null, TypeError),
  bad('{}', {}, TypeError), bad('1n', 1n, TypeError),
];
/** Handles: positive integers or BigInts that fit. */
const BAD_HANDLE_VALUES: Bad[] = [
  bad('0', 0, TypeError), bad('-1', -1, TypeError), bad('1.5', 1.5, TypeError), bad('NaN', NaN, TypeError), bad("'abc'", 'abc', TypeError),
  bad('undefined', undefined, TypeError), bad('null', null, TypeError), bad('{}', {}, TypeError), bad('2^64', 2 ** 64, TypeError),
  bad('2n ** 64n', 2n ** 64n, TypeError),
];
/** Sockets: non-negative integers or BigInts that fit. */
const BAD_SOCKET_VALUES: Bad[] = [
  bad('-1', -1, TypeError), bad('1.5', 1.5, TypeError), bad('NaN', NaN, TypeError), bad("'abc'", 'abc', TypeError), bad('undefined', undefined, TypeError),
  bad('null', null, TypeError), bad('{}', {}, TypeError), bad('2^64', 2 ** 64, TypeError), bad('-1n', -1n, TypeError),
];
/** Buffers for a write. */
const BAD_WRITE_BUFFERS = (): Bad[] => [
  bad("a string 'abc'", 'abc', TypeError), bad('an array [1, 2]', [1, 2], TypeError), bad('an ArrayBuffer', new ArrayBuffer(4), TypeError),
  bad('a DataView', new DataView(new ArrayBuffer(4)), TypeError), bad('undefined', undefined, TypeError), bad('null', null, TypeError),
  bad('a detached Uint8Array', detached(), TypeError), bad('a Uint16Array', new Uint16Array(2), TypeError),
];
/** Buffers for a read: as for a write, and not empty (a 0-byte read returns 0, which reads as end of stream). */
const BAD_READ_BUFFERS = (): Bad[] => [...BAD_WRITE_BUFFERS(), bad('a zero-length Uint8Array', new Uint8Array(0), RangeError)];
/** Ports. */
const BAD_PORTS: Bad[] = [
  bad('-1', -1, RangeError), bad('70000', 70000, RangeError), bad('1.5', 1.5, RangeError), bad('NaN', NaN, RangeError), bad('Infinity', Infinity, RangeError),
  bad("'80'", '80', TypeError), bad('null', null, TypeError), bad('undefined', undefined, TypeError),
];
/** Hosts. */
const BAD_HOSTS: Bad[] = [
  bad('5', 5, TypeError), bad('null', null, TypeError), bad('undefined', undefined, TypeError), bad("''", '', TypeError), bad('{}', {}, TypeError),
];
/** Things that are not a reactor. */
const NOT_REACTORS: Bad[] = [
  bad('undefined', undefined, TypeError), bad('null', null, TypeError), bad('{}', {}, TypeError), bad('5', 5, TypeError),
];

// ---------------------------------------------------------------------------------------------
// The table.

interface Row {
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
function each<F>(
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

function one<F>(what: string, error: ErrorClass, call: (fixture: F) => unknown, setup?: () => F | Promise<F>, names?: string): void {
  rows.push({ what, error, names, setup, call: call as (fixture: never) => unknown });
}

function onClosedReactor(what: string, call: (r: Reactor) => unknown, error: ErrorClass = ClosedResourceError): void {
  rows.push({ what: `${what} on a closed reactor`, error, closedReactor: true, call: () => call(reactor) });
}

const any = <T>(value: unknown): T => value as T;

// --- new Reactor(options) ---
each('new Reactor', 'options', NOT_OPTIONS, (_, o) => new Reactor(o));
each('new Reactor', 'options.maxBlockMs', [bad('-1', -1, RangeError), bad('NaN', NaN, RangeError), bad("'x'", 'x', TypeError), bad('null', null, TypeError)], (_, v) => new Reactor({ maxBlockMs: v }));
each('new Reactor', 'options.maxWaitsPerThread', [...BAD_INTEGERS, bad('0', 0, RangeError), bad('64', 64, RangeError), bad("'x'", 'x', TypeError)], (_, v) => new Reactor({ maxWaitsPerThread: v }));
each('new Reactor', 'options.waiterIdleMs', [bad('-1', -1, RangeError), bad('NaN', NaN, RangeError), bad('Infinity', Infinity, RangeError), bad('2^53', 2 ** 53, RangeError), bad("'x'", 'x', TypeError), bad('null', null, TypeError)], (_, v) => new Reactor({ waiterIdleMs: v }));
each('new Reactor', 'options.readiness', [bad("'epoll'", 'epoll', TypeError), bad('{} (3 handles leaked)', {}, TypeError), bad('5', 5, TypeError), bad('null', null, TypeError)], (_, v) => new Reactor({ readiness: v }));
each('new Reactor', 'options.waitIn', [bad("'poll'", 'poll', TypeError), bad("'port' with select", 'port', TypeError), bad('5', 5, TypeError)], (_, v) => new Reactor({ waitIn: v }));
each('new Reactor', 'options.guest', [bad("'yes'", 'yes', TypeError), bad('1', 1, TypeError)], (_, v) => new Reactor({ guest: v }));
each('new Reactor', 'options.ref', [bad("'yes'", 'yes', TypeError), bad('0', 0, TypeError)], (_, v) => new Reactor({ guest: true, ref: v }));
each('new Reactor', 'options.clock', [bad('5', 5, TypeError), bad("'x'", 'x', TypeError), bad('null', null, TypeError)], (_, v) => new Reactor({ clock: v }));

// --- Reactor: run, callSoon, timers ---
each('Reactor.run', 'fn', NOT_FUNCTIONS, (_, fn) => reactor.run(fn));
each('Reactor.callSoon', 'callback', NOT_FUNCTIONS, (_, fn) => reactor.callSoon(fn));
each('Reactor.sleep', 'ms', BAD_DURATIONS, (_, ms) => reactor.sleep(ms));
each('Reactor.sleep', 'options', NOT_OPTIONS, (_, o) => reactor.sleep(1, o));
each('Reactor.sleep', 'options.signal', NOT_SIGNALS, (_, signal) => reactor.sleep(10, { signal }));
each('Reactor.sleepUntil', 'deadline', BAD_DURATIONS, (_, d) => reactor.sleepUntil(d));
each('Reactor.sleepUntil', 'options', NOT_OPTIONS, (_, o) => reactor.sleepUntil(0, o));
each('Reactor.sleepUntil', 'options.signal', NOT_SIGNALS, (_, signal) => reactor.sleepUntil(reactor.now() + 10, { signal }));
each('Reactor.timeoutSignal', 'ms', BAD_DURATIONS, (_, ms) => reactor.timeoutSignal(ms));
each('Reactor.deadlineSignal', 'deadline', BAD_DURATIONS, (_, d) => reactor.deadlineSignal(d));

// --- Reactor: socket waits ---
for (const method of ['waitReadable', 'waitWritable'] as const) {
  each(`Reactor.${method}`, 'socket', BAD_SOCKET_VALUES, (_, s) => reactor[method](s), undefined, 'SOCKET');
  each(`Reactor.${method}`, 'options', NOT_OPTIONS, ([a]: [number, number], o) => reactor[method](a, o), socketPair);
  each(`Reactor.${method}`, 'options.signal', NOT_SIGNALS, ([a]: [number, number], signal) => reactor[method](a, { signal }), socketPair);
  one(`Reactor.${method}: a socket value that is not open (WSAENOTSOCK)`, WinError, () => reactor[method](NOT_A_SOCKET));
  one(`Reactor.${method}: a closed socket`, WinError, () => {
    const [a, b] = winsock.loopbackPair();
    winsock.closeQuietly(a, b);
    return reactor[method](a);
  });
  one(`Reactor.${method}: a file handle where a socket is expected`, WinError, (file: File) => reactor[method](file.handle), scratchFile);
  one(`Reactor.${method}: an event handle where a socket is expected`, WinError, (e: WinEvent) => reactor[method](e.handle), event);
  one(`Reactor.${method}: a second waiter on one socket`, BusyResourceError, ([a]: [number, number]) => {
    void reactor[method](a).catch(() => {});
    return reactor[method](a);
  }, () => {
    const pair = socketPair();
    cleanups.push(() => reactor.notifyClosing(pair[0]));
    if (method === 'waitWritable') fillSendBufferOf(pair[0]);
    return pair;
  });
}
each('Reactor.notifyClosing', 'socket', BAD_SOCKET_VALUES, (_, s) => reactor.notifyClosing(s), undefined, 'SOCKET');
each('Reactor.release', 'socket', BAD_SOCKET_VALUES, (_, s) => reactor.release(s), undefined, 'SOCKET');

// --- Reactor: the completion family ---
each('Reactor.registerWithIocp', 'handle', BAD_HANDLE_VALUES, (_, h) => reactor.registerWithIocp(h), undefined, 'HANDLE');
one('Reactor.registerWithIocp: a handle that is not open', WinError, () => reactor.registerWithIocp(NOT_OPEN));
one('Reactor.registerWithIocp: a handle registered already', WinError, (file: File) => reactor.registerWithIocp(file.handle), scratchFile);
each('Reactor.releaseHandle', 'handle', BAD_HANDLE_VALUES, (_, h) => reactor.releaseHandle(h), undefined, 'HANDLE');
each('Reactor.readOverlapped', 'handle', BAD_HANDLE_VALUES, (_, h) => reactor.readOverlapped(h, new Uint8Array(4)), undefined, 'HANDLE');
one('Reactor.readOverlapped: a handle not registered here', HandleStateError, (e: WinEvent) => reactor.readOverlapped(e.handle, new Uint8Array(4)), event);
each('Reactor.readOverlapped', 'buffer', BAD_READ_BUFFERS(), (file: File, b) => reactor.readOverlapped(file.handle, b), scratchFile);
each('Reactor.readOverlapped', 'fileOffset', [...BAD_INTEGERS, bad("'abc'", 'abc', TypeError), bad('null', null, TypeError)], (file: File, o) => reactor.readOverlapped(file.handle, new Uint8Array(4), o), scratchFile);
each('Reactor.readOverlapped', 'options', NOT_OPTIONS, (file: File, o) => reactor.readOverlapped(file.handle, new Uint8Array(4), 0, o), scratchFile);
each('Reactor.readOverlapped', 'options.signal', NOT_SIGNALS, (file: File, signal) => reactor.readOverlapped(file.handle, new Uint8Array(4), 0, { signal }), scratchFile);
each('Reactor.writeOverlapped', 'handle', BAD_HANDLE_VALUES, (_, h) => reactor.writeOverlapped(h, new Uint8Array(4)), undefined, 'HANDLE');
each('Reactor.writeOverlapped', 'data', BAD_WRITE_BUFFERS(), (file: File, b) => reactor.writeOverlapped(file.handle, b), scratchFile);
each('Reactor.writeOverlapped', 'fileOffset', [...BAD_INTEGERS, bad("'abc'", 'abc', TypeError)], (file: File, o) => reactor.writeOverlapped(file.handle, new Uint8Array(4), o), scratchFile);
each('Reactor.writeOverlapped', 'options.signal', NOT_SIGNALS, (file: File, signal) => reactor.writeOverlapped(file.handle, new Uint8Array(4), 0, { signal }), scratchFile);
each('Reactor.submitOverlapped', 'handle', BAD_HANDLE_VALUES.slice(0, 4), (_, h) => reactor.submitOverlapped(h, 'ReadFile', () => 0), undefined, 'HANDLE');
each('Reactor.submitOverlapped', 'syscall', NOT_STRINGS, (file: File, s) => reactor.submitOverlapped(file.handle, s, () => 0), scratchFile);
each('Reactor.submitOverlapped', 'issue', NOT_FUNCTIONS, (file: File, f) => reactor.submitOverlapped(file.handle, 'ReadFile', f), scratchFile);
each('Reactor.submitOverlapped', 'options', NOT_OPTIONS, (file: File, o) => reactor.submitOverlapped(file.handle, 'ReadFile', () => 0, o), scratchFile);
each('Reactor.submitOverlapped', 'options.fileOffset', [bad('-1', -1, RangeError), bad('NaN', NaN, RangeError), bad("'x'", 'x', TypeError)], (file: File, fileOffset) => reactor.submitOverlapped(file.handle, 'ReadFile', () => 0, { fileOffset }), scratchFile);
each('Reactor.submitOverlapped', 'options.mapError', [bad('5', 5, TypeError), bad("'x'", 'x', TypeError)], (file: File, mapError) => reactor.submitOverlapped(file.handle, 'ReadFile', () => 0, { mapError }), scratchFile);
each('Reactor.waitOverlapped', 'handle', BAD_HANDLE_VALUES.slice(0, 4), (_, h) => reactor.waitOverlapped(h, new Uint8Array(32)), undefined, 'HANDLE');
each('Reactor.waitOverlapped', 'overlapped', [bad('a 4-byte Uint8Array', new Uint8Array(4), TypeError), bad("'x'", 'x', TypeError), bad('null', null, TypeError), bad('a detached Uint8Array', detached(32), TypeError)], (file: File, ov) => reactor.waitOverlapped(file.handle, ov), scratchFile);
each('Reactor.waitOverlapped', 'options.signal', NOT_SIGNALS, (file: File, signal) => reactor.waitOverlapped(file.handle, new Uint8Array(32), { signal }), scratchFile);
each('Reactor.postCompletion', 'key', [...BAD_INTEGERS, bad("'abc'", 'abc', TypeError), bad('null', null, TypeError), bad('the private stop key 2', 2, RangeError)], (_, key) => reactor.postCompletion(key), undefined, 'key');
each('Reactor.postCompletion', 'bytes', [...BAD_INTEGERS, bad('2^33', 2 ** 33, RangeError), bad("'abc'", 'abc', TypeError), bad('null', null, TypeError)], (_, bytes) => reactor.postCompletion(0x2000, bytes), undefined, 'bytes');
each('Reactor.transferHandle', 'handle', BAD_HANDLE_VALUES.slice(0, 5), (_, h) => reactor.transferHandle(h, reactor.completionTarget()), undefined, 'HANDLE');
each('Reactor.transferHandle', 'target', [bad('undefined', undefined, TypeError), bad('null', null, TypeError), bad('5', 5, TypeError), bad('{}', {}, TypeError), bad("{ port: 'x' }", { port: 'x' }, TypeError)], (file: File, t) => reactor.transferHandle(file.handle, t), scratchFile);
one('Reactor.transferHandle: a handle not registered here', HandleStateError, (e: WinEvent) => reactor.transferHandle(e.handle, reactor.completionTarget()), event);
each('Reactor.adoptHandle', 'transfer', [bad('undefined', undefined, TypeError), bad('null', null, TypeError), bad('5', 5, TypeError), bad('{}', {}, TypeError), bad("{ handle: 'x' }", { handle: 'x' }, TypeError)], (_, t) => reactor.adoptHandle(t));
one('Reactor.adoptHandle: a handle registered already', HandleStateError, (file: File) => reactor.adoptHandle({ handle: file.handle }), scratchFile);

// --- Reactor: object waits ---
each('Reactor.waitForObject', 'handle', BAD_HANDLE_VALUES, (_, h) => reactor.waitForObject(h), undefined, 'HANDLE');
one('Reactor.waitForObject: a handle that is not open (ERROR_INVALID_HANDLE)', WinError, () => reactor.waitForObject(NOT_OPEN));
one('Reactor.waitForObject: a closed event handle', WinError, () => {
  const e = WinEvent.create();
  e.close();
  return reactor.waitForObject(e.handle);
});
one("Reactor.waitForObject: the reactor's own completion port (used to stall the loop)", HandleStateError, () => reactor.waitForObject(reactor.completionTarget().port));
each('Reactor.waitForObject', 'options', NOT_OPTIONS, (e: WinEvent, o) => reactor.waitForObject(e.handle, o), event);
each('Reactor.waitForObject', 'options.signal', NOT_SIGNALS, (e: WinEvent, signal) => reactor.waitForObject(e.handle, { signal }), event);
each('Reactor.waitForObject', 'options.timeoutMs', [bad('-1', -1, RangeError), bad('NaN', NaN, RangeError), bad("'x'", 'x', TypeError), bad('null', null, TypeError), bad('1n', 1n, TypeError)], (e: WinEvent, timeoutMs) => reactor.waitForObject(e.handle, { timeoutMs }), event);

// --- Reactor: everything on a closed reactor ---
onClosedReactor('run', (r) => r.run(() => 1));
onClosedReactor('callSoon', (r) => r.callSoon(() => {}));
onClosedReactor('sleep', (r) => r.sleep(1));
onClosedReactor('sleepUntil', (r) => r.sleepUntil(0));
onClosedReactor('checkpoint', (r) => r.checkpoint());
onClosedReactor('openChannel', (r) => r.openChannel());
onClosedReactor('monitorCompletionKey', (r) => r.monitorCompletionKey());
onClosedReactor('postCompletion', (r) => r.postCompletion(0x2000));
onClosedReactor('completionTarget', (r) => r.completionTarget());
onClosedReactor('waitForObject', (r) => {
  const e = WinEvent.create();
  cleanups.push(() => e.close());
  return r.waitForObject(e.handle);
});
onClosedReactor('waitReadable', (r) => {
  const pair = socketPair();
  return r.waitReadable(pair[0]);
});
onClosedReactor('readOverlapped', (r) => r.readOverlapped(NOT_OPEN, new Uint8Array(4)));
onClosedReactor('registerWithIocp', (r) => {
  const e = WinEvent.create();
  cleanups.push(() => e.close());
  return r.registerWithIocp(e.handle);
});
onClosedReactor('File.open', (r) => File.open(r, path.join(tmp, 'closed-reactor.bin'), { mode: 'write', disposition: 'create' }));
onClosedReactor('TcpListener.listen', (r) => TcpListener.listen(r));
onClosedReactor('UdpSocket.bind', (r) => UdpSocket.bind(r));
onClosedReactor('new NamedPipeServer', (r) => new NamedPipeServer(r, `winmux-closed-${process.pid}`));
onClosedReactor('TcpStream.connect', (r) => TcpStream.connect(r, '127.0.0.1', 9));
onClosedReactor('spawnProcess', (r) => spawnProcess(r, 'cmd.exe', ['/c', 'exit'], { stdout: 'pipe' }));

// --- File ---
each('File.open', 'reactor', NOT_REACTORS, (_, r) => File.open(r, path.join(tmp, 'no-reactor.bin'), { mode: 'write', disposition: 'create' }));
each('File.open', 'path', [...NOT_STRINGS, bad("''", '', TypeError), bad('a NUL inside', 'a\0b', TypeError)], (_, p) => File.open(reactor, p));
each('File.open', 'options', NOT_OPTIONS, (_, o) => File.open(reactor, path.join(tmp, 'never.bin'), o));
each('File.open', 'options.mode', [bad("'rw'", 'rw', TypeError), bad('5', 5, TypeError), bad('null', null, TypeError), bad("'toString'", 'toString', TypeError)], (_, mode) => File.open(reactor, path.join(tmp, 'never.bin'), { mode }));
each('File.open', 'options.disposition', [bad("'truncate'", 'truncate', TypeError), bad('5', 5, TypeError), bad("'constructor'", 'constructor', TypeError)], (_, disposition) => File.open(reactor, path.join(tmp, 'never.bin'), { disposition }));
each('File.open', 'options.signal', NOT_SIGNALS, (_, signal) => File.open(reactor, path.join(tmp, 'never.bin'), { signal }));
one('File.open: a file that does not exist (ERROR_FILE_NOT_FOUND)', WinError, () => File.open(reactor, path.join(tmp, 'no-such-file.bin')));
each('File.read', 'buffer', BAD_READ_BUFFERS(), (file: File, b) => file.read(b, 0), scratchFile);
each('File.read', 'offset', [...BAD_INTEGERS, bad('2^53', 2 ** 53, RangeError), ...NOT_NUMBERS], (file: File, o) => file.read(new Uint8Array(4), o), scratchFile);
each('File.read', 'options', NOT_OPTIONS, (file: File, o) => file.read(new Uint8Array(4), 0, o), scratchFile);
each('File.read', 'options.signal', NOT_SIGNALS, (file: File, signal) => file.read(new Uint8Array(4), 0, { signal }), scratchFile);
each('File.write', 'data', BAD_WRITE_BUFFERS(), (file: File, b) => file.write(b, 0), scratchFile);
each('File.write', 'offset', [...BAD_INTEGERS, bad('2^53', 2 ** 53, RangeError), ...NOT_NUMBERS], (file: File, o) => file.write(new Uint8Array(4), o), scratchFile);
each('File.write', 'options.signal', NOT_SIGNALS, (file: File, signal) => file.write(new Uint8Array(4), 0, { signal }), scratchFile);
one('File.read on a closed file', ClosedResourceError, (file: File) => {
  file.close();
  return file.read(new Uint8Array(4), 0);
}, scratchFile);
one('File.write on a closed file', ClosedResourceError, (file: File) => {
  file.close();
  return file.write(new Uint8Array(4), 0);
}, scratchFile);
one('File.read on a file opened write-only (ERROR_ACCESS_DENIED)', WinError, (file: File) => file.read(new Uint8Array(4), 0), () => {
  const file = File.open(reactor, scratchFilePath(), { mode: 'write' });
  cleanups.push(() => file.close());
  return file;
});

// --- NamedPipe, NamedPipeServer, pipePath ---
/** Pipe names that are paths (docs/api.md, named pipes): each would leave \\.\pipe\ or reach another machine. */
const BAD_PIPE_NAMES: Bad[] = [
  bad("'..'", '..', TypeError), bad("'a/b'", 'a/b', TypeError), bad("'..\\x'", '..\\x', TypeError), bad("'x.' (a trailing dot)", 'x.', TypeError),
  bad('a remote pipe', '\\\\server\\pipe\\x', TypeError), bad('a device path', '\\\\.\\C:\\x', TypeError), bad('257 characters', 'x'.repeat(248), RangeError),
];
each('pipePath', 'name', [...NOT_STRINGS, ...BAD_PIPE_NAMES], (_, n) => pipePath(n), undefined, 'pipe name');
each('NamedPipe.connect', 'reactor', NOT_REACTORS, (_, r) => NamedPipe.connect(r, 'winmux-no-such-pipe'));
each('NamedPipe.connect', 'name', [...NOT_STRINGS, bad("''", '', TypeError), bad('a NUL inside', 'a\0b', TypeError), ...BAD_PIPE_NAMES], (_, n) => NamedPipe.connect(reactor, n), undefined, 'pipe name');
each('NamedPipe.connect', 'options', NOT_OPTIONS, (_, o) => NamedPipe.connect(reactor, 'winmux-no-such-pipe', o));
each('NamedPipe.connect', 'options.timeoutMs', BAD_DURATIONS.filter((b) => b.label !== 'undefined'), (_, timeoutMs) => NamedPipe.connect(reactor, 'winmux-no-such-pipe', { timeoutMs }));
each('NamedPipe.connect', 'options.signal', NOT_SIGNALS, (_, signal) => NamedPipe.connect(reactor, 'winmux-no-such-pipe', { signal }));
one('NamedPipe.connect: a pipe that does not exist (ERROR_FILE_NOT_FOUND)', WinError, () => NamedPipe.connect(reactor, `winmux-no-such-pipe-${process.pid}`));
each('NamedPipe.read', 'buffer', BAD_READ_BUFFERS(), ({ conn }: { conn: NamedPipe }, b) => conn.read(b), () => connectedPipe('read'));
each('NamedPipe.read', 'options', NOT_OPTIONS, ({ conn }: { conn: NamedPipe }, o) => conn.read(new Uint8Array(4), o), () => connectedPipe('read-options'));
each('NamedPipe.read', 'options.signal', NOT_SIGNALS.slice(0, 2), ({ conn }: { conn: NamedPipe }, signal) => conn.read(new Uint8Array(4), { signal }), () => connectedPipe('read-signal'));
each('NamedPipe.write', 'data', BAD_WRITE_BUFFERS(), ({ client }: { client: NamedPipe }, b) => client.write(b), () => connectedPipe('write'));
each('NamedPipe.write', 'options.signal', NOT_SIGNALS.slice(0, 2), ({ client }: { client: NamedPipe }, signal) => client.write(new Uint8Array(4), { signal }), () => connectedPipe('write-signal'));
each('NamedPipe.readable', 'options.chunkSize', [bad('0', 0, RangeError), ...BAD_INTEGERS, bad("'x'", 'x', TypeError), bad('null', null, TypeError)], ({ conn }: { conn: NamedPipe }, chunkSize) => conn.readable({ chunkSize }).next(), () => connectedPipe('readable'));
one('NamedPipe.read on a closed pipe', ClosedResourceError, ({ conn }: { conn: NamedPipe }) => {
  conn.close();
  return conn.read(new Uint8Array(4));
}, () => connectedPipe('closed-read'));
one('NamedPipe.write on a closed pipe', ClosedResourceError, ({ client }: { client: NamedPipe }) => {
  client.close();
  return client.write(new Uint8Array(4));
}, () => connectedPipe('closed-write'));
one('NamedPipe.read: two at once, the second', BusyResourceError, ({ conn }: { conn: NamedPipe }) => {
  void conn.read(new Uint8Array(4)).catch(() => {});
  return conn.read(new Uint8Array(4));
}, () => connectedPipe('busy-read'));
each('new NamedPipeServer', 'reactor', NOT_REACTORS, (_, r) => new NamedPipeServer(r, `winmux-no-reactor-${process.pid}`));
each('new NamedPipeServer', 'name', [...NOT_STRINGS, bad("''", '', TypeError), bad('a NUL inside', 'a\0b', TypeError), ...BAD_PIPE_NAMES], (_, n) => new NamedPipeServer(reactor, n), undefined, 'pipe name');
// FILE_FLAG_FIRST_PIPE_INSTANCE on Windows, the instance count under Wine 8 (which ignores the flag).
one('new NamedPipeServer: a name taken by another server (ERROR_ACCESS_DENIED)', WinError, (name: string) => new NamedPipeServer(reactor, name), () => {
  const name = `winmux-taken-${process.pid}`;
  const first = new NamedPipeServer(reactor, name);
  cleanups.push(() => first.close());
  return name;
});
each('NamedPipeServer.accept', 'options', NOT_OPTIONS, (server: NamedPipeServer, o) => server.accept(o), () => pipeServer('accept-options'));
each('NamedPipeServer.accept', 'options.signal', NOT_SIGNALS, (server: NamedPipeServer, signal) => server.accept({ signal }), () => pipeServer('accept-signal'));
one('NamedPipeServer.accept on a closed server', ClosedResourceError, (server: NamedPipeServer) => {
  server.close();
  return server.accept();
}, () => pipeServer('closed-accept'));
one('NamedPipeServer.accept: two at once, the second', BusyResourceError, (server: NamedPipeServer) => {
  void server.accept().catch(() => {});
  return server.accept();
}, () => pipeServer('busy-accept'));

function pipeServer(tag: string): NamedPipeServer {
  const server = new NamedPipeServer(reactor, `winmux-${tag}-${process.pid}-${++fileCounter}`);
  cleanups.push(() => server.close());
  return server;
}

// --- DirectoryWatcher ---
function watcher(): DirectoryWatcher {
  const w = DirectoryWatcher.open(reactor, tmp);
  cleanups.push(() => w.close());
  return w;
}
/**
 * The watcher reads its options as Node's fs.watch reads its own: `null`, for the bag or for any
 * field, is the default (docs/api.md), so null leaves its lists of bad values; the rest stays bad.
 */
const nullIsDefault = (values: Bad[]): Bad[] => values.filter((b) => b.value !== null);
const NOT_WATCH_OPTIONS: Bad[] = [...nullIsDefault(NOT_OPTIONS), bad('[] (an array)', [], TypeError)];
const WATCH_TRANSFER = { handle: { handle: NOT_OPEN }, path: tmp, recursive: false, filter: 1, bufferSize: 4096, queued: [] };
each('DirectoryWatcher.open', 'reactor', NOT_REACTORS, (_, r) => DirectoryWatcher.open(r, tmp));
each('DirectoryWatcher.open', 'path', [...NOT_STRINGS, bad("''", '', TypeError), bad('a NUL inside', 'a\0b', TypeError)], (_, p) => DirectoryWatcher.open(reactor, p));
each('DirectoryWatcher.open', 'options', NOT_WATCH_OPTIONS, (_, o) => DirectoryWatcher.open(reactor, tmp, o));
each('DirectoryWatcher.open', 'options.recursive', [bad("'yes'", 'yes', TypeError), bad('1', 1, TypeError), bad('0', 0, TypeError), bad("'false'", 'false', TypeError), bad('{}', {}, TypeError)], (_, recursive) => DirectoryWatcher.open(reactor, tmp, { recursive }));
each('DirectoryWatcher.open', 'options.filter', [bad("'name'", 'name', TypeError), bad('[]', [], RangeError), bad("['everything']", ['everything'], RangeError), bad('[5]', [5], RangeError), bad('5', 5, TypeError), bad('{}', {}, TypeError), bad('[null]', [null], RangeError), bad("['fileName', 'nope']", ['fileName', 'nope'], RangeError)], (_, filter) => DirectoryWatcher.open(reactor, tmp, { filter }));
each('DirectoryWatcher.open', 'options.bufferSize', [bad('1001 (not DWORD-aligned)', 1001, RangeError), bad('0', 0, RangeError), ...BAD_INTEGERS, bad("'x'", 'x', TypeError), bad("'16384'", '16384', TypeError), bad('16384n', 16384n, TypeError), bad('12 (under 16)', 12, RangeError), bad('65540 (over 64 KiB)', 65540, RangeError)], (_, bufferSize) => DirectoryWatcher.open(reactor, tmp, { bufferSize }));
each('DirectoryWatcher.open', 'options.signal', nullIsDefault(NOT_SIGNALS), (_, signal) => DirectoryWatcher.open(reactor, tmp, { signal }));
one('DirectoryWatcher.open on a file (ERROR_DIRECTORY; the handle is closed)', WinError, (p: string) => DirectoryWatcher.open(reactor, p), scratchFilePath);
one('DirectoryWatcher.open on a directory that does not exist', WinError, () => DirectoryWatcher.open(reactor, path.join(tmp, 'no-such-dir')));
each('DirectoryWatcher.next', 'options', NOT_WATCH_OPTIONS, (w: DirectoryWatcher, o) => w.next(o), watcher);
each('DirectoryWatcher.next', 'options.signal', nullIsDefault(NOT_SIGNALS), (w: DirectoryWatcher, signal) => w.next({ signal }), watcher);
each('DirectoryWatcher.transfer', 'target', [bad('undefined', undefined, TypeError), bad('null', null, TypeError), bad('5', 5, TypeError), bad("{ port: 'x' }", { port: 'x' }, TypeError)], (w: DirectoryWatcher, t) => w.transfer(t), watcher);
one('DirectoryWatcher.transfer on a closed watcher', ClosedResourceError, async (w: DirectoryWatcher) => {
  await w.close();
  return w.transfer(reactor.completionTarget());
}, watcher);
each('DirectoryWatcher.adopt', 'reactor', NOT_REACTORS, (_, r) => DirectoryWatcher.adopt(r, any(WATCH_TRANSFER)));
each('DirectoryWatcher.adopt', 'transfer', [bad('undefined', undefined, TypeError), bad('null', null, TypeError), bad('{}', {}, TypeError), bad('5', 5, TypeError)], (_, t) => DirectoryWatcher.adopt(reactor, t));
each('DirectoryWatcher.adopt', 'transfer.bufferSize', [bad('1001', 1001, RangeError), bad("'x'", 'x', TypeError)], (_, bufferSize) => DirectoryWatcher.adopt(reactor, any({ ...WATCH_TRANSFER, bufferSize })), undefined, 'bufferSize');
each('DirectoryWatcher.adopt', 'options', NOT_WATCH_OPTIONS, (_, o) => DirectoryWatcher.adopt(reactor, any(WATCH_TRANSFER), o));
each('DirectoryWatcher.adopt', 'options.signal', nullIsDefault(NOT_SIGNALS), (_, signal) => DirectoryWatcher.adopt(reactor, any(WATCH_TRANSFER), { signal }));

// --- WinEvent ---
each('WinEvent.create', 'options', NOT_OPTIONS, (_, o) => WinEvent.create(o));
each('WinEvent.create', 'options.manualReset', [bad("'yes'", 'yes', TypeError), bad('1', 1, TypeError), bad('null', null, TypeError)], (_, manualReset) => WinEvent.create({ manualReset }));
each('WinEvent.create', 'options.signaled', [bad("'yes'", 'yes', TypeError), bad('1', 1, TypeError)], (_, signaled) => WinEvent.create({ signaled }));
each('WinEvent.fromHandle', 'handle', BAD_HANDLE_VALUES, (_, h) => WinEvent.fromHandle(h), undefined, 'HANDLE');
each('WinEvent.wait', 'reactor', NOT_REACTORS, (e: WinEvent, r) => e.wait(r), event);
each('WinEvent.wait', 'options', NOT_OPTIONS, (e: WinEvent, o) => e.wait(reactor, o), event);
each('WinEvent.wait', 'options.signal', NOT_SIGNALS, (e: WinEvent, signal) => e.wait(reactor, { signal }), event);
each('WinEvent.wait', 'options.timeoutMs', [bad('-1', -1, RangeError), bad('NaN', NaN, RangeError), bad("'x'", 'x', TypeError), bad('null', null, TypeError)], (e: WinEvent, timeoutMs) => e.wait(reactor, { timeoutMs }), event);
one('WinEvent.wait on a closed event', ClosedResourceError, (e: WinEvent) => {
  e.close();
  return e.wait(reactor);
}, event);
one('WinEvent.set on a closed event', ClosedResourceError, (e: WinEvent) => {
  e.close();
  e.set();
}, event);
one('WinEvent.reset on a closed event', ClosedResourceError, (e: WinEvent) => {
  e.close();
  e.reset();
}, event);
one('WinEvent.set on a handle that is not an event (a file)', WinError, (file: File) => WinEvent.fromHandle(file.handle).set(), scratchFile);
one('WinEvent.set on a handle that is not open', WinError, () => WinEvent.fromHandle(NOT_OPEN).set());

// --- spawnProcess, ChildProcess, quoting ---
const EXIT = ['/c', 'exit'];
each('spawnProcess', 'reactor', NOT_REACTORS, (_, r) => spawnProcess(r, 'cmd.exe', EXIT, { stdout: 'pipe' }));
each('spawnProcess', 'the command line', [...NOT_STRINGS, bad('a NUL inside', 'cmd\0', TypeError)], (_, c) => spawnProcess(reactor, c), undefined, 'command');
each('spawnProcess', 'file', [...NOT_STRINGS.slice(1), bad("''", '', TypeError), bad('a double quote', 'a"b', TypeError)], (_, f) => spawnProcess(reactor, f, EXIT), undefined, 'program|file');
each('spawnProcess', 'args[1]', [bad('5', 5, TypeError), bad('null', null, TypeError), bad('a NUL inside', 'a\0b', TypeError), bad('{}', {}, TypeError)], (_, a) => spawnProcess(reactor, 'cmd.exe', ['/c', a]), undefined, 'args');
each('spawnProcess', 'options', [...NOT_OPTIONS, bad('an array', [], TypeError)], (_, o) => spawnProcess(reactor, 'cmd.exe', EXIT, o));
each('spawnProcess', 'options.cwd', [bad('5', 5, TypeError), bad('null', null, TypeError), bad('a NUL inside', 'C:\\\0', TypeError)], (_, cwd) => spawnProcess(reactor, 'cmd.exe', EXIT, { cwd }), undefined, 'cwd');
one('spawnProcess: a cwd that does not exist', WinError, () => spawnProcess(reactor, 'cmd.exe', EXIT, { cwd: path.join(tmp, 'no-such-dir') }));
one('spawnProcess: a program that does not exist (ERROR_FILE_NOT_FOUND; pipes closed)', WinError, () => spawnProcess(reactor, 'winmux-no-such-program.exe', [], { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' }));
each('spawnProcess', 'options.env', [bad('null', null, TypeError), bad('5', 5, TypeError), bad("'A=B'", 'A=B', TypeError), bad("an '=' in a name", { 'A=B': 'c' }, TypeError), bad('an empty name', { '': 'c' }, TypeError), bad('a NUL in a value', { A: 'b\0c' }, TypeError), bad('a number for a value', { A: 5 }, TypeError), bad('a NUL in a name', { 'A\0': 'c' }, TypeError)], (_, env) => spawnProcess(reactor, 'cmd.exe', EXIT, { env }), undefined, 'env');
for (const stream of ['stdin', 'stdout', 'stderr'] as const) {
  each('spawnProcess', `options.${stream}`, [bad("'pipes'", 'pipes', TypeError), bad('0', 0, TypeError), bad('-1', -1, TypeError), bad('1.5', 1.5, TypeError), bad('NaN', NaN, TypeError), bad('null', null, TypeError), bad('{}', {}, TypeError)], (_, v) => spawnProcess(reactor, 'cmd.exe', EXIT, { stdin: 'pipe', stdout: 'pipe', [stream]: v }));
  one(`spawnProcess: options.${stream} a handle that is not open (the other pipes closed)`, WinError, () => spawnProcess(reactor, 'cmd.exe', EXIT, { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', [stream]: NOT_OPEN }));
}
each('spawnProcess', 'options.signal', NOT_SIGNALS, (_, signal) => spawnProcess(reactor, 'cmd.exe', EXIT, { stdout: 'pipe', signal }));
one('spawnProcess: args given twice (an array and then more)', TypeError, () => spawnProcess(reactor, 'cmd.exe', any({}), any({})), undefined, 'args');
/** A batch file, for the rows on what cmd.exe cannot be given (test/security/hostile-strings.test.ts runs them). */
function batchFile(): string {
  const file = path.join(tmp, 'args.bat');
  writeFileSync(file, '@exit 0\r\n');
  return file;
}
each('spawnProcess', 'args[1] of a batch file', [bad("'%PATH%'", '%PATH%', RangeError), bad('a LF', 'a\nb', RangeError), bad('a CR', 'a\rb', RangeError), bad('a NUL', 'a\0b', TypeError)], (file: string, a) => spawnProcess(reactor, file, ['ok', a], { stdout: 'pipe' }), batchFile, 'args');
one('spawnProcess: a raw command line that runs a batch file', RangeError, (file: string) => spawnProcess(reactor, `"${file}" "&exit 1"`, { stdout: 'pipe' }), batchFile, 'command line');
one('spawnProcess: a file stream for a program (x.bat::$DATA)', RangeError, (file: string) => spawnProcess(reactor, `${file}::$DATA`, []), batchFile, 'file');
one('spawnProcess: a program only in the current directory (not searched)', WinError, () => spawnProcess(reactor, 'winmux-only-in-cwd', []));

function child(): ReturnType<typeof spawnProcess> {
  const c = spawnProcess(reactor, 'cmd.exe', ['/c', 'exit', '3']);
  cleanups.push(async () => {
    await c.wait().catch(() => {});
    c.close();
  });
  return c;
}
each('ChildProcess.wait', 'options', NOT_OPTIONS, (c: ReturnType<typeof spawnProcess>, o) => c.wait(o), child);
each('ChildProcess.wait', 'options.signal', NOT_SIGNALS, (c: ReturnType<typeof spawnProcess>, signal) => c.wait({ signal }), child);
each('ChildProcess.kill', 'exitCode', [...BAD_INTEGERS.filter((b) => b.label !== '-1'), bad('2^32', 2 ** 32, RangeError), bad("'x'", 'x', TypeError), bad('null', null, TypeError), bad('1n', 1n, TypeError)], (c: ReturnType<typeof spawnProcess>, code) => c.kill(code), child);
one('ChildProcess.wait on a closed process', ClosedResourceError, (c: ReturnType<typeof spawnProcess>) => {
  c.close();
  return c.wait();
}, child);
one('ChildProcess.kill on a closed process', ClosedResourceError, (c: ReturnType<typeof spawnProcess>) => {
  c.close();
  c.kill();
}, child);
one('ChildProcess.exitCode on a closed process', ClosedResourceError, (c: ReturnType<typeof spawnProcess>) => {
  c.close();
  return c.exitCode;
}, child);
each('quoteArgument', 'argument', NOT_STRINGS, (_, a) => quoteArgument(a));
each('buildCommandLine', 'file', NOT_STRINGS, (_, f) => buildCommandLine(f, []));
each('buildCommandLine', 'args', [bad("'x'", 'x', TypeError), bad('[5]', [5], TypeError), bad('null', null, TypeError)], (_, a) => buildCommandLine('cmd.exe', a));

// --- TcpListener, TcpStream, toNodeDuplex ---
each('TcpListener.listen', 'reactor', NOT_REACTORS, (_, r) => TcpListener.listen(r));
each('TcpListener.listen', 'options', NOT_OPTIONS, (_, o) => TcpListener.listen(reactor, o));
each('TcpListener.listen', 'options.host', [...BAD_HOSTS.filter((b) => b.value !== undefined), bad("a host name 'example.com'", 'example.com', TypeError)], (_, host) => TcpListener.listen(reactor, { host }), undefined, 'host');
each('TcpListener.listen', 'options.port', BAD_PORTS.filter((b) => b.value !== undefined), (_, port) => TcpListener.listen(reactor, { port }));
each('TcpListener.listen', 'options.backlog', [...BAD_INTEGERS, bad("'x'", 'x', TypeError), bad('null', null, TypeError)], (_, backlog) => TcpListener.listen(reactor, { backlog }));
each('TcpListener.listen', 'options.signal', NOT_SIGNALS, (_, signal) => TcpListener.listen(reactor, { signal }));
one('TcpListener.listen: a port in use (WSAEADDRINUSE)', WinError, (port: number) => TcpListener.listen(reactor, { port }), () => {
  const first = TcpListener.listen(reactor);
  cleanups.push(() => first.close());
  return first.address.port;
});
function listener(): TcpListener {
  const l = TcpListener.listen(reactor);
  cleanups.push(() => l.close());
  return l;
}
each('TcpListener.accept', 'options', NOT_OPTIONS, (l: TcpListener, o) => l.accept(o), listener);
each('TcpListener.accept', 'options.signal', NOT_SIGNALS, (l: TcpListener, signal) => l.accept({ signal }), listener);
one('TcpListener.accept on a closed listener', ClosedResourceError, (l: TcpListener) => {
  l.close();
  return l.accept();
}, listener);
one('TcpListener.address on a closed listener', ClosedResourceError, (l: TcpListener) => {
  l.close();
  return l.address;
}, listener);
each('TcpStream.connect', 'reactor', NOT_REACTORS, (_, r) => TcpStream.connect(r, '127.0.0.1', 9));
each('TcpStream.connect', 'host', BAD_HOSTS, (_, host) => TcpStream.connect(reactor, host, 80));
each('TcpStream.connect', 'port', BAD_PORTS, (_, port) => TcpStream.connect(reactor, '127.0.0.1', port));
each('TcpStream.connect', 'options', NOT_OPTIONS, (_, o) => TcpStream.connect(reactor, '127.0.0.1', 9, o));
each('TcpStream.connect', 'options.timeoutMs', BAD_DURATIONS.filter((b) => b.label !== 'undefined'), (_, timeoutMs) => TcpStream.connect(reactor, '127.0.0.1', 9, { timeoutMs }));
each('TcpStream.connect', 'options.signal', NOT_SIGNALS, (_, signal) => TcpStream.connect(reactor, '127.0.0.1', 9, { signal }));
one('TcpStream.connect: a port nobody listens on (WSAECONNREFUSED)', WinError, (port: number) => TcpStream.connect(reactor, '127.0.0.1', port), () => {
  const l = TcpListener.listen(reactor);
  const { port } = l.address;
  l.close();
  return port;
});
each('new TcpStream', 'reactor', NOT_REACTORS, ([a]: [number, number], r) => new TcpStream(r, a), socketPair);
each('new TcpStream', 'socket', BAD_SOCKET_VALUES, (_, s) => new TcpStream(reactor, s), undefined, 'SOCKET');
type Tcp = { client: TcpStream; conn: TcpStream };
each('TcpStream.read', 'buffer', BAD_READ_BUFFERS(), ({ conn }: Tcp, b) => conn.read(b), connectedTcp);
each('TcpStream.read', 'options', NOT_OPTIONS, ({ conn }: Tcp, o) => conn.read(new Uint8Array(4), o), connectedTcp);
each('TcpStream.read', 'options.signal', NOT_SIGNALS.slice(0, 2), ({ conn }: Tcp, signal) => conn.read(new Uint8Array(4), { signal }), connectedTcp);
each('TcpStream.write', 'data', BAD_WRITE_BUFFERS(), ({ client }: Tcp, b) => client.write(b), connectedTcp);
each('TcpStream.write', 'options', NOT_OPTIONS, ({ client }: Tcp, o) => client.write(new Uint8Array(4), o), connectedTcp);
each('TcpStream.readable', 'options.chunkSize', [bad('0', 0, RangeError), bad('-1', -1, RangeError), bad('NaN', NaN, RangeError), bad("'x'", 'x', TypeError)], ({ conn }: Tcp, chunkSize) => conn.readable({ chunkSize }).next(), connectedTcp);
for (const [method, call] of [
  ['read', (s: TcpStream) => s.read(new Uint8Array(4))],
  ['write', (s: TcpStream) => s.write(new Uint8Array(4))],
  ['shutdownWrite', (s: TcpStream) => s.shutdownWrite()],
  ['setNoDelay', (s: TcpStream) => s.setNoDelay(true)],
  ['remoteAddress', (s: TcpStream) => s.remoteAddress],
  ['localAddress', (s: TcpStream) => s.localAddress],
] as const) {
  one(`TcpStream.${method} on a closed stream`, ClosedResourceError, ({ client }: Tcp) => {
    client.close();
    return call(client);
  }, connectedTcp);
}
one('TcpStream.read: two at once, the second', BusyResourceError, ({ conn }: Tcp) => {
  void conn.read(new Uint8Array(4)).catch(() => {});
  return conn.read(new Uint8Array(4));
}, connectedTcp);
each('TcpStream.setNoDelay', 'noDelay', [bad("'yes'", 'yes', TypeError), bad('1', 1, TypeError)], ({ client }: Tcp, v) => client.setNoDelay(v), connectedTcp);
each('toNodeDuplex', 'stream', [bad('undefined', undefined, TypeError), bad('null', null, TypeError), bad('{}', {}, TypeError), bad('a UdpSocket', 'udp', TypeError)], (u: UdpSocket, s) => toNodeDuplex(s === 'udp' ? any(u) : s), udpSocket);
each('toNodeDuplex', 'options', NOT_OPTIONS, ({ client }: Tcp, o) => toNodeDuplex(client, o), connectedTcp);
each('toNodeDuplex', 'options.chunkSize', [bad('0', 0, RangeError), bad('-1', -1, RangeError), bad('NaN', NaN, RangeError), bad("'x'", 'x', TypeError)], ({ client }: Tcp, chunkSize) => toNodeDuplex(client, { chunkSize }), connectedTcp);
one('toNodeDuplex on a closed stream', ClosedResourceError, ({ client }: Tcp) => {
  client.close();
  return toNodeDuplex(client);
}, connectedTcp);

// --- UdpSocket ---
each('UdpSocket.bind', 'reactor', NOT_REACTORS, (_, r) => UdpSocket.bind(r));
each('UdpSocket.bind', 'options', NOT_OPTIONS, (_, o) => UdpSocket.bind(reactor, o));
each('UdpSocket.bind', 'options.host', [bad('5', 5, TypeError), bad("''", '', TypeError), bad("a host name 'example.com'", 'example.com', TypeError)], (_, host) => UdpSocket.bind(reactor, { host }), undefined, 'host');
each('UdpSocket.bind', 'options.port', [bad('-1', -1, RangeError), bad('70000', 70000, RangeError), bad("'x'", 'x', TypeError)], (_, port) => UdpSocket.bind(reactor, { port }));
each('UdpSocket.bind', 'options.signal', NOT_SIGNALS, (_, signal) => UdpSocket.bind(reactor, { signal }));
each('UdpSocket.send', 'data', BAD_WRITE_BUFFERS(), (u: UdpSocket, d) => u.send(d, '127.0.0.1', u.address.port), udpSocket);
each('UdpSocket.send', 'host', [...BAD_HOSTS, bad("a host name 'example.com'", 'example.com', TypeError)], (u: UdpSocket, h) => u.send(new Uint8Array(1), h, 9), udpSocket);
each('UdpSocket.send', 'port', BAD_PORTS, (u: UdpSocket, p) => u.send(new Uint8Array(1), '127.0.0.1', p), udpSocket);
each('UdpSocket.receive', 'options', NOT_OPTIONS, (u: UdpSocket, o) => u.receive(o), udpSocket);
each('UdpSocket.receive', 'options.maxSize', [bad('0', 0, RangeError), ...BAD_INTEGERS, bad("'x'", 'x', TypeError), bad('null', null, TypeError)], (u: UdpSocket, maxSize) => u.receive({ maxSize }), udpSocket);
each('UdpSocket.receive', 'options.signal', NOT_SIGNALS, (u: UdpSocket, signal) => u.receive({ signal }), udpSocket);
one('UdpSocket.send on a closed socket', ClosedResourceError, (u: UdpSocket) => {
  u.close();
  u.send(new Uint8Array(1), '127.0.0.1', 9);
}, udpSocket);
one('UdpSocket.receive on a closed socket', ClosedResourceError, (u: UdpSocket) => {
  u.close();
  return u.receive();
}, udpSocket);
one('UdpSocket.send: an IPv6 address from an IPv4 socket (WSAEFAULT or WSAEAFNOSUPPORT)', WinError, (u: UdpSocket) => u.send(new Uint8Array(1), '::1', 9), udpSocket);

// --- RemoteWaker, ReactorChannel, KeyMonitor, postCompletion ---
each('new RemoteWaker', 'target', [bad('undefined', undefined, TypeError), bad('null', null, TypeError), bad('5', 5, TypeError), bad('{}', {}, TypeError), bad('{ state: new ArrayBuffer(8) }', { state: new ArrayBuffer(8) }, TypeError)], (_, t) => new RemoteWaker(t));
one('RemoteWaker.post on a waker without a channel', TypeError, () => new RemoteWaker(reactor.wakeTarget()).post(1), undefined, 'channel');
one('RemoteWaker.post on a closed waker', ClosedResourceError, () => {
  const channel = reactor.openChannel();
  cleanups.push(() => channel.close());
  const waker = new RemoteWaker(channel.handle);
  waker.close();
  waker.post(1);
});
function channel(): ReturnType<Reactor['openChannel']> {
  const c = reactor.openChannel();
  cleanups.push(() => c.close());
  return c;
}
each('ReactorChannel.receive', 'options', NOT_OPTIONS, (c: ReturnType<Reactor['openChannel']>, o) => c.receive(o), channel);
each('ReactorChannel.receive', 'options.signal', NOT_SIGNALS, (c: ReturnType<Reactor['openChannel']>, signal) => c.receive({ signal }), channel);
one('ReactorChannel.receive on a closed channel', ClosedResourceError, (c: ReturnType<Reactor['openChannel']>) => {
  c.close();
  return c.receive();
}, channel);
one('ReactorChannel.receive: two at once, the second', BusyResourceError, (c: ReturnType<Reactor['openChannel']>) => {
  void c.receive().catch(() => {});
  return c.receive();
}, channel);
function monitor(): KeyMonitor {
  const m = reactor.monitorCompletionKey();
  cleanups.push(() => m.close());
  return m;
}
one('KeyMonitor.next on a closed monitor', ClosedResourceError, (m: KeyMonitor) => {
  m.close();
  return m.next();
}, monitor);
one('KeyMonitor.next: two at once, the second', BusyResourceError, (m: KeyMonitor) => {
  void m.next().catch(() => {});
  return m.next();
}, monitor);
each('postCompletion', 'target', [bad('undefined', undefined, TypeError), bad('null', null, TypeError), bad('5', 5, TypeError), bad('{}', {}, TypeError), bad("{ port: 'x', state }", 'bad-port', TypeError)], (_, t) => postCompletion(t === 'bad-port' ? any({ port: 'x', state: reactor.completionTarget().state }) : t, 0x2000), undefined, 'target|HANDLE');
each('postCompletion', 'key', [...BAD_INTEGERS, bad("'x'", 'x', TypeError)], (_, key) => postCompletion(reactor.completionTarget(), key), undefined, 'key');
each('postCompletion', 'bytes', [...BAD_INTEGERS, bad('2^33', 2 ** 33, RangeError), bad("'x'", 'x', TypeError)], (_, bytes) => postCompletion(reactor.completionTarget(), 0x2000, bytes), undefined, 'bytes');
one('postCompletion to a closed reactor', ClosedResourceError, async () => {
  const other = new Reactor();
  const target = other.completionTarget();
  await other.close();
  postCompletion(target, 0x2000);
});

// --- lookupHost and winsock ---
each('lookupHost', 'host', BAD_HOSTS, (_, host) => lookupHost(host));
each('lookupHost', 'options', NOT_OPTIONS, (_, o) => lookupHost('localhost', o));
each('lookupHost', 'options.signal', NOT_SIGNALS, (_, signal) => lookupHost('winmux.invalid', { signal }));
each('winsock.sendSome', 'data', [bad("'abc'", 'abc', TypeError), bad('a detached Uint8Array', detached(), TypeError)], ([a]: [number, number], d) => winsock.sendSome(a, d), socketPair);
each('winsock.recvSome', 'buffer', [bad("'abc'", 'abc', TypeError), bad('a zero-length Uint8Array', new Uint8Array(0), RangeError)], ([a]: [number, number], b) => winsock.recvSome(a, b), socketPair);
each('winsock.bindSocket', 'port', [bad('-1', -1, RangeError), bad('70000', 70000, RangeError)], (s: number, port) => winsock.bindSocket(s, '127.0.0.1', port), () => {
  const s = winsock.createSocket(winsock.AF_INET, winsock.SOCK_DGRAM, winsock.IPPROTO_UDP);
  cleanups.push(() => winsock.closeQuietly(s));
  return s;
});
each('winsock.encodeAddress', 'host', [bad("'not an address'", 'not an address', TypeError), bad('5', 5, TypeError)], (_, host) => winsock.encodeAddress(host, 80));
one('winsock.closeSocket: a socket value that is not open (WSAENOTSOCK)', WinError, () => winsock.closeSocket(NOT_A_SOCKET));
one('winsock.createSocket: an unknown family (WSAEAFNOSUPPORT)', WinError, () => winsock.createSocket(12345, winsock.SOCK_STREAM, winsock.IPPROTO_TCP));

function fillSendBufferOf(s: number): void {
  winsock.setIntOption(s, winsock.SOL_SOCKET, winsock.SO_SNDBUF, 8192);
  const chunk = new Uint8Array(65536);
  while (winsock.sendSome(s, chunk) !== null);
}

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
async function stillHealthy(): Promise<void> {
  // A fixture closed with an operation pending (a second accept's first) gets its packet back later.
  await reactor.run(() => loopUntil(reactor, () => reactor.stats().overlappedWaiters === 0));
  expect(reactor.stats()).toMatchObject({ readWaiters: 0, writeWaiters: 0, timers: 0, callbacks: 0, overlappedWaiters: 0, objectWaits: 0 });
  await reactor.run(() => reactor.sleep(1));
}

/** The error is of `type`, a TypeError, RangeError or WinmuxError with a `code`, never a plain Error, and names what it should. */
function checkError(error: unknown, row: Pick<Row, 'error' | 'names' | 'what'>): void {
  expect(error, `${row.what}: the error class`).toBeInstanceOf(row.error);
  const e = error as Error & { code?: unknown };
  expect(e.constructor, `${row.what}: a plain Error`).not.toBe(Error);
  const kind = e instanceof TypeError || e instanceof RangeError || (e instanceof WinmuxError && typeof e.code === 'string' && e.code !== '');
  expect(kind, `${row.what}: ${e.name} (${e.message}) is neither a TypeError, a RangeError nor a WinmuxError with a code`).toBe(true);
  expect(e.message.length).toBeGreaterThan(0);
  if (row.names !== undefined) expect(e.message, `${row.what}: the message names the argument`).toMatch(new RegExp(row.names, 'i'));
}

/** Runs `call` and returns what it threw or rejected with; fails the test if it did neither. */
async function failure(call: () => unknown): Promise<unknown> {
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

/** Handles and threads now, to compare with after the call. */
function counts(): { handles: number; threads: number } {
  return { handles: processHandleCount(), threads: processThreadCount() };
}

/**
 * Inside `reactor.run`: the counts once they hold still (the background's threads open handles
 * of their own as they start, which is not the row's doing).
 */
function steadyCounts(): Promise<{ handles: number; threads: number }> {
  return settled(reactor, counts, (a, b) => a.handles === b.handles && a.threads === b.threads);
}

describe('bad input fails the call, and only the call', () => {
  test.each(rows.filter((r) => !r.closedReactor))('$what', { timeout: 30_000 }, async (row) => {
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

  test.each(rows.filter((r) => r.closedReactor))('$what', async (row) => {
    reactor = new Reactor();
    await reactor.close();
    const error = await failure(() => row.call(undefined as never));
    checkError(error, row);
  });

  test('the table covers the API (it grows with it)', () => {
    expect(rows.length).toBeGreaterThanOrEqual(250);
  });
});

describe('what is accepted, and stays so', () => {
  test('Infinity is "no limit" where documented: sleep(Infinity), maxBlockMs Infinity, timeoutMs Infinity', async () => {
    const r = new Reactor({ maxBlockMs: Infinity });
    await r.run(async () => {
      const controller = new AbortController();
      const sleeping = r.sleep(Infinity, { signal: controller.signal });
      const signal = r.timeoutSignal(Infinity);
      await r.sleep(1);
      expect(signal.aborted).toBe(false);
      controller.abort(new Error('enough'));
      await expect(sleeping).rejects.toThrow('enough');
    });
    await r.close();
  });

  test('a negative duration counts as 0 (as setTimeout): sleep(-1) resolves', async () => {
    reactor = new Reactor();
    await reactor.run(() => reactor.sleep(-1));
    await stillHealthy();
  });

  test('a zero-length write is a no-op that succeeds (as in Node): File.write → 0, NamedPipe/TcpStream.write resolve', async () => {
    reactor = new Reactor();
    await reactor.run(async () => {
      expect(await scratchFile().write(new Uint8Array(0), 0)).toBe(0);
      const { client } = await connectedPipe('empty-write');
      await client.write(new Uint8Array(0));
      const tcp = await connectedTcp();
      await tcp.client.write(new Uint8Array(0));
    });
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await stillHealthy();
  });

  test('an already-aborted signal rejects with its reason and starts nothing', async () => {
    reactor = new Reactor();
    const reason = new Error('aborted before the call');
    const signal = AbortSignal.abort(reason);
    await reactor.run(async () => {
      const e = event();
      const calls: (() => unknown)[] = [
        () => reactor.sleep(10, { signal }),
        () => reactor.waitForObject(e.handle, { signal }),
        () => reactor.waitReadable(socketPair()[0], { signal }),
        () => File.open(reactor, path.join(tmp, 'aborted.bin'), { mode: 'write', disposition: 'create', signal }),
        () => DirectoryWatcher.open(reactor, tmp, { signal }),
        () => TcpListener.listen(reactor, { signal }),
        () => UdpSocket.bind(reactor, { signal }),
        () => TcpStream.connect(reactor, '127.0.0.1', 9, { signal }),
        () => spawnProcess(reactor, 'cmd.exe', EXIT, { signal }),
        () => scratchFile().read(new Uint8Array(4), 0, { signal }),
        () => reactor.openChannel().receive({ signal }),
      ];
      for (const call of calls) expect(await failure(call)).toBe(reason);
    });
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await stillHealthy();
  });

  test('NamedPipe.connect with an already-aborted signal rejects with its reason, though the pipe is there', async () => {
    reactor = new Reactor();
    const name = `winmux-aborted-${process.pid}`;
    const server = new NamedPipeServer(reactor, name);
    cleanups.push(() => server.close());
    const reason = new Error('aborted before the call');
    await expect(NamedPipe.connect(reactor, name, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    await stillHealthy();
  });

  test('transferHandle with a bad target leaves the handle usable here', async () => {
    reactor = new Reactor();
    await reactor.run(async () => {
      const file = scratchFile();
      checkError(await failure(() => reactor.transferHandle(file.handle, undefined as never)), { error: TypeError, what: 'transferHandle' });
      expect(await file.write(new Uint8Array([1, 2]), 0)).toBe(2);
    });
    await stillHealthy();
  });

  test('a handle that is not a socket, waited on with select, fails only its waiter (Wine: WSAEOPNOTSUPP)', async () => {
    reactor = new Reactor();
    const [a, b] = socketPair();
    await reactor.run(async () => {
      const file = scratchFile();
      const other = reactor.waitReadable(a);
      await expect(reactor.waitReadable(file.handle)).rejects.toBeInstanceOf(WinError);
      winsock.sendSome(b, new Uint8Array([1]));
      await other;
    });
    await stillHealthy();
  });

  test('waitReadable with a signal that is not an AbortSignal arms nothing', async () => {
    reactor = new Reactor();
    const [a] = socketPair();
    checkError(await failure(() => reactor.waitReadable(a, { signal: {} as AbortSignal })), { error: TypeError, what: 'waitReadable' });
    expect(reactor.stats().readiness.readArmed).toBe(1); // the wakeup socket only
    await stillHealthy();
  });

  test('waitForObject with a bad signal or timeout starts no thread', async () => {
    reactor = new Reactor();
    const e = event();
    for (const options of [{ signal: {} as AbortSignal }, { timeoutMs: 'x' as unknown as number }, { timeoutMs: NaN }, { timeoutMs: -1 }]) {
      await failure(() => reactor.waitForObject(e.handle, options));
    }
    expect(reactor.stats().waiterThreadsStarted).toBe(0);
    await stillHealthy();
  });

  test('File.write with a signal that is not an AbortSignal writes nothing (it used to write anyway)', async () => {
    reactor = new Reactor();
    const file = File.open(reactor, path.join(tmp, 'untouched.bin'), { mode: 'readwrite', disposition: 'create' });
    cleanups.push(() => file.close());
    await reactor.run(async () => checkError(await failure(() => file.write(new Uint8Array([1, 2, 3]), 0, { signal: {} as AbortSignal })), { error: TypeError, what: 'File.write' }));
    expect(statSync(path.join(tmp, 'untouched.bin')).size).toBe(0);
    await stillHealthy();
  });

  test("a pipe read with a bad signal issues nothing, so the peer's next bytes go to the next read", async () => {
    reactor = new Reactor();
    await reactor.run(async () => {
      const { client, conn } = await connectedPipe('bad-signal');
      await failure(() => conn.read(new Uint8Array(8), { signal: {} as AbortSignal }));
      await client.write(new Uint8Array([7, 8, 9]));
      const buffer = new Uint8Array(8);
      expect(await conn.read(buffer)).toBe(3);
      expect([...buffer.subarray(0, 3)]).toEqual([7, 8, 9]);
    });
    await stillHealthy();
  });
});

test('(clean-up of the temporary directory)', () => {
  rmSync(tmp, { recursive: true, force: true });
});
