// processHandleCount() and processThreadCount() are what every test file's leak check calls
// (test/helpers/resources.ts), so they must return everywhere and count right. Under Wine 10 it never returned: its
// NtQuerySystemInformation call faulted inside Wine's system-call path and the thread spun for
// good (lib/win32/ntdll.ts says why), so the suite hung in its first file.
import { describe, expect, test } from 'vitest';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Reactor, processHandleCount, processThreadCount, spawnProcess, type NamedPipe } from '../../lib/index.ts';
import { openProcessThreads } from '../../lib/win32/diagnostics.ts';
import * as kernel32 from '../../lib/win32/kernel32.ts';
import { THREADENTRY32 } from '../../lib/win32/structs.ts';
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

/** This process's threads in a Toolhelp32 snapshot: the reference count (every thread of the system, slow). */
function snapshotThreadCount(): number {
  const snapshot = kernel32.CreateToolhelp32Snapshot(kernel32.TH32CS_SNAPTHREAD, 0);
  expect(snapshot).not.toBe(kernel32.INVALID_HANDLE_VALUE);
  try {
    const entry = new Uint8Array(THREADENTRY32.SIZE);
    const view = new DataView(entry.buffer);
    const pid = kernel32.GetCurrentProcessId();
    let count = 0;
    view.setUint32(THREADENTRY32.DW_SIZE, THREADENTRY32.SIZE, true);
    for (let more = kernel32.Thread32First(snapshot, entry); more; more = kernel32.Thread32Next(snapshot, entry)) {
      if (view.getUint32(THREADENTRY32.OWNER_PROCESS_ID, true) === pid) count++;
      view.setUint32(THREADENTRY32.DW_SIZE, THREADENTRY32.SIZE, true);
    }
    return count;
  } finally {
    kernel32.CloseHandle(snapshot);
  }
}

/**
 * The two counts read back to back until they agree, at most 20 times: a thread of vitest's or
 * Node's can start or end between two readings, but not between every two.
 */
function countsAgree(): { counted: number; snapshot: number } {
  let counts = { counted: processThreadCount(), snapshot: snapshotThreadCount() };
  for (let i = 0; i < 20 && counts.counted !== counts.snapshot; i++) counts = { counted: processThreadCount(), snapshot: snapshotThreadCount() };
  return counts;
}

describe('processThreadCount', () => {
  test('agrees with a Toolhelp32 snapshot, and goes up by a started thread and back when it ends', async () => {
    const before = countsAgree();
    expect(before.counted).toBe(before.snapshot);
    const worker = new Worker('setInterval(() => {}, 1000)', { eval: true });
    await new Promise((resolve) => worker.once('online', resolve));
    const during = countsAgree();
    expect(during.counted).toBe(during.snapshot);
    expect(during.counted).toBeGreaterThan(before.counted);
    await worker.terminate();
    const after = countsAgree();
    expect(after.counted).toBe(after.snapshot);
  });

  test('does not count a thread that has ended while a handle to it is still open (NtGetNextThread still lists it)', async () => {
    const old = new Set<number>();
    openProcessThreads(0, (id) => {
      old.add(id);
      return false;
    });
    const worker = new Worker('setInterval(() => {}, 1000)', { eval: true });
    await new Promise((resolve) => worker.once('online', resolve));
    // The worker's thread, and any other that started meanwhile, held open across its end.
    const held = openProcessThreads(kernel32.SYNCHRONIZE, (id) => !old.has(id));
    try {
      expect(held.length).toBeGreaterThan(0);
      await worker.terminate();
      const ended = held.filter((t) => kernel32.WaitForSingleObject(t.handle, 0) === kernel32.WAIT_OBJECT_0);
      expect(ended.length, 'the worker\'s thread has ended, its handle still open').toBeGreaterThan(0);
      const { counted, snapshot } = countsAgree();
      expect(counted).toBe(snapshot);
    } finally {
      for (const thread of held) kernel32.CloseHandle(thread.handle);
    }
  });
});
