// The process-lifetime matrix: a process with a reactor lives exactly as long as Node's own handles
// would keep it — while something ref'd is pending, and not a moment after. Each cell runs a child
// Windows Node process (test/fixtures/lifetime-child.ts) with one reactor in one mode, left in one
// state, and checks how it ended: by itself (a hang is a failure, bounded generously), with the
// exit code Node gives a process that simply runs out of work (0), and, where a thread was killed,
// with the kill reported to the wait it broke. Before the fixes in this round: a guest reactor that
// never waited, or whose only wait was unref'd, or a held timeoutSignal, kept the process forever
// (its helper's 'message' listener re-ref'd the unref'd Worker); a thread killed while Node started
// it was never noticed (its wait hung); and a process whose thread was killed later aborted at its
// natural exit (code 134: Node's Worker destructor asserts the thread stopped through Node).
import { beforeAll, describe, expect, test } from 'vitest';
import { fileURLToPath } from 'node:url';
import { checkResourcesReleased } from '../helpers/resources.ts';
import { nodeChildStartupHandles, runAll, runNodeChild, type ChildOutcome } from '../helpers/node-children.ts';

// As test/process/exit.test.ts: libuv's job object at the process's first spawn (start-up, +1 handle), and
// Wine's thread-pool threads that waited for the children retire after 5 s idle.
checkResourcesReleased({ startupHandles: nodeChildStartupHandles, settleMs: 20_000 });

const child = fileURLToPath(new URL('../fixtures/lifetime-child.ts', import.meta.url));
/** Generous: a child starts in 1–2 s under Wine; a child that is held never exits at all. */
const EXIT_LIMIT_MS = 60_000;
/** Children at once: each costs a Windows Node start under Wine, then mostly waits. */
const CHILDREN_AT_ONCE = 4;

const MODES = ['select', 'port', 'guest-select', 'guest-port'];
const STATES = ['unused', 'idle', 'unref-wait', 'timeout-signal', 'run-no-close', 'ref-wait', 'kill-start', 'kill-later'];

let outcomes = new Map<string, ChildOutcome>();

beforeAll(async () => {
  const cells = MODES.flatMap((mode) => STATES.map((state) => [mode, state] as const));
  outcomes = await runAll(cells, CHILDREN_AT_ONCE, ([mode, state]) => `${mode} ${state}`, ([mode, state]) => runNodeChild(child, [mode, state], EXIT_LIMIT_MS));
}, Math.ceil((MODES.length * STATES.length) / CHILDREN_AT_ONCE) * (EXIT_LIMIT_MS + 10_000));

/** The cell's outcome, checked for what every cell must do: end by itself, with code 0, its main module done. */
function ended(mode: string, state: string): string[] {
  const outcome = outcomes.get(`${mode} ${state}`)!;
  const lines = outcome.output.split(/\r?\n/).filter((line) => line !== '');
  const text = lines.join('\n');
  expect(outcome.hung, `the child did not exit by itself:\n${text}`).toBe(false);
  expect(outcome.code, `exit code; the child's output:\n${text}`).toBe(0);
  expect(lines, text).toContain('main done');
  expect(lines.at(-1), text).toBe('exit 0');
  return lines;
}

describe.each(MODES)('a process with a %s reactor', (mode) => {
  const guest = mode.startsWith('guest');

  test.each(['unused', 'idle', 'unref-wait', 'timeout-signal'])('%s: exits by itself, code 0', (state) => {
    ended(mode, state);
  });

  test('run returned, nothing closed (a pipe pair open on the port): exits by itself, code 0', () => {
    expect(ended(mode, 'run-no-close')).toContain('read 1,2,3');
  });

  test('a ref\'d 1.5 s sleep pending: stays until it ends, then exits, code 0', () => {
    const lines = ended(mode, 'ref-wait');
    const waiting = lines.indexOf('waiting');
    const done = lines.findIndex((line) => line.startsWith('wait done'));
    // In order: it was waiting, the wait ended (it was still alive then), then it exited.
    expect(waiting, lines.join('\n')).toBeGreaterThanOrEqual(0);
    expect(done, lines.join('\n')).toBeGreaterThan(waiting);
    expect(lines.indexOf('exit 0')).toBeGreaterThan(done);
    if (guest) {
      // Held by the reactor alone, Node's loop kept turning: an unref'd interval counted its turns.
      const ticks = Number(/wait done, (\d+) ticks/.exec(lines[done]!)![1]);
      expect(ticks).toBeGreaterThan(0);
    }
  });

  const thread = guest ? "a guest reactor's helper thread" : 'a waiter thread';
  test(`${guest ? 'its helper' : 'a waiter thread'} killed natively while Node starts it: the wait fails naming it, and the process exits, code 0`, () => {
    const failure = ended(mode, 'kill-start').find((line) => line.startsWith('the wait failed'));
    expect(failure).toContain(`${thread} (OS thread `);
    expect(failure).toContain('ended without exiting through Node while starting');
  });

  test(`${guest ? 'its helper' : 'a waiter thread'} killed natively while it waits: the wait fails naming it, and the process exits, code 0 (not 134)`, () => {
    const failure = ended(mode, 'kill-later').find((line) => line.startsWith('the wait failed'));
    expect(failure).toContain(`${thread} (OS thread `);
    expect(failure).toMatch(/ended without exiting through Node: killed/);
  });
});
