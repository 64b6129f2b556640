// The process always exits: a reactor's native threads (the IOCP worker, waiter threads) never
// hold it, whichever way it ends. Each case runs a child Windows Node process
// (test/fixtures/exit-child.ts) that has both kinds of thread blocked in native waits, then exits
// by process.exit(), an uncaught exception, a rejected main task or a natural end. Before the
// exit hook (lib/worker-thread.ts) every select-mode case hung forever.
import { describe, expect, test } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { checkResourcesReleased } from '../helpers/resources.ts';

// libuv on Windows makes one job object at a process's first spawn and keeps it for the process's
// life (start-up, not a leak), so this file ends with exactly one handle more than it began with.
// And libuv waits for each child's exit on a Windows thread-pool thread, which Wine retires only
// after 5 s idle (its THREADPOOL_WORKER_TIMEOUT): the final check waits for that.
checkResourcesReleased({ startupHandles: 1, settleMs: 20_000 });

const child = fileURLToPath(new URL('../fixtures/exit-child.ts', import.meta.url));
/** Generous: a child starts in ~1 s under Wine; a child held by a thread never exits at all. */
const EXIT_LIMIT_MS = 30_000;

function runChild(how: string, mode: string): Promise<{ code: number | null; output: string; killed: boolean }> {
  return new Promise((resolve, reject) => {
    // Piped, not inherited: under Wine an inherited Linux pipe makes the child fail with EBADF.
    const proc = spawn(process.execPath, [child, how, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    proc.stdout!.on('data', (chunk) => (output += String(chunk)));
    proc.stderr!.on('data', (chunk) => (output += String(chunk)));
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      proc.kill();
    }, EXIT_LIMIT_MS);
    proc.on('error', reject);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output, killed });
    });
  });
}

const ENDINGS: [string, number][] = [
  ['exit', 0],
  ['throw', 1],
  ['reject', 1],
  ['natural', 0],
];

describe.each(['select', 'port', 'guest-select', 'guest-port'])('a process with a %s-mode reactor and busy native threads', (mode) => {
  // A guest reactor never closed, its waits still pending, once unref'd: the process ends by itself.
  test.each(mode.startsWith('guest') ? [...ENDINGS, ['unref', 0] as [string, number]] : ENDINGS)('exits on %s (code %i)', async (how, code) => {
    const result = await runChild(how, mode);
    expect(result.killed, `the child did not exit by itself:\n${result.output}`).toBe(false);
    // The threads were really there and waiting when it left.
    expect(result.output).toMatch(mode.endsWith('select') ? /"iocpWorker":"running","waiterThreads":1,"overlappedWaiters":1/ : /"waiterThreads":1,"overlappedWaiters":1/);
    expect(result.code, `exit code; the child's output:\n${result.output}`).toBe(code);
  }, EXIT_LIMIT_MS + 10_000);
});
