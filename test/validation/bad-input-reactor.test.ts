// Bad input to the Reactor's own calls (options, run and timers, socket waits, the completion
// family, object waits, everything on a closed reactor), to its cross-thread handles (RemoteWaker,
// ReactorChannel, KeyMonitor) and to postCompletion: each fails the call that got it, and only
// the call. The table's rules, fixtures and runner: bad-input-table.ts.
import path from 'node:path';
import {
  BusyResourceError, ClosedResourceError, File, HandleStateError, NamedPipeServer, Reactor, RemoteWaker, TcpListener, TcpStream, UdpSocket, WinError, WinEvent, postCompletion, spawnProcess, winsock, type KeyMonitor,
} from '../../lib/index.ts';
import { checkResourcesReleased } from '../helpers/resources.ts';
import {
  BAD_DURATIONS, BAD_HANDLE_VALUES, BAD_INTEGERS, BAD_READ_BUFFERS, BAD_SOCKET_VALUES, BAD_WRITE_BUFFERS, NOT_A_SOCKET, NOT_FUNCTIONS, NOT_OPEN, NOT_OPTIONS, NOT_SIGNALS, NOT_STRINGS, any, bad, badInputTable, cleanups, detached, each, event, onClosedReactor, one, reactor, scratchFile, socketPair, tmp,
} from './bad-input-table.ts';

checkResourcesReleased();

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

function fillSendBufferOf(s: number): void {
  winsock.setIntOption(s, winsock.SOL_SOCKET, winsock.SO_SNDBUF, 8192);
  const chunk = new Uint8Array(65536);
  while (winsock.sendSome(s, chunk) !== null);
}

badInputTable({ atLeast: 384 });
