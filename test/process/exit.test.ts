// The process always exits: a reactor's native threads (the IOCP worker, waiter threads) never
// hold it, whichever way it ends. Each case runs a child Windows Node process
// (test/fixtures/exit-child.ts) that has both kinds of thread blocked in native waits, then exits
// by process.exit(), an uncaught exception, a rejected main task or a natural end; the children
// run four at a time before the tests look at how each ended. Before the
// exit hook (lib/threads/worker-thread.ts) every select-mode case hung forever.
import { beforeAll, describe, expect, test } from 'vitest';
import { fileURLToPath } from 'node:url';
import { checkResourcesReleased } from '../helpers/resources.ts';
import { nodeChildStartupHandles, runAll, runNodeChild, type ChildOutcome } from '../helpers/node-children.ts';

// libuv on Windows makes one job object at a process's first spawn and keeps it for the process's
// life (start-up, not a leak): if this file is the first of its test worker to spawn, it ends with
// exactly one handle more than it began with.
// And libuv waits for each child's exit on a Windows thread-pool thread, which Wine retires only
// after 5 s idle (its THREADPOOL_WORKER_TIMEOUT): the final check waits for that.
checkResourcesReleased({ startupHandles: nodeChildStartupHandles, settleMs: 20_000 });

const child = fileURLToPath(new URL('../fixtures/exit-child.ts', import.meta.url));
/** Generous: a child starts in ~1 s under Wine; a child held by a thread never exits at all. */
const EXIT_LIMIT_MS = 30_000;

const ENDINGS: [string, number][] = [
  ['exit', 0],
  ['throw', 1],
  ['reject', 1],
  ['natural', 0],
];

const MODES = ['select', 'port', 'guest-select', 'guest-port'];
/** A guest reactor never closed, its waits still pending, once unref'd: the process ends by itself. */
const endingsOf = (mode: string): [string, number][] => (mode.startsWith('guest') ? [...ENDINGS, ['unref', 0]] : ENDINGS);
/**
 * Children at once: each costs a Windows Node start under Wine, then mostly waits. (Four at once
 * once made a guest-select child ending on unref abort at exit — Node stopping a thread still
 * declaring its koffi functions; the exit hook now waits for such a thread, lib/threads/worker-thread.ts.)
 */
const CHILDREN_AT_ONCE = 4;

let outcomes = new Map<string, ChildOutcome>();

beforeAll(async () => {
  const cells = MODES.flatMap((mode) => endingsOf(mode).map(([how]) => [mode, how] as const));
  outcomes = await runAll(cells, CHILDREN_AT_ONCE, ([mode, how]) => `${mode} ${how}`, ([mode, how]) => runNodeChild(child, [how, mode], EXIT_LIMIT_MS));
}, 10 * (EXIT_LIMIT_MS + 10_000));

describe.each(MODES)('a process with a %s-mode reactor and busy native threads', (mode) => {
  test.each(endingsOf(mode))('exits on %s (code %i)', (how, code) => {
    const result = outcomes.get(`${mode} ${how}`)!;
    expect(result.hung, `the child did not exit by itself:\n${result.output}`).toBe(false);
    // The threads were really there and waiting when it left.
    expect(result.output).toMatch(mode.endsWith('select') ? /"iocpWorker":"running","waiterThreads":1,"overlappedWaiters":1/ : /"waiterThreads":1,"overlappedWaiters":1/);
    expect(result.code, `exit code; the child's output:\n${result.output}`).toBe(code);
  });
});
