// Child processes with stdio over overlapped named pipes, and argv quoting. The children are the
// Windows Node running this suite (process.execPath) with a `-e` script, or cmd.exe.
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClosedResourceError, Reactor, WinEvent, spawnProcess, type ChildProcess, type NamedPipe, type ReactorOptions, type SpawnOptions } from '../../lib/index.ts';
import { buildCommandLine, quoteArgument } from '../../lib/objects/command-line.ts';
import { commandLineToArgv } from '../../lib/win32/shell32.ts';
import { ChildStdio } from '../../lib/objects/child-stdio.ts';
import { PROCESS_INFORMATION, STARTUPINFOW } from '../../lib/win32/structs.ts';
import * as kernel32 from '../../lib/win32/kernel32.ts';
import { processHandleCount } from '../../lib/win32/diagnostics.ts';
import { checkResourcesReleased, settle } from '../helpers/resources.ts';
import { LOOP_MODES, runsOnce } from '../helpers/modes.ts';
import { track } from '../helpers/track.ts';
import { helperStarted, loopUntil, settled } from '../helpers/loop.ts';

checkResourcesReleased();

const node = process.execPath;
const tmp = mkdtempSync(path.join(tmpdir(), 'winmux-child-stdio-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Arguments that need every quoting rule; none starts with '-' (Node would take it as an option). */
const NASTY_ARGS = [
  'plain',
  'with space',
  '',
  'tab\there',
  'say "hi"',
  '"',
  '""',
  'back\\slash',
  'trailing\\',
  'trailing two\\\\',
  'slash before quote\\"',
  '\\\\server\\share\\',
  '\\"',
  'C:\\Program Files\\',
  'ünïcödé 日本語 😀',
  'new\nline',
  '%PATH% ^& | < >',
];

/** Reads a pipe to its end. */
async function readAll(pipe: NamedPipe): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const buffer = new Uint8Array(65536);
  for (let n = await pipe.read(buffer); n > 0; n = await pipe.read(buffer)) chunks.push(Buffer.from(buffer.subarray(0, n)));
  return Buffer.concat(chunks);
}

describe('argv quoting (CommandLineToArgvW rules)', () => {
  test('CommandLineToArgvW gives back exactly [file, ...args]', () => {
    const file = 'C:\\Program Files\\some dir\\prog.exe';
    expect(commandLineToArgv(buildCommandLine(file, NASTY_ARGS))).toEqual([file, ...NASTY_ARGS]);
    expect(commandLineToArgv(buildCommandLine('prog.exe', []))).toEqual(['prog.exe']);
  });

  test('the rules, spelt out', () => {
    expect(quoteArgument('abc')).toBe('abc');
    expect(quoteArgument('')).toBe('""');
    expect(quoteArgument('a b')).toBe('"a b"');
    expect(quoteArgument('a\\b')).toBe('a\\b'); // backslashes not before a quote are literal
    expect(quoteArgument('a"b')).toBe('"a\\"b"'); // a quote gets one backslash
    expect(quoteArgument('a\\"b')).toBe('"a\\\\\\"b"'); // n backslashes before a quote: 2n+1
    expect(quoteArgument('a b\\')).toBe('"a b\\\\"'); // trailing ones doubled before the closing quote
    expect(() => buildCommandLine('a"b.exe', [])).toThrow(TypeError);
    expect(() => buildCommandLine('', [])).toThrow(TypeError);
  });
});

describe.each(LOOP_MODES)('child processes with stdio (waiting in $name)', ({ name, mode }) => {
  let reactor: Reactor;
  const cleanups: (() => unknown)[] = [];
  const make = (options: ReactorOptions = {}): Reactor => (reactor = new Reactor({ ...mode, ...options }));
  /** spawnProcess, with the child disposed of after the test. */
  const spawn = (r: Reactor, file: string, argsOrOptions?: readonly string[] | SpawnOptions, options?: SpawnOptions): ChildProcess => {
    const child = spawnProcess(r, file, argsOrOptions as readonly string[], options);
    cleanups.push(() => child[Symbol.asyncDispose]());
    return child;
  };

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await reactor?.close();
  });

  test('1 MiB through stdin comes back byte-exact on stdout; stderr is kept apart', async () => {
    make();
    const input = randomBytes(1 << 20);
    const script = "process.stderr.write('on stderr only'); process.stdin.pipe(process.stdout)";
    const child = spawn(reactor, node, ['-e', script], { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' });
    const { out, err, code } = await reactor.run(async () => {
      const out = readAll(child.stdout!);
      const err = readAll(child.stderr!);
      // Written in pieces of odd sizes, while stdout is read: the child's buffers are far smaller than 1 MiB.
      for (let offset = 0; offset < input.length; offset += 100_003) await child.stdin!.write(input.subarray(offset, offset + 100_003));
      child.stdin!.close(); // the child's end of input
      return { out: await out, err: await err, code: await child.wait() };
    });
    expect(out.length).toBe(input.length);
    expect(out.equals(input)).toBe(true);
    expect(err.toString()).toBe('on stderr only');
    expect(code).toBe(0);
  });

  test('aborting the signal terminates the child with exit code 1', async () => {
    make();
    const controller = new AbortController();
    const child = spawn(reactor, node, ['-e', 'setInterval(() => {}, 1000)'], { signal: controller.signal });
    await reactor.run(async () => {
      expect(await reactor.waitForObject(child.handle, { timeoutMs: 200 })).toMatchObject({ timedOut: true });
      controller.abort();
      expect(await child.wait()).toBe(1);
    });
    // An already-aborted signal starts nothing.
    const reason = new Error('not today');
    expect(() => spawnProcess(reactor, node, ['-e', '0'], { stdout: 'pipe', signal: AbortSignal.abort(reason) })).toThrow(reason);
  });

  test('close() closes the pipes: a pending read rejects with ClosedResourceError, and the child sees end of input', async () => {
    make();
    // The child exits when its stdin ends; it never writes to stdout.
    const child = spawnProcess(reactor, node, ['-e', "process.stdin.resume(); process.stdin.on('end', () => process.exit(0))"], { stdin: 'pipe', stdout: 'pipe' });
    // A duplicate of the process handle, to watch the process after close().
    const target = new Uint8Array(8);
    expect(kernel32.DuplicateHandle(kernel32.CURRENT_PROCESS, child.handle, kernel32.CURRENT_PROCESS, target, 0, 0, kernel32.DUPLICATE_SAME_ACCESS)).toBe(1);
    const process2 = Number(new DataView(target.buffer).getBigUint64(0, true));
    cleanups.push(() => kernel32.CloseHandle(process2));
    await reactor.run(async () => {
      const reading = track(child.stdout!.read(new Uint8Array(16)));
      expect(await loopUntil(reactor, () => reactor.stats().overlappedWaiters >= 1)).toBe(true);
      expect(reading.settled).toBe(false);
      await child[Symbol.asyncDispose]();
      await reading.promise.catch(() => {});
      expect(reading.error).toBeInstanceOf(ClosedResourceError);
      expect(child.stdin!.closed && child.stdout!.closed).toBe(true);
      // Its stdin pipe closed, the child ends by itself.
      expect(await reactor.waitForObject(process2, { timeoutMs: 30_000 })).toMatchObject({ signaled: true });
    });
  });

  // Mode-independent (test/helpers/modes.ts): what CreateProcessW is given (the command line,
  // the three standard handles and only those, a missing program, bad options) is built at the
  // call, the same in every mode; the pipes' I/O and the exit wait, which the mode changes, are
  // the cases above.
  if (runsOnce(name)) {
    test('argv with spaces, quotes, backslashes, empty strings and unicode round-trips through a child', async () => {
      make();
      const child = spawn(reactor, node, ['-e', 'process.stdout.write(JSON.stringify(process.argv.slice(1)))', ...NASTY_ARGS], { stdout: 'pipe' });
      const out = await reactor.run(() => readAll(child.stdout!));
      expect(JSON.parse(out.toString('utf8'))).toEqual(NASTY_ARGS);
    });

    test('the raw command-line form still works, with pipes too (cmd.exe parses its own)', async () => {
      make();
      const child = spawn(reactor, 'cmd.exe /c echo one& echo two 1>&2& exit 4', { stdout: 'pipe', stderr: 'pipe' });
      const [out, err, code] = await reactor.run(() => Promise.all([readAll(child.stdout!), readAll(child.stderr!), child.wait()]));
      expect(out.toString()).toBe('one\r\n');
      expect(err.toString().trim()).toBe('two');
      expect(code).toBe(4);
    });

    test("'ignore' is the NUL device: stdin reads as ended at once, stdout goes nowhere", async () => {
      make();
      const script = "process.stdout.write('dropped'); process.stdin.on('data', () => process.stderr.write('data?')).on('end', () => process.stderr.write('stdin ended'))";
      const child = spawn(reactor, node, ['-e', script], { stdin: 'ignore', stderr: 'pipe' }); // stdout: 'ignore' by default
      expect(child.stdin).toBeUndefined();
      expect(child.stdout).toBeUndefined();
      const [err, code] = await reactor.run(() => Promise.all([readAll(child.stderr!), child.wait()]));
      expect(err.toString()).toBe('stdin ended');
      expect(code).toBe(0);
    });

    test("'inherit' passes this process's standard handle; a handle of yours is passed as a duplicate", async () => {
      make();
      // This process's stdout is swapped, for the moment of the spawn, for a file (SetStdHandle), so
      // the test can see what the child inherits. (Node's own stdout does not use GetStdHandle.)
      const inheritedPath = path.join(tmp, `inherited-${process.pid}.txt`);
      const givenPath = path.join(tmp, `given-${process.pid}.txt`);
      const open = (file: string): number => {
        const handle = kernel32.CreateFileW(file, kernel32.GENERIC_WRITE, kernel32.FILE_SHARE_READ, null, kernel32.CREATE_ALWAYS, 0, null);
        expect(kernel32.isInvalidHandle(handle)).toBe(false);
        return Number(handle);
      };
      const inheritedFile = open(inheritedPath);
      const givenFile = open(givenPath);
      const own = kernel32.GetStdHandle(kernel32.STD_OUTPUT_HANDLE);
      let child: ChildProcess;
      expect(kernel32.SetStdHandle(kernel32.STD_OUTPUT_HANDLE, inheritedFile)).toBe(1);
      try {
        const script = "process.stdout.write('to the inherited stdout'); process.stderr.write('to the given handle')";
        child = spawn(reactor, node, ['-e', script], { stdout: 'inherit', stderr: givenFile });
      } finally {
        kernel32.SetStdHandle(kernel32.STD_OUTPUT_HANDLE, own);
      }
      expect(await reactor.run(() => child.wait())).toBe(0);
      // The given handle is still ours (the child got a duplicate), and still not inheritable.
      const flags = new Uint32Array(1);
      expect(kernel32.GetHandleInformation(givenFile, flags)).toBe(1);
      expect(flags[0]! & kernel32.HANDLE_FLAG_INHERIT).toBe(0);
      kernel32.CloseHandle(inheritedFile);
      kernel32.CloseHandle(givenFile);
      expect(readFileSync(inheritedPath, 'utf8')).toBe('to the inherited stdout');
      expect(readFileSync(givenPath, 'utf8')).toBe('to the given handle');
    });

    test('the child inherits only its stdio handles (PROC_THREAD_ATTRIBUTE_HANDLE_LIST), not other inheritable ones', async () => {
      make();
      const event = WinEvent.create();
      cleanups.push(() => event.close());
      // An inheritable handle that the child must not get.
      const target = new Uint8Array(8);
      expect(kernel32.DuplicateHandle(kernel32.CURRENT_PROCESS, event.handle, kernel32.CURRENT_PROCESS, target, 0, 1, kernel32.DUPLICATE_SAME_ACCESS)).toBe(1);
      const stray = Number(new DataView(target.buffer).getBigUint64(0, true));
      cleanups.push(() => kernel32.CloseHandle(stray));
      const probe = fileURLToPath(new URL('../fixtures/inherit-probe.ts', import.meta.url));
      const child = spawn(reactor, node, [probe, String(stray)], { stdout: 'pipe' });
      const out = await reactor.run(() => readAll(child.stdout!));
      expect(JSON.parse(out.toString())).toEqual([false]);
      // The probe can tell: started without a handle list (bInheritHandles alone), the child gets it.
      const stdio = ChildStdio.open(reactor, ['ignore', 'pipe', 'ignore']);
      cleanups.push(() => stdio.closePipes());
      const startup = new Uint8Array(STARTUPINFOW.SIZE);
      const view = new DataView(startup.buffer);
      view.setUint32(STARTUPINFOW.CB, STARTUPINFOW.SIZE, true);
      view.setUint32(STARTUPINFOW.FLAGS, kernel32.STARTF_USESTDHANDLES, true);
      stdio.childEnds.forEach((handle, fd) => view.setBigUint64(STARTUPINFOW.STD_INPUT + 8 * fd, BigInt(handle), true));
      const info = new Uint8Array(PROCESS_INFORMATION.SIZE);
      const command = Buffer.from(`${buildCommandLine(node, [probe, String(stray)])}\0`, 'utf16le');
      expect(kernel32.CreateProcessW(null, command, null, null, 1, kernel32.CREATE_NO_WINDOW, null, null, startup, info)).toBe(1);
      stdio.closeChildEnds();
      const infoView = new DataView(info.buffer);
      kernel32.CloseHandle(Number(infoView.getBigUint64(PROCESS_INFORMATION.PROCESS, true)));
      kernel32.CloseHandle(Number(infoView.getBigUint64(PROCESS_INFORMATION.THREAD, true)));
      const control = await reactor.run(() => readAll(stdio.pipes[1]!));
      expect(JSON.parse(control.toString()), 'without the list').toEqual([true]);
    });

    test('a program that does not exist is a WinError ERROR_FILE_NOT_FOUND, and leaves no handle behind', async () => {
      make();
      const failedSpawn = (): void => {
        expect(() => spawnProcess(reactor, 'winmux-no-such-program.exe', ['x'], { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' })).toThrow(
          expect.objectContaining({ name: 'WinError', winCode: 'ERROR_FILE_NOT_FOUND', syscall: 'CreateProcessW' }),
        );
      };
      // The first registration with the port starts the reactor's IOCP machinery (in select mode
      // the IOCP worker thread, with its handles), which stays until reactor.close(): before the count.
      // It opens its OS thread handle once the thread has reported in: count once that has settled.
      failedSpawn();
      const before = await reactor.run(() => settled(reactor, processHandleCount));
      for (let i = 0; i < 3; i++) failedSpawn();
      expect(await settle(() => processHandleCount() <= before), 'handles after three failed spawns with pipes').toBe(true);
      expect(reactor.stats().overlappedWaiters).toBe(0);
      await reactor.run(() => reactor.sleep(1));
    });

    test('bad options are TypeErrors at the call, before anything is opened', async () => {
      make();
      expect(await helperStarted(reactor)).toBe(true);
      const before = processHandleCount();
      const bad: [string, () => unknown][] = [
        ["stdout: 'pipes'", () => spawnProcess(reactor, node, [], { stdout: 'pipes' as never })],
        ['stdin: -1', () => spawnProcess(reactor, node, [], { stdin: -1 })],
        ['stderr: null', () => spawnProcess(reactor, node, [], { stderr: null as never })],
        ['a number in args', () => spawnProcess(reactor, node, ['a', 5 as never], { stdout: 'pipe' })],
        ['NUL in an argument', () => spawnProcess(reactor, node, ['a\0b'], { stdout: 'pipe' })],
        ['a quote in the program name', () => spawnProcess(reactor, 'no"de.exe', [], { stdout: 'pipe' })],
        ['options not an object', () => spawnProcess(reactor, node, [], 'pipe' as never)],
        ['null options', () => spawnProcess(reactor, node, [], null as never)],
        ['a signal that is not an AbortSignal', () => spawnProcess(reactor, node, [], { stdout: 'pipe', signal: {} as never })],
        ['a number for cwd', () => spawnProcess(reactor, node, [], { stdout: 'pipe', cwd: 5 as never })],
        ['options after a command line', () => spawnProcess(reactor, 'cmd.exe /c exit', {} as never, {})],
      ];
      for (const [what, call] of bad) expect(call, what).toThrow(TypeError);
      expect(await settle(() => processHandleCount() <= before)).toBe(true);
    });
  }
});
