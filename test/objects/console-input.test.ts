// Console input as an event source (lib/objects/console-input.ts). The test runner has no usable
// console under Wine, so the reading runs in a child that has one (test/fixtures/console-reader.ts,
// created by spawnProcess with CREATE_NO_WINDOW), and reports what it saw.
import { afterEach, describe, expect, test } from 'vitest';
import { fileURLToPath } from 'node:url';
import { ConsoleInput, Reactor, WinError, spawnProcess, type NamedPipe, type ReactorOptions } from '../../lib/index.ts';
import { checkResourcesReleased } from '../helpers/resources.ts';

checkResourcesReleased();

const fixture = fileURLToPath(new URL('../fixtures/console-reader.ts', import.meta.url));

async function readAll(pipe: NamedPipe): Promise<string> {
  const chunks: Buffer[] = [];
  const buffer = new Uint8Array(65536);
  for (let n = await pipe.read(buffer); n > 0; n = await pipe.read(buffer)) chunks.push(Buffer.from(buffer.subarray(0, n)));
  return Buffer.concat(chunks).toString('utf8');
}

const modes: { name: string; options: ReactorOptions }[] = [
  { name: 'select', options: {} },
  { name: 'port', options: { readiness: 'afd' } },
  { name: 'wsapoll', options: { readiness: 'wsapoll' } },
];

describe('ConsoleInput', () => {
  let reactor: Reactor | undefined;
  afterEach(async () => {
    await reactor?.close();
  });

  test('in a process without a working console, open says so with a WinError (the test runner under Wine)', () => {
    reactor = new Reactor();
    let input: ConsoleInput | undefined;
    try {
      input = ConsoleInput.open(reactor);
    } catch (error) {
      expect(error).toBeInstanceOf(WinError);
      expect(error).toMatchObject({ syscall: expect.stringMatching(/^(CreateFileW|GetConsoleMode)$/), winCode: 'ERROR_INVALID_HANDLE' });
      expect((error as Error).message).toMatch(/console/);
      return;
    }
    // On Windows the runner may have a console: then it opens, and closes.
    expect(input.pending).toBeGreaterThanOrEqual(0);
    input.close();
  });

  test.each(modes)('key events typed into a console wake a read; abort and close end one ($name)', async ({ options }) => {
    reactor = new Reactor();
    const r = reactor;
    const child = spawnProcess(r, process.execPath, [fixture, JSON.stringify(options)], { stdout: 'pipe', stderr: 'pipe' });
    try {
      const [out, err, code] = await r.run(() => Promise.all([readAll(child.stdout!), readAll(child.stderr!), child.wait()]));
      expect({ code, err }).toEqual({ code: 0, err: '' });
      const seen = JSON.parse(out.trim().split('\n').at(-1)!);
      expect(seen).toEqual({
        pendingAtStart: 0,
        waitedWhileEmpty: true,
        waiterThreadsWhileWaiting: 1,
        busy: 'BusyResourceError',
        written: 4,
        keys: [
          { keyDown: true, char: 'h', repeatCount: 1, virtualKeyCode: 0x48, virtualScanCode: 0, controlKeyState: 0 },
          { keyDown: false, char: 'h', repeatCount: 1, virtualKeyCode: 0x48, virtualScanCode: 0, controlKeyState: 0 },
          { keyDown: true, char: 'I', repeatCount: 1, virtualKeyCode: 0x49, virtualScanCode: 0, controlKeyState: 0x10 },
          { keyDown: true, char: '', repeatCount: 3, virtualKeyCode: 0x10, virtualScanCode: 0, controlKeyState: 0 },
        ],
        pendingAfterRead: 0,
        iterated: 'ok',
        abortedWithKeys: 'the reason',
        keysLeft: 'x',
        abortReason: 'no more keys wanted',
        closedRead: true,
        readAfterClose: 'ClosedResourceError',
        objectWaitsLeft: 0,
      });
    } finally {
      await child[Symbol.asyncDispose]();
    }
  });
});
