// A child process as an object the reactor waits on, in every loop mode where the mode changes
// the path (a wait ended by close()), once where it does not (exit codes, cwd and env, kill):
// moved here from test/waits/object-waits.test.ts, so the tests mirror lib/objects/.
import { afterEach, describe, expect, test } from 'vitest';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClosedResourceError, Reactor, spawnProcess, type ReactorOptions } from '../../lib/index.ts';
import * as kernel32 from '../../lib/win32/kernel32.ts';
import { checkResourcesReleased } from '../helpers/resources.ts';
import { LOOP_MODES, runsOnce } from '../helpers/modes.ts';

checkResourcesReleased();

describe.each(LOOP_MODES)('child processes as object waits (waiting in $name)', ({ name, mode }) => {
  let reactor: Reactor;
  const cleanups: (() => void)[] = [];
  const make = (options: ReactorOptions = {}): Reactor => (reactor = new Reactor({ ...mode, ...options }));

  afterEach(async () => {
    await reactor?.close();
    for (const cleanup of cleanups.splice(0).reverse()) cleanup();
  });

  test('ChildProcess.close() during a wait: the wait rejects with ClosedResourceError, then the handle closes', async () => {
    make();
    const child = spawnProcess(reactor, `"${process.execPath}" -e "setTimeout(() => {}, 2000)"`);
    await reactor.run(async () => {
      const waiting = child.wait().catch((e: unknown) => e);
      await reactor.sleep(50);
      expect(reactor.stats().objectWaits).toBe(1);
      child.close();
      // Still open while a waiter thread may hold it: a zero-timeout wait sees a running process.
      expect(kernel32.WaitForSingleObject(child.handle, 0), 'the handle stays open while waited on').toBe(kernel32.WAIT_TIMEOUT);
      expect(await waiting).toBeInstanceOf(ClosedResourceError);
      await child[Symbol.asyncDispose](); // resolves once the handle is really closed (the file's leak check confirms it)
      expect(reactor.stats().objectWaits).toBe(0);
    });
  });

  // Mode-independent (test/helpers/modes.ts): what a child is given and how it ends.
  if (runsOnce(name)) {
    test('a child `cmd.exe /c exit 3` gives exit code 3', async () => {
      make();
      const child = spawnProcess(reactor, 'cmd.exe /c exit 3');
      cleanups.push(() => child.close());
      expect(child.pid).toBeGreaterThan(0);
      expect(await reactor.run(() => child.wait())).toBe(3);
      expect(child.exitCode).toBe(3);
    });

    test('spawnProcess passes cwd and env to the child; a missing program is a WinError', async () => {
      make();
      const dir = fileURLToPath(new URL('../fixtures/spawn-cwd/', import.meta.url)); // holds marker.txt
      // 5: the variable is set and marker.txt is in the working directory; 6: set but no marker; 7: not set.
      const command = 'cmd.exe /c if "%WINMUX_SPAWN_PROBE%"=="yes" (if exist marker.txt (exit 5) else (exit 6)) else (exit 7)';
      const env = { WINMUX_SPAWN_PROBE: 'yes', SystemRoot: process.env.SystemRoot ?? 'C:\\windows' };
      const exitCode = async (options: Parameters<typeof spawnProcess>[2]): Promise<number> => {
        const child = spawnProcess(reactor, command, options);
        try {
          return await reactor.run(() => child.wait());
        } finally {
          child.close();
        }
      };
      expect(await exitCode({ cwd: dir, env })).toBe(5);
      expect(await exitCode({ cwd: path.dirname(path.resolve(dir)), env })).toBe(6);
      expect(await exitCode({ cwd: dir })).toBe(7); // this process's environment has no such variable
      expect(() => spawnProcess(reactor, 'winmux-no-such-program.exe')).toThrow(
        expect.objectContaining({ name: 'WinError', winCode: 'ERROR_FILE_NOT_FOUND', syscall: 'CreateProcessW' }),
      );
    });

    test('kill() ends a long-running child', async () => {
      make();
      const child = spawnProcess(reactor, `"${process.execPath}" -e "setInterval(() => {}, 1000)"`);
      cleanups.push(() => child.close());
      await reactor.run(async () => {
        expect(await reactor.waitForObject(child.handle, { timeoutMs: 300 })).toMatchObject({ timedOut: true });
        expect(child.exitCode).toBeNull();
        child.kill(7);
        expect(await child.wait()).toBe(7);
      });
    });
  }
});
