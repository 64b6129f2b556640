// Hostile strings: every public entry point that builds a command line, a path or a pipe name,
// fed the known attacks — cmd.exe's metacharacters and %NAME% for batch files (CVE-2024-27980,
// "BatBadBut"), quotes and trailing backslashes for argv quoting, NUL, pipe names that are paths
// (`..`, `/`, `\`, remote `\\server\pipe\x`, other devices, over-long), a program planted in the
// working directory under a system program's name, and pipe squatting (a name taken first).
//
// What each must do: an attack that cannot be passed safely is refused at the call with a
// TypeError (a string that is not a name or a command-line string at all: NUL, a path for a pipe
// name) or a RangeError (a value the target cannot carry: `%` for a batch file, a path over 256
// characters), naming the argument, before anything runs; one that can be passed arrives
// literally, checked by a real child printing its argv — never as a second command. The injection
// checks run real batch files under cmd.exe (Wine's, here) that would create a marker file if the
// attack worked.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  DirectoryWatcher, File, NamedPipe, NamedPipeServer, Reactor, WinError, buildCommandLine, pipePath, quoteArgument, spawnProcess, type ChildProcess,
  type SpawnOptions,
} from '../../lib/index.ts';
import { openPipeClient } from '../../lib/io/named-pipe.ts';
import { commandLineToArgv } from '../../lib/win32/shell32.ts';
import * as kernel32 from '../../lib/win32/kernel32.ts';
import { processHandleCount } from '../../lib/win32/diagnostics.ts';
import { checkResourcesReleased } from '../helpers/resources.ts';
import { settled } from '../helpers/loop.ts';

checkResourcesReleased();

const node = process.execPath;
const tmp = mkdtempSync(path.join(tmpdir(), 'winmux-hostile-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A script that prints its arguments as JSON: the reference for "arrived literally". */
const argvScript = path.join(tmp, 'argv.js');
writeFileSync(argvScript, 'process.stdout.write(JSON.stringify(process.argv.slice(2)))');
/** What an injected command creates in the child's working directory (`tmp`). */
const marker = path.join(tmp, 'INJECTED');

/** A batch file that passes its arguments on to the argv printer (`%*`), as a wrapper script does. */
function batchFile(name: string, dir = tmp): string {
  const file = path.join(dir, name);
  writeFileSync(file, `@"${node}" "${argvScript}" %*\r\n`);
  return file;
}

/** Attacks on cmd.exe that quoting can carry: each must arrive as the text it is, and run nothing. */
const CMD_ATTACKS = [
  '"&echo INJECTED>INJECTED', // the first case
  'x" & echo INJECTED3>INJECTED & "', // and its second
  '\\"&echo INJECTED>INJECTED', // a backslash before the quote: CommandLineToArgvW's escape, not cmd.exe's
  '^"&echo INJECTED>INJECTED',
  '"&(echo INJECTED>INJECTED)&"',
  '|echo INJECTED>INJECTED',
  '&echo INJECTED>INJECTED',
  '<nul echo INJECTED>INJECTED',
  '!PATH!', // delayed expansion is off (/v:OFF): literal
  '"',
  '""',
  '"""',
  'say "hi"',
  'trailing\\',
  'trailing two\\\\',
  '\\\\server\\share\\',
  'C:\\Program Files\\',
  '',
  'with space',
  'tab\there',
  'a,b;c=d',
  'ünïcödé 日本語 😀',
];
/** What a batch file cannot be given safely: `%` (expanded even inside quotes), CR and LF (they end the command). */
const BATCH_REFUSED = ['%PATH%', '100%', '%', '%%', '%~dp0', 'a\necho INJECTED>INJECTED', 'a\recho INJECTED>INJECTED', 'a\r\nb'];

let reactor: Reactor;
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) await child[Symbol.asyncDispose]();
  await reactor?.close();
  rmSync(marker, { force: true });
});

/** Runs `file args` (or a raw command line) with stdout piped; its output and exit code. */
async function run(fileOrCommand: string, args?: readonly string[], options: SpawnOptions = {}): Promise<{ out: string; code: number }> {
  const spawnOptions: SpawnOptions = { cwd: tmp, stdout: 'pipe', ...options };
  const child = args === undefined ? spawnProcess(reactor, fileOrCommand, spawnOptions) : spawnProcess(reactor, fileOrCommand, args, spawnOptions);
  children.push(child);
  return reactor.run(async () => {
    const chunks: Buffer[] = [];
    const buffer = new Uint8Array(65536);
    for (let n = await child.stdout!.read(buffer); n > 0; n = await child.stdout!.read(buffer)) chunks.push(Buffer.from(buffer.subarray(0, n)));
    return { out: Buffer.concat(chunks).toString('utf8'), code: await child.wait() };
  });
}

/** A call's error, synchronous or rejected; undefined if it succeeded (what it made is then closed). */
async function errorOf(call: () => unknown): Promise<unknown> {
  let made: unknown;
  try {
    made = await call();
  } catch (error) {
    return error;
  }
  const disposable = made as Partial<AsyncDisposable> | undefined;
  await disposable?.[Symbol.asyncDispose]?.();
  return undefined;
}

describe('batch files (CVE-2024-27980): arguments are quoted for cmd.exe, or refused', () => {
  const show = batchFile('show.bat');
  batchFile('upper.BAT');
  batchFile('mixed.Cmd');
  /** Every way of naming a batch file that Windows reads as one, with the argv form. */
  const FORMS: [string, string][] = [
    ['a full path', show],
    ['an upper-case .BAT', path.join(tmp, 'upper.BAT')],
    ['a mixed-case .Cmd', path.join(tmp, 'mixed.Cmd')],
    ['a trailing dot (show.bat., which Windows opens as show.bat)', `${show}.`],
    ['trailing dots and spaces (show.bat. .)', `${show}. .`],
    ['a trailing space', `${show} `],
    ['a path with / separators', show.replace(/\\/g, '/')],
  ];

  test.each(FORMS)('the argv form, named by %s: every cmd.exe attack arrives literally and runs nothing', async (_, file) => {
    reactor = new Reactor();
    const { out, code } = await run(file, CMD_ATTACKS);
    expect(existsSync(marker), 'an injected command ran').toBe(false);
    expect(JSON.parse(out)).toEqual(CMD_ATTACKS);
    expect(code).toBe(0);
  });

  test('the argv form, a bare name found through PATH (show.bat, and upper.bat for upper.BAT)', async () => {
    reactor = new Reactor();
    const savedPath = process.env.PATH;
    process.env.PATH = `${tmp};${savedPath}`;
    try {
      for (const name of ['show.bat', 'UPPER.bat', 'show.bat.']) {
        const { out } = await run(name, CMD_ATTACKS);
        expect(existsSync(marker), `an injected command ran (${name})`).toBe(false);
        expect(JSON.parse(out), name).toEqual(CMD_ATTACKS);
      }
    } finally {
      process.env.PATH = savedPath;
    }
  });

  test("a bare name without an extension is never a batch file: 'show' looks for show.exe only (no PATHEXT search)", async () => {
    reactor = new Reactor();
    const savedPath = process.env.PATH;
    process.env.PATH = `${tmp};${savedPath}`;
    try {
      expect(() => spawnProcess(reactor, 'show', ['"&echo INJECTED>INJECTED'], { cwd: tmp })).toThrow(
        expect.objectContaining({ name: 'WinError', winCode: 'ERROR_FILE_NOT_FOUND' }),
      );
      expect(() => spawnProcess(reactor, 'show "&echo INJECTED>INJECTED', { cwd: tmp })).toThrow(expect.objectContaining({ winCode: 'ERROR_FILE_NOT_FOUND' }));
    } finally {
      process.env.PATH = savedPath;
    }
    expect(existsSync(marker)).toBe(false);
  });

  test.each(BATCH_REFUSED.map((arg) => [JSON.stringify(arg), arg]))('an argument cmd.exe cannot be given safely, %s, is a RangeError naming it; nothing runs', async (_, arg) => {
    reactor = new Reactor();
    const handles = processHandleCount();
    for (const [, file] of FORMS.slice(0, 4)) {
      const error = await errorOf(() => spawnProcess(reactor, file, ['fine', arg], { cwd: tmp, stdout: 'pipe' }));
      expect(error).toBeInstanceOf(RangeError);
      expect((error as Error).message).toMatch(/^spawnProcess: args\[1\] /);
    }
    expect(processHandleCount(), 'no pipe left open').toBe(handles);
    expect(existsSync(marker)).toBe(false);
  });

  test('a batch file whose path holds % is a RangeError (cmd.exe would expand it)', async () => {
    reactor = new Reactor();
    const dir = path.join(tmp, 'per%PATH%cent');
    mkdirSync(dir);
    const error = await errorOf(() => spawnProcess(reactor, batchFile('x.bat', dir), ['a'], { cwd: tmp }));
    expect(error).toBeInstanceOf(RangeError);
    expect((error as Error).message).toMatch(/^spawnProcess: file /);
  });

  test.each([...FORMS, ['a bare name found through PATH', 'show.bat']])('the raw form naming a batch file (%s) is a RangeError; nothing runs', async (_, file) => {
    reactor = new Reactor();
    const savedPath = process.env.PATH;
    process.env.PATH = `${tmp};${savedPath}`;
    try {
      for (const attack of ['"&echo INJECTED>INJECTED', 'x" & echo INJECTED3>INJECTED & "', '%PATH%', 'harmless']) {
        const error = await errorOf(() => spawnProcess(reactor, `"${file}" ${attack}`, { cwd: tmp }));
        expect(error, attack).toBeInstanceOf(RangeError);
        expect((error as Error).message).toMatch(/^spawnProcess: the command line runs the batch file /);
      }
      // Unquoted too, where the name has no space.
      if (!/[ \t]/.test(file)) expect(await errorOf(() => spawnProcess(reactor, `${file} "&echo INJECTED>INJECTED`, { cwd: tmp }))).toBeInstanceOf(RangeError);
    } finally {
      process.env.PATH = savedPath;
    }
    expect(existsSync(marker)).toBe(false);
  });

  test('running cmd.exe yourself stays possible in the raw form (the explicit way to use its syntax)', async () => {
    reactor = new Reactor();
    const { out, code } = await run(`cmd.exe /d /c ""${show}" one "two three""`);
    expect(JSON.parse(out)).toEqual(['one', 'two three']);
    expect(code).toBe(0);
  });
});

describe('program search: a bare name never resolves to the working directory', () => {
  // A stand-in planted under a system program's name: this Node, as hostname.exe, which would
  // create the marker if it ran (the real hostname.exe ignores the script).
  const planted = path.join(tmp, 'planted');
  const script = `require('fs').writeFileSync(${JSON.stringify(marker)}, 'planted ran')`;
  let savedCwd: string;
  beforeAll(() => {
    mkdirSync(planted);
    // A copy: a hard link to the running node.exe could not be deleted afterwards (Wine: EPERM).
    copyFileSync(node, path.join(planted, 'hostname.exe'));
    writeFileSync(path.join(planted, 'winmux-only-here.exe'), 'never run: a bare name must not find it');
  });
  afterEach(() => {
    if (savedCwd !== undefined) process.chdir(savedCwd);
  });
  const enter = (): void => {
    savedCwd = process.cwd();
    // CreateProcessW searches the parent's current directory (not the child's cwd option).
    process.chdir(planted);
  };

  test('hostname (argv and raw forms) runs the system hostname.exe, not hostname.exe in the current directory', async () => {
    reactor = new Reactor();
    enter();
    const argv = await run('hostname', ['-e', script], { cwd: planted });
    expect(existsSync(marker), 'the planted program ran (argv form)').toBe(false);
    expect(argv.code).toEqual(expect.any(Number));
    await run(`hostname -e "${script.replace(/"/g, '\\"')}"`, undefined, { cwd: planted });
    expect(existsSync(marker), 'the planted program ran (raw form)').toBe(false);
    // The plant works when asked for by path: what the two calls above did not do.
    await run('.\\hostname.exe', ['-e', script], { cwd: planted });
    expect(existsSync(marker), 'the planted program, named as .\\hostname.exe').toBe(true);
  });

  test('a program only in the current directory is not found by a bare name, nor through a relative PATH entry', async () => {
    reactor = new Reactor();
    enter();
    const savedPath = process.env.PATH;
    process.env.PATH = `.;..\\planted;${savedPath}`;
    try {
      for (const call of [() => spawnProcess(reactor, 'winmux-only-here', ['-e', script]), () => spawnProcess(reactor, 'winmux-only-here.exe -e 1')]) {
        expect(call).toThrow(expect.objectContaining({ name: 'WinError', winCode: 'ERROR_FILE_NOT_FOUND', syscall: 'CreateProcessW', message: expect.stringMatching(/current directory is not searched/) }));
      }
    } finally {
      process.env.PATH = savedPath;
    }
    expect(existsSync(marker)).toBe(false);
  });
});

describe('argv quoting for programs that parse by CommandLineToArgvW rules', () => {
  test('quotes, trailing backslashes and cmd.exe metacharacters round-trip through CommandLineToArgvW and a real child, and run nothing', async () => {
    reactor = new Reactor();
    const args = [...CMD_ATTACKS, ...BATCH_REFUSED.filter((a) => !/[\r\n]/.test(a)), 'new\nline'];
    expect(commandLineToArgv(buildCommandLine(node, [argvScript, ...args]))).toEqual([node, argvScript, ...args]);
    for (const arg of args) expect(commandLineToArgv(`x ${quoteArgument(arg)}`), JSON.stringify(arg)).toEqual(['x', arg]);
    const { out } = await run(node, [argvScript, ...args]);
    expect(JSON.parse(out)).toEqual(args);
    expect(existsSync(marker)).toBe(false);
  });
});

describe('the hostile-strings table: each entry point refuses what it cannot carry, naming the argument', () => {
  const file = path.join(tmp, 'show.bat');
  const LONG = 'x'.repeat(300);
  /** [entry point and attack, call, expected error class, what the message names]. */
  const ROWS: [string, () => unknown, typeof TypeError | typeof RangeError | typeof WinError, RegExp][] = [
    // Command lines.
    ['spawnProcess file: a NUL', () => spawnProcess(reactor, 'cmd.exe\0.bat', []), TypeError, /spawnProcess: file/],
    ['spawnProcess file: a double quote', () => spawnProcess(reactor, 'cmd".exe', []), TypeError, /program name/],
    ['spawnProcess file: an NTFS stream (show.bat::$DATA)', () => spawnProcess(reactor, `${file}::$DATA`, []), RangeError, /spawnProcess: file/],
    ['spawnProcess args: a NUL', () => spawnProcess(reactor, 'cmd.exe', ['/c', 'exit\0 & echo INJECTED>INJECTED']), TypeError, /spawnProcess: args\[1\]/],
    ['spawnProcess args of a batch file: %PATH%', () => spawnProcess(reactor, file, ['%PATH%']), RangeError, /spawnProcess: args\[0\]/],
    ['spawnProcess args of a batch file: a LF', () => spawnProcess(reactor, file, ['a\necho INJECTED>INJECTED']), RangeError, /spawnProcess: args\[0\]/],
    ['spawnProcess args of a batch file: a CR', () => spawnProcess(reactor, file, ['ok', 'a\recho']), RangeError, /spawnProcess: args\[1\]/],
    ['spawnProcess command line: a NUL', () => spawnProcess(reactor, 'cmd.exe /c exit\0 & echo INJECTED>INJECTED'), TypeError, /spawnProcess: the command line/],
    ['spawnProcess command line: a batch file', () => spawnProcess(reactor, `"${file}" "&echo INJECTED>INJECTED`), RangeError, /spawnProcess: the command line/],
    ['spawnProcess command line: only spaces', () => spawnProcess(reactor, '   '), TypeError, /spawnProcess: the command line/],
    ['spawnProcess cwd: a NUL', () => spawnProcess(reactor, 'cmd.exe', ['/c', 'exit'], { cwd: `${tmp}\0\\..` }), TypeError, /spawnProcess: cwd/],
    ['spawnProcess env: a NUL in a value', () => spawnProcess(reactor, 'cmd.exe', ['/c', 'exit'], { env: { A: 'b\0C=d' } }), TypeError, /spawnProcess: env/],
    ['spawnProcess env: a NUL in a name', () => spawnProcess(reactor, 'cmd.exe', ['/c', 'exit'], { env: { 'A\0C': 'd' } }), TypeError, /spawnProcess: env/],
    ["spawnProcess env: an '=' in a name", () => spawnProcess(reactor, 'cmd.exe', ['/c', 'exit'], { env: { 'PATH=C:\\evil;X': 'd' } }), TypeError, /spawnProcess: env/],
    ['quoteArgument: a NUL', () => quoteArgument('a\0b'), TypeError, /quoteArgument: argument/],
    ['buildCommandLine file: a NUL', () => buildCommandLine('a\0.exe', []), TypeError, /buildCommandLine: file/],
    ['buildCommandLine file: a double quote', () => buildCommandLine('a".exe', []), TypeError, /program name/],
    ['buildCommandLine args: a NUL', () => buildCommandLine('a.exe', ['ok', 'b\0']), TypeError, /buildCommandLine: args\[1\]/],
    // Paths.
    ['File.open path: a NUL', () => File.open(reactor, `${path.join(tmp, 'truncated.txt')}\0.evil`, { mode: 'write', disposition: 'create' }), TypeError, /File.open: path/],
    ['DirectoryWatcher.open path: a NUL', () => DirectoryWatcher.open(reactor, `${tmp}\0\\..`), TypeError, /DirectoryWatcher.open: path/],
  ];
  // Pipe names, through each of the three entry points that take one.
  const PIPE_NAMES: [string, string, typeof TypeError | typeof RangeError][] = [
    ['..', '..', TypeError],
    ['.', '.', TypeError],
    ['a trailing dot', 'name.', TypeError],
    ['a trailing space', 'name ', TypeError],
    ['a /', 'a/b', TypeError],
    ['a \\', 'a\\b', TypeError],
    ['..\\ out of the pipe namespace', '..\\..\\C:\\Windows\\win.ini', TypeError],
    ['\\\\.\\pipe\\..\\ to a file', `\\\\.\\pipe\\..\\${path.join(tmp, 'argv.js')}`, TypeError],
    ['/ separators for the prefix', '//./pipe/x', TypeError],
    ['a remote pipe', '\\\\server\\pipe\\x', TypeError],
    ['a device path', '\\\\.\\C:\\Windows\\win.ini', TypeError],
    ['a verbatim path', '\\\\?\\C:\\Windows\\win.ini', TypeError],
    ['the prefix alone', '\\\\.\\pipe\\', TypeError],
    ['a NUL', 'a\0b', TypeError],
    ['over 256 characters', LONG, RangeError],
    ['over 256 characters in full form', `\\\\.\\pipe\\${LONG}`, RangeError],
  ];
  for (const [label, name, error] of PIPE_NAMES) {
    ROWS.push([`pipePath: ${label}`, () => pipePath(name), error, /pipe name/]);
    ROWS.push([`new NamedPipeServer: ${label}`, () => new NamedPipeServer(reactor, name), error, /pipe name/]);
    ROWS.push([`NamedPipe.connect: ${label}`, () => NamedPipe.connect(reactor, name), error, /pipe name/]);
  }

  test.each(ROWS)('%s', async (_, call, errorClass, names) => {
    reactor = new Reactor();
    const handles = processHandleCount();
    const error = await errorOf(call);
    expect(error).toBeInstanceOf(errorClass);
    expect((error as Error).message).toMatch(names);
    expect(processHandleCount(), 'nothing left open').toBe(handles);
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(path.join(tmp, 'truncated.txt')), 'a NUL cut a path short').toBe(false);
  });

  test('what is accepted: a bare name, the full local form in any case, 256 characters', async () => {
    reactor = new Reactor();
    expect(pipePath('my-pipe')).toBe('\\\\.\\pipe\\my-pipe');
    expect(pipePath('\\\\.\\PIPE\\My-Pipe')).toBe('\\\\.\\PIPE\\My-Pipe');
    expect(pipePath('a..b c.d')).toBe('\\\\.\\pipe\\a..b c.d');
    const name = `winmux-hostile-${process.pid}-`;
    const longest = name.padEnd(256 - 9, 'y');
    expect(pipePath(longest)).toHaveLength(256);
    await reactor.run(async () => {
      for (const [serverName, clientName] of [[name, `\\\\.\\PIPE\\${name}`], [longest, `\\\\.\\pipe\\${longest}`]]) {
        const server = new NamedPipeServer(reactor, serverName!);
        try {
          const accepting = server.accept();
          const client = await NamedPipe.connect(reactor, clientName!);
          const conn = await accepting;
          await client.write(new Uint8Array([7]));
          const buffer = new Uint8Array(1);
          expect(await conn.read(buffer)).toBe(1);
          client.close();
          conn.close();
        } finally {
          server.close();
        }
      }
    });
  });
});

describe('named pipes: squatting and what a connect opens', () => {
  const DUPLEX = kernel32.PIPE_ACCESS_DUPLEX | kernel32.FILE_FLAG_OVERLAPPED;

  test('a second NamedPipeServer on a name in use fails with ERROR_ACCESS_DENIED; once the first has closed, the name is free', async () => {
    reactor = new Reactor();
    const name = `winmux-squat-${process.pid}-second`;
    await reactor.run(async () => {
      const first = new NamedPipeServer(reactor, name);
      try {
        // Binding to the port starts the IOCP worker, whose thread handle comes a moment later.
        const handles = await settled(reactor, processHandleCount);
        expect(() => new NamedPipeServer(reactor, name)).toThrow(expect.objectContaining({ name: 'WinError', winCode: 'ERROR_ACCESS_DENIED', syscall: 'CreateNamedPipeW', message: expect.stringMatching(/in use/) }));
        expect(processHandleCount(), "the refused server's instance is closed").toBe(handles);
      } finally {
        first.close();
      }
      new NamedPipeServer(reactor, name).close();
    });
  });

  test("a squatter that made the name first (a bare CreateNamedPipeW, without winmux) makes the server fail instead of serving the squatter's pipe", async () => {
    reactor = new Reactor();
    const name = `winmux-squat-${process.pid}-first`;
    const squatter = kernel32.CreateNamedPipeW(`\\\\.\\pipe\\${name}`, DUPLEX, kernel32.PIPE_TYPE_BYTE, kernel32.PIPE_UNLIMITED_INSTANCES, 4096, 4096, 0, null);
    expect(kernel32.isInvalidHandle(squatter)).toBe(false);
    try {
      expect(() => new NamedPipeServer(reactor, name)).toThrow(expect.objectContaining({ winCode: 'ERROR_ACCESS_DENIED' }));
      expect(() => new NamedPipeServer(reactor, `\\\\.\\pipe\\${name}`)).toThrow(expect.objectContaining({ winCode: 'ERROR_ACCESS_DENIED' }));
    } finally {
      kernel32.CloseHandle(squatter);
    }
  });

  test('the client open refuses what is not a pipe (GetFileType): a regular file and the NUL device are closed again, and are WinError ERROR_BAD_PIPE', () => {
    reactor = new Reactor();
    const handles = processHandleCount();
    for (const target of [argvScript, '\\\\.\\NUL']) {
      expect(() => openPipeClient(target), target).toThrow(expect.objectContaining({ name: 'WinError', winCode: 'ERROR_BAD_PIPE', message: expect.stringMatching(/is not a pipe/) }));
    }
    expect(processHandleCount(), 'the handles opened are closed').toBe(handles);
  });
});
