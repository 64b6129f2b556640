// What a child_process user expects of spawnProcess: an `exited` promise with the exit code (the
// 'exit' event's), the stdio default and why, and a clear error when cmd.exe is given an argv
// that it would read differently from CommandLineToArgvW.
import { afterEach, describe, expect, test } from 'vitest';
import { ClosedResourceError, Reactor, spawnProcess, type ChildProcess } from '../../lib/index.ts';
import { checkResourcesReleased } from '../helpers/resources.ts';

checkResourcesReleased();

describe('child_process habits', () => {
  let reactor: Reactor | undefined;
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const child of children.splice(0)) await child[Symbol.asyncDispose]();
    await reactor?.close();
    reactor = undefined;
  });

  test('exited resolves with the exit code, and is the same promise every time', async () => {
    reactor = new Reactor({ guest: true });
    const child = spawnProcess(reactor, process.execPath, ['-e', 'process.exit(7)']);
    children.push(child);
    const exited = child.exited;
    expect(child.exited).toBe(exited);
    expect(await exited).toBe(7);
    expect(child.exitCode).toBe(7);
  });

  test('exited rejects with ClosedResourceError when the child is closed before it exits', async () => {
    reactor = new Reactor({ guest: true });
    const child = spawnProcess(reactor, process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
    children.push(child);
    const exited = child.exited;
    child.kill();
    child.close();
    await expect(exited).rejects.toBeInstanceOf(ClosedResourceError);
  });

  test("stdio defaults to 'ignore' (no pipe to leave unread); 'pipe' where asked", async () => {
    reactor = new Reactor({ guest: true });
    const quiet = spawnProcess(reactor, process.execPath, ['-e', 'process.stdout.write("x".repeat(1 << 20))']);
    children.push(quiet);
    expect([quiet.stdin, quiet.stdout, quiet.stderr]).toEqual([undefined, undefined, undefined]);
    // A megabyte to a NUL stdout: the child never blocks, so it exits.
    expect(await quiet.exited).toBe(0);
    const piped = spawnProcess(reactor, process.execPath, ['-e', 'process.stdout.write("hi")'], { stdout: 'pipe' });
    children.push(piped);
    const buffer = new Uint8Array(16);
    let text = '';
    for (let n; (n = await piped.stdout!.read(buffer)) > 0; ) text += Buffer.from(buffer.subarray(0, n)).toString();
    expect(text).toBe('hi');
    expect(await piped.exited).toBe(0);
  });

  test('cmd.exe in the argv form: arguments that need no quoting run; one that would be quoted is a RangeError pointing to the raw form', async () => {
    reactor = new Reactor({ guest: true });
    const plain = spawnProcess(reactor, 'cmd.exe', ['/d', '/c', 'exit', '3']);
    children.push(plain);
    expect(await plain.exited).toBe(3);
    for (const file of ['cmd.exe', 'cmd', 'CMD.EXE']) {
      expect(() => spawnProcess(reactor!, file, ['/c', 'echo "a b"'])).toThrow(RangeError);
      expect(() => spawnProcess(reactor!, file, ['/c', 'echo', 'a b'])).toThrow(/cmd\.exe parses its own command line, not an argv: args\[2\] \("a b"\).*raw form.*docs\/api\.md/);
    }
    // The raw form, which the message points to, runs it.
    const raw = spawnProcess(reactor, 'cmd.exe /d /s /c "exit 5"');
    children.push(raw);
    expect(await raw.exited).toBe(5);
  });
});
