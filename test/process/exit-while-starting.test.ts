// A process that exits while a winmux thread is still starting — evaluating its modules, which
// declare koffi functions — exits with its own code. Before the exit hook waited for such a thread
// (lib/threads/worker-thread.ts), Node stopped the Worker in the middle of a declaration and the whole
// process aborted: "FATAL ERROR: Error::ThrowAsJavaScriptException napi_throw" (exit code 134), or
// a page fault — every run of this child, where the guest-select exit child (exit.test.ts) hit it
// about once in 100. The child (test/fixtures/exit-while-starting.ts) starts its thread through
// startWorkerThread and exits once the thread has begun declaring (test/fixtures/declaring-thread.ts).
import { beforeAll, describe, expect, test } from 'vitest';
import { fileURLToPath } from 'node:url';
import { checkResourcesReleased } from '../helpers/resources.ts';
import { nodeChildStartupHandles, runAll, runNodeChild, type ChildOutcome } from '../helpers/node-children.ts';

// As test/process/exit.test.ts: libuv's job object at the process's first spawn (start-up, +1 handle), and
// Wine's thread-pool threads that waited for the children retire after 5 s idle.
checkResourcesReleased({ startupHandles: nodeChildStartupHandles, settleMs: 20_000 });

const child = fileURLToPath(new URL('../fixtures/exit-while-starting.ts', import.meta.url));
/** Generous: a child starts in 1–2 s under Wine, and its thread declares for 1–2 s more. */
const EXIT_LIMIT_MS = 60_000;
/** natural: the main module ends with nothing left to do; exit: process.exit(0). */
const ENDINGS = ['natural', 'exit'];
/** Runs of each ending: without the fix each run aborted (20 of 20), so two are plenty. */
const RUNS = 2;

let outcomes = new Map<string, ChildOutcome>();

beforeAll(async () => {
  const cells = ENDINGS.flatMap((how) => Array.from({ length: RUNS }, (_, run) => [how, run] as const));
  outcomes = await runAll(cells, 1, ([how, run]) => `${how} ${run}`, ([how]) => runNodeChild(child, [how], EXIT_LIMIT_MS));
}, ENDINGS.length * RUNS * (EXIT_LIMIT_MS + 10_000));

describe.each(ENDINGS)('a process that ends (%s) while a thread it started is still loading', (how) => {
  test.each(Array.from({ length: RUNS }, (_, run) => run))('exits with code 0, not an abort (run %i)', (run) => {
    const { hung, code, output } = outcomes.get(`${how} ${run}`)!;
    expect(hung, `the child did not exit by itself:\n${output}`).toBe(false);
    expect(code, `exit code; the child's output:\n${output}`).toBe(0);
    // It exited while the thread was declaring, and the exit hook let the thread finish loading.
    expect(output).toContain('declaring: true');
    expect(output, `the exit hook did not wait for the thread:\n${output}`).toContain('exit 0, loaded: true');
  });
});
