// Child Windows Node processes for the process-lifetime tests (test/process/): each runs a
// fixture that leaves a reactor in some state, and the test looks at how the process ended. A
// child starts in 1–2 s under Wine and mostly waits, so the tests run several at once.
import { spawn } from 'node:child_process';

export interface ChildOutcome {
  /** The exit code, null if it was killed. */
  code: number | null;
  /** Its stdout and stderr, as they came. */
  output: string;
  /** It was still running at `limitMs` and was killed: it did not exit by itself. */
  hung: boolean;
}

/** Set on the process (not a module: the test files of a worker share it) at its first spawn. */
const SPAWNED = Symbol.for('winmux.test.nodeChildSpawned');
const processState = globalThis as { [SPAWNED]?: true };

/**
 * The handles this process's first `runNodeChild` leaves for the process's life: libuv on Windows
 * makes one job object at a process's first spawn and keeps it (start-up, not a leak). Test files
 * share a process (vitest.config.ts), so only the first of them to spawn sees it. For
 * `checkResourcesReleased({ startupHandles })`, read when the file starts.
 */
export function nodeChildStartupHandles(): number {
  return processState[SPAWNED] ? 0 : 1;
}

/** Runs `node script ...args` and resolves once it has ended (killing it at `limitMs`). */
export function runNodeChild(script: string, args: readonly string[], limitMs: number): Promise<ChildOutcome> {
  processState[SPAWNED] = true;
  return new Promise((resolve, reject) => {
    // Piped, not inherited: under Wine an inherited Linux pipe makes the child fail with EBADF.
    const proc = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    proc.stdout!.on('data', (chunk) => (output += String(chunk)));
    proc.stderr!.on('data', (chunk) => (output += String(chunk)));
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      proc.kill();
    }, limitMs);
    proc.on('error', reject);
    // 'close', not 'exit': the output is complete only once both pipes have ended.
    proc.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, hung });
    });
  });
}

/**
 * `run(item)` for every item, at most `width` at a time (a new one starts as soon as one ends),
 * resolving to the results by key.
 */
export async function runAll<T, R>(items: readonly T[], width: number, key: (item: T) => string, run: (item: T) => Promise<R>): Promise<Map<string, R>> {
  const results = new Map<string, R>();
  let next = 0;
  const lane = async (): Promise<void> => {
    // ends: each pass takes the next item; there are finitely many
    while (next < items.length) {
      const item = items[next++]!;
      results.set(key(item), await run(item));
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, lane));
  return results;
}
