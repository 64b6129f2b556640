// Bad input to files, named pipes, the directory watcher, events and child processes (spawnProcess,
// ChildProcess, command-line quoting): each fails the call that got it, and only the call. The
// table's rules, fixtures and runner: bad-input-table.ts.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  BusyResourceError, ClosedResourceError, DirectoryWatcher, File, NamedPipe, NamedPipeServer, WinError, WinEvent, buildCommandLine, pipePath, quoteArgument, spawnProcess,
} from '../../lib/index.ts';
import { checkResourcesReleased } from '../helpers/resources.ts';
import {
  BAD_DURATIONS, BAD_HANDLE_VALUES, BAD_INTEGERS, BAD_READ_BUFFERS, BAD_WRITE_BUFFERS, NOT_NUMBERS, NOT_OPEN, NOT_OPTIONS, NOT_REACTORS, NOT_SIGNALS, NOT_STRINGS, any, bad, badInputTable, cleanups, connectedPipe, each, event, nextSerial, one, reactor, scratchFile, scratchFilePath, tmp, type Bad,
} from './bad-input-table.ts';

checkResourcesReleased();

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
  const server = new NamedPipeServer(reactor, `winmux-${tag}-${process.pid}-${nextSerial()}`);
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

badInputTable({ atLeast: 412 });
