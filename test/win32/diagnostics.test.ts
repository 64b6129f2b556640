// processHandleCount() is what every test file's leak check calls (test/helpers/resources.ts), so
// it must return everywhere and count right. Under Wine 10 it never returned: its
// NtQuerySystemInformation call faulted inside Wine's system-call path and the thread spun for
// good (lib/win32/ntdll.ts says why), so the suite hung in its first file.
import { describe, expect, test } from 'vitest';
import { fileURLToPath } from 'node:url';
import { Reactor, processHandleCount, spawnProcess, type NamedPipe } from '../../lib/index.ts';
import { checkResourcesReleased } from '../helpers/resources.ts';
import { scanHandleValues } from '../helpers/handle-scan.ts';

checkResourcesReleased();

const fixture = fileURLToPath(new URL('../fixtures/handle-count.ts', import.meta.url));
/**
 * Bounds a hang, not a speed: a child starts in 1–3 s under Wine on a busy machine and counts in
 * well under a second; a count that hangs never ends at all.
 */
const HANG_LIMIT_MS = 45_000;

async function readAll(pipe: NamedPipe): Promise<string> {
  const chunks: Buffer[] = [];
  const buffer = new Uint8Array(4096);
  for (let n = await pipe.read(buffer); n > 0; n = await pipe.read(buffer)) chunks.push(Buffer.from(buffer.subarray(0, n)));
  return Buffer.concat(chunks).toString();
}

describe('processHandleCount', () => {
  test('returns in a fresh process, with the count a scan of the handle values finds (Wine 10 hung in it)', async () => {
    const reactor = new Reactor();
    try {
      const result = await reactor.run(async () => {
        const child = spawnProcess(reactor, process.execPath, [fixture], { stdout: 'pipe' });
        try {
          const limit = new AbortController();
          let killed = false;
          const watchdog = reactor.sleep(HANG_LIMIT_MS, { signal: limit.signal }).then(() => {
            killed = true;
            child.kill();
          }, () => {});
          const output = await readAll(child.stdout!);
          const code = await child.wait();
          limit.abort();
          await watchdog;
          return { output, code, killed };
        } finally {
          await child[Symbol.asyncDispose]();
        }
      });
      expect(result.killed, 'the child was still counting handles after the limit').toBe(false);
      expect(result.code, result.output).toBe(0);
      const { count, scanned } = JSON.parse(result.output) as { count: number; scanned: number };
      expect(count).toBeGreaterThan(0);
      expect(count).toBe(scanned);
    } finally {
      await reactor.close();
    }
  }, HANG_LIMIT_MS + 15_000);

  test('in this process, agrees with a scan of the handle values', () => {
    const before = processHandleCount();
    const scan = scanHandleValues();
    // Nothing in this test opens or closes a handle, and the worker's other threads are idle.
    expect(processHandleCount()).toBe(before);
    expect(scan.count).toBe(before);
  });
});
