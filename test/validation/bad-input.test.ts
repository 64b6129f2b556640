// Bad input fails the call that got it — with a named error, before anything starts — and
// loses nothing: no crash (a number given for a string used to page-fault the process), no hang
// (a NaN timeout retried forever), no timer, waiter, thread or handle left behind, and the
// reactor goes on working. One row per case; the table grows with the API.
import { afterEach, describe, expect, test } from 'vitest';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  BusyResourceError, ClosedResourceError, DirectoryWatcher, File, HandleStateError, NamedPipe, NamedPipeServer, Reactor, TcpListener, TcpStream, WinError, WinEvent,
  spawnProcess, winsock,
} from '../../lib/index.ts';
import { checkResourcesReleased } from '../helpers/resources.ts';

checkResourcesReleased();

const tmp = mkdtempSync(path.join(tmpdir(), 'winmux-bad-input-'));
let reactor: Reactor;
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await reactor?.close();
});

/** A file open for reading and writing, closed after the test. */
function scratchFile(): File {
  const file = File.open(reactor, path.join(tmp, `scratch-${Math.random().toString(36).slice(2)}.bin`), { mode: 'readwrite', disposition: 'create' });
  cleanups.push(() => file.close());
  return file;
}

/** The path of a scratch file (closed), for calls that want a directory. */
function scratchFilePath(): string {
  const file = File.open(reactor, path.join(tmp, `plain-${Math.random().toString(36).slice(2)}.bin`), { mode: 'write', disposition: 'create' });
  file.close();
  return file.path;
}

/** Inside `reactor.run`: a connected pair of pipe ends (client, server side), closed after the test. */
async function connectedPipe(tag: string): Promise<{ client: NamedPipe; conn: NamedPipe }> {
  const name = `winmux-${tag}-${process.pid}`;
  const server = new NamedPipeServer(reactor, name);
  cleanups.push(() => server.close());
  const accepting = server.accept();
  const client = await NamedPipe.connect(reactor, name);
  const conn = await accepting;
  cleanups.push(() => client.close(), () => conn.close());
  return { client, conn };
}

/** `call` fails with `type`, whether it throws or returns a rejected promise. */
async function fails(call: () => unknown, type: new (...args: never[]) => Error): Promise<void> {
  await expect(Promise.resolve().then(call)).rejects.toBeInstanceOf(type);
}

/** Nothing left pending, and the loop still turns. */
async function stillHealthy(): Promise<void> {
  expect(reactor.stats()).toMatchObject({ readWaiters: 0, writeWaiters: 0, timers: 0, callbacks: 0, overlappedWaiters: 0, objectWaits: 0 });
  await reactor.run(() => reactor.sleep(1));
}

interface Row {
  what: string;
  error: new (...args: never[]) => Error;
  call: () => unknown | Promise<unknown>;
}

const rows: Row[] = [
  { what: 'File.open with a number for the path (used to crash the process)', error: TypeError, call: () => File.open(reactor, 5 as unknown as string) },
  { what: 'spawnProcess with a number for cwd (used to crash the process)', error: TypeError, call: () => spawnProcess(reactor, 'cmd.exe /c exit 0', { cwd: 5 as unknown as string }) },
  { what: 'spawnProcess with a number for the command line', error: TypeError, call: () => spawnProcess(reactor, 5 as unknown as string) },
  { what: "spawnProcess with '=' in an env name", error: TypeError, call: () => spawnProcess(reactor, 'cmd.exe /c exit 0', { env: { 'A=B': 'c' } }) },
  { what: 'spawnProcess with NUL in an env value', error: TypeError, call: () => spawnProcess(reactor, 'cmd.exe /c exit 0', { env: { A: 'b\0c' } }) },
  { what: "spawnProcess with stdout: 'pipes'", error: TypeError, call: () => spawnProcess(reactor, 'cmd.exe', ['/c', 'exit'], { stdin: 'pipe', stdout: 'pipes' as never }) },
  { what: 'spawnProcess with a number among the args', error: TypeError, call: () => spawnProcess(reactor, 'cmd.exe', ['/c', 5 as unknown as string], { stdout: 'pipe' }) },
  { what: 'spawnProcess with a non-AbortSignal signal', error: TypeError, call: () => spawnProcess(reactor, 'cmd.exe', ['/c', 'exit'], { stdout: 'pipe', signal: {} as never }) },
  { what: 'sleep(NaN)', error: RangeError, call: () => reactor.sleep(NaN) },
  { what: "sleep('abc')", error: TypeError, call: () => reactor.sleep('abc' as unknown as number) },
  { what: 'sleep(undefined)', error: TypeError, call: () => reactor.sleep(undefined as unknown as number) },
  { what: 'sleep with a signal that is not an AbortSignal (used to leave a timer behind)', error: TypeError, call: () => reactor.sleep(10, { signal: {} as AbortSignal }) },
  { what: 'sleepUntil(NaN)', error: RangeError, call: () => reactor.sleepUntil(NaN) },
  { what: 'timeoutSignal(NaN)', error: RangeError, call: () => reactor.timeoutSignal(NaN) },
  { what: 'deadlineSignal(NaN)', error: RangeError, call: () => reactor.deadlineSignal(NaN) },
  { what: 'callSoon(5) (used to fail later, uncaught)', error: TypeError, call: () => reactor.callSoon(5 as unknown as () => void) },
  { what: 'run(5)', error: TypeError, call: () => reactor.run(5 as unknown as () => void) },
  { what: 'postCompletion with the private stop key (used to stop the IOCP worker)', error: RangeError, call: () => reactor.postCompletion(2) },
  { what: 'postCompletion with bytes -1', error: RangeError, call: () => reactor.postCompletion(0x2000, -1) },
  { what: 'postCompletion with bytes 2^33', error: RangeError, call: () => reactor.postCompletion(0x2000, 2 ** 33) },
  { what: 'postCompletion with bytes NaN', error: RangeError, call: () => reactor.postCompletion(0x2000, NaN) },
  { what: 'File.read at offset -1', error: RangeError, call: () => scratchFile().read(new Uint8Array(4), -1) },
  { what: 'File.read at offset NaN', error: RangeError, call: () => scratchFile().read(new Uint8Array(4), NaN) },
  { what: 'File.read at offset 1.5', error: RangeError, call: () => scratchFile().read(new Uint8Array(4), 1.5) },
  { what: "File.read at offset 'abc'", error: TypeError, call: () => scratchFile().read(new Uint8Array(4), 'abc' as unknown as number) },
  { what: 'File.write at offset 2^64', error: RangeError, call: () => scratchFile().write(new Uint8Array(4), 2 ** 64) },
  { what: 'File.write at offset Infinity', error: RangeError, call: () => scratchFile().write(new Uint8Array(4), Infinity) },
  { what: 'File.read into a zero-length buffer (0 would read as end of file)', error: RangeError, call: () => scratchFile().read(new Uint8Array(0), 0) },
  { what: 'File.write of a string', error: TypeError, call: () => scratchFile().write('abc' as unknown as Uint8Array, 0) },
  { what: 'File.read into a detached buffer', error: TypeError, call: () => { const b = new Uint8Array(8); structuredClone(b.buffer, { transfer: [b.buffer] }); return scratchFile().read(b, 0); } },
  { what: 'readOverlapped into a non-buffer (used to take an OVERLAPPED slot and throw)', error: TypeError, call: () => reactor.readOverlapped(scratchFile().handle, 'x' as unknown as Uint8Array) },
  { what: 'waitOverlapped with a 4-byte "OVERLAPPED" (used to hang)', error: TypeError, call: () => reactor.waitOverlapped(scratchFile().handle, new Uint8Array(4)) },
  { what: 'transferHandle to an undefined target (used to unregister the handle first)', error: TypeError, call: () => reactor.transferHandle(scratchFile().handle, undefined as never) },
  { what: "waitForObject on the reactor's own completion port (used to stall the loop)", error: HandleStateError, call: () => reactor.waitForObject((reactor.completionTarget()).port) },
  { what: 'DirectoryWatcher.open with a number for the path', error: TypeError, call: () => DirectoryWatcher.open(reactor, 5 as unknown as string) },
  { what: 'DirectoryWatcher.open with a bufferSize that is not DWORD-aligned', error: RangeError, call: () => DirectoryWatcher.open(reactor, tmp, { bufferSize: 1001 }) },
  { what: 'DirectoryWatcher.open with an unknown filter', error: RangeError, call: () => DirectoryWatcher.open(reactor, tmp, { filter: ['everything' as never] }) },
  { what: 'DirectoryWatcher.open with a signal that is not an AbortSignal (nothing opened)', error: TypeError, call: () => DirectoryWatcher.open(reactor, tmp, { signal: {} as AbortSignal }) },
  { what: 'DirectoryWatcher.open on a file (ERROR_DIRECTORY; the handle is closed)', error: WinError, call: () => DirectoryWatcher.open(reactor, scratchFilePath()) },
  { what: 'NamedPipe.connect with timeoutMs NaN (used to hang)', error: RangeError, call: () => NamedPipe.connect(reactor, 'winmux-no-such-pipe', { timeoutMs: NaN }) },
  { what: 'File.open with a signal that is not an AbortSignal', error: TypeError, call: () => File.open(reactor, path.join(tmp, 'never.bin'), { signal: 'x' as unknown as AbortSignal }) },
  { what: 'TcpStream.connect to a number for the host', error: TypeError, call: () => TcpStream.connect(reactor, 5 as unknown as string, 80) },
  { what: 'TcpStream.connect to an empty host', error: TypeError, call: () => TcpStream.connect(reactor, '', 80) },
  { what: 'TcpStream.connect to port 70000 (checked before any lookup)', error: RangeError, call: () => TcpStream.connect(reactor, 'localhost', 70000) },
  { what: 'TcpListener.listen with a signal that is not an AbortSignal', error: TypeError, call: () => TcpListener.listen(reactor, { signal: {} as AbortSignal }) },
  { what: 'TcpListener.listen on port -1', error: RangeError, call: () => TcpListener.listen(reactor, { port: -1 }) },
];

describe('bad input fails the call, and only the call', () => {

  test.each(rows)('$what', async ({ error, call }) => {
    reactor = new Reactor();
    await fails(call, error);
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
    const file = scratchFile();
    await fails(() => reactor.transferHandle(file.handle, undefined as never), TypeError);
    await reactor.run(async () => {
      expect(await file.write(new Uint8Array([1, 2]), 0)).toBe(2);
    });
    await stillHealthy();
  });

  test('a handle that is not a socket, waited on with select, fails only its waiter (Wine: WSAEOPNOTSUPP)', async () => {
    reactor = new Reactor();
    const file = scratchFile();
    const [a, b] = winsock.loopbackPair();
    cleanups.push(() => winsock.closeQuietly(a, b));
    await reactor.run(async () => {
      const other = reactor.waitReadable(a);
      await expect(reactor.waitReadable(file.handle)).rejects.toBeInstanceOf(WinError);
      winsock.sendSome(b, new Uint8Array([1]));
      await other;
    });
    await stillHealthy();
  });

  test('two accepts at once on one pipe server: the second is BusyResourceError (both used to get the same handle)', async () => {
    reactor = new Reactor();
    const server = new NamedPipeServer(reactor, `winmux-two-accepts-${process.pid}`);
    cleanups.push(() => server.close());
    const first = server.accept().catch((e: unknown) => e);
    await fails(() => server.accept(), BusyResourceError);
    server.close();
    expect(await reactor.run(() => first)).toBeInstanceOf(ClosedResourceError);
    await stillHealthy();
  });

  test('two reads at once on one pipe: the second is BusyResourceError; write(empty) after close fails', async () => {
    reactor = new Reactor();
    await reactor.run(async () => {
      const { client, conn } = await connectedPipe('two-reads');
      const first = conn.read(new Uint8Array(8));
      await fails(() => conn.read(new Uint8Array(8)), BusyResourceError);
      await client.write(new Uint8Array([5]));
      expect(await first).toBe(1);
      client.close();
      await fails(() => client.write(new Uint8Array(0)), ClosedResourceError);
    });
    await stillHealthy();
  });

  test('waitReadable with a signal that is not an AbortSignal arms nothing', async () => {
    reactor = new Reactor();
    const [a, b] = winsock.loopbackPair();
    cleanups.push(() => winsock.closeQuietly(a, b));
    await fails(() => reactor.waitReadable(a, { signal: {} as AbortSignal }), TypeError);
    expect(reactor.stats().readiness.readArmed).toBe(1); // the wakeup socket only
    await stillHealthy();
  });

  test('waitForObject with a bad signal or timeout starts no thread and keeps no handle', async () => {
    reactor = new Reactor();
    const event = WinEvent.create({ manualReset: true, signaled: false });
    cleanups.push(() => event.close());
    await fails(() => reactor.waitForObject(event.handle, { signal: {} as AbortSignal }), TypeError);
    await fails(() => reactor.waitForObject(event.handle, { timeoutMs: 'x' as unknown as number }), TypeError);
    await fails(() => reactor.waitForObject(event.handle, { timeoutMs: NaN }), RangeError);
    await fails(() => reactor.waitForObject(event.handle, { timeoutMs: -1 }), RangeError);
    expect(reactor.stats().waiterThreadsStarted).toBe(0);
    await stillHealthy();
  });

  test('TcpStream.connect with timeoutMs "x" fails at once and closes its socket (used to hang)', async () => {
    reactor = new Reactor();
    await reactor.run(async () => {
      const listener = await TcpListener.listen(reactor);
      cleanups.push(() => listener.close());
      await fails(() => TcpStream.connect(reactor, '127.0.0.1', listener.address.port, { timeoutMs: 'x' as unknown as number }), TypeError);
    });
    await stillHealthy();
  });

  test('File.write with a signal that is not an AbortSignal writes nothing (it used to write anyway)', async () => {
    reactor = new Reactor();
    const file = File.open(reactor, path.join(tmp, 'untouched.bin'), { mode: 'readwrite', disposition: 'create' });
    cleanups.push(() => file.close());
    await reactor.run(() => fails(() => file.write(new Uint8Array([1, 2, 3]), 0, { signal: {} as AbortSignal }), TypeError));
    expect(statSync(path.join(tmp, 'untouched.bin')).size).toBe(0);
    await stillHealthy();
  });

  test("a pipe read with a bad signal issues nothing, so the peer's next bytes go to the next read", async () => {
    reactor = new Reactor();
    await reactor.run(async () => {
      const { client, conn } = await connectedPipe('bad-signal');
      await fails(() => conn.read(new Uint8Array(8), { signal: {} as AbortSignal }), TypeError);
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
