// The seeded API fuzzer (test/fuzz/engine.ts), a few fixed seeds in every loop mode: random
// operation sequences over every family on one reactor — TCP and UDP, readiness waits, named
// pipes, files, a directory watcher, key monitors and posts from another thread, events, a child
// process, timers, call-soon, a channel — with random aborts and closes, checked after every
// step (no plain Error, no unexplained error, no hang, bytes complete and in order, stats that
// match what is in flight) and at the end (the loop empty, handles and threads back). A failure
// prints the shortest operation log that still fails. Long runs: `npm run fuzz` (docs/reliability.md).
import { afterAll, describe, expect, test } from 'vitest';
import { checkResourcesReleased } from '../helpers/resources.ts';
import { LOOP_MODES } from '../helpers/modes.ts';
import { FUZZ_MODES, runSeed, shrink, stopHelper, type RunResult } from './engine.ts';
import { FAMILIES, generateOps } from './generate.ts';
import { describeOp, type Op } from './ops.ts';
import { ByteStream, patternBytes } from './byte-stream.ts';

checkResourcesReleased();
// The runs share one helper thread (helper.ts); it ends before the leak check above (after-hooks
// run in reverse order of registration, vitest.config.ts).
afterAll(stopHelper);

/** Fixed seeds: each mode runs the same logs. */
const SEEDS = [1, 2];
/**
 * Operations per seed: 0.7–2 s of operations per seed on a busy 2-core machine under Wine, plus
 * ~0.1 s to set up and check a run (~1 s for a guest reactor's close). The whole file must stay
 * within ~25 s (the suite's time counts); the last test of each mode checks that the seeds still
 * reach every family.
 */
const OPS = 150;

describe.each(LOOP_MODES)('seeded API fuzzer (waiting in $name)', ({ name }) => {
  const mode = name.replace(' ', '-');
  const applied: Record<string, number> = {};
  test.each(SEEDS)(`seed %i, ${OPS} operations: every step's checks hold, and the loop ends empty`, async (seed) => {
    expect(FUZZ_MODES[mode]).toBeDefined();
    // A failure is shrunk (bounded) and the report says the shortest failing log.
    const outcome = await runSeed(seed, OPS, mode, { shrinkReplays: 16, shrinkMs: 180_000 });
    for (const [family, n] of Object.entries(outcome.result.applied)) applied[family] = (applied[family] ?? 0) + n;
    expect(outcome.result.violations, outcome.report).toEqual([]);
    expect(outcome.result.skipped, 'most operations found their resource').toBeLessThan(OPS / 2);
  }, 600_000);

  test(`the seeds applied operations of every family (${FAMILIES.length})`, () => {
    expect(FAMILIES.filter((family) => !(applied[family]! > 0)), `operations applied by family: ${JSON.stringify(applied)}`).toEqual([]);
  });
});

describe('the fuzzer itself', () => {
  test('a seed names its log: the same operations every time, every family among them', () => {
    const a = generateOps(7, 500);
    expect(generateOps(7, 500)).toEqual(a);
    expect(generateOps(8, 500)).not.toEqual(a);
    const families = new Set(a.map((op) => op.kind.slice(0, op.kind.indexOf('.'))));
    expect(FAMILIES).toHaveLength(12);
    for (const family of FAMILIES) expect(families, family).toContain(family);
    for (const op of a) expect(describeOp(op)).toMatch(/^[a-z]+/);
  });

  test('the byte check finds a lost, a repeated and a foreign byte, and allows a resumed write\'s repeat only where it may happen', () => {
    const fresh = (tolerates = false): ByteStream => new ByteStream(3, 's', tolerates);
    const sent = (stream: ByteStream, size: number): Uint8Array => {
      const data = stream.beginWrite(size);
      stream.endWrite(size, false);
      return data;
    };
    let s = fresh();
    const data = sent(s, 100);
    expect(s.receive(data.subarray(0, 60))).toBeUndefined();
    expect(s.receive(data.subarray(61))).toMatch(/wrong byte at position 60/); // one lost
    s = fresh();
    sent(s, 100);
    expect(s.receive(data.subarray(0, 50))).toBeUndefined();
    expect(s.receive(data.subarray(49, 60))).toMatch(/wrong byte at position 50/); // one repeated
    s = fresh();
    sent(s, 10);
    expect(s.receive(patternBytes(4, 0, 10))).toMatch(/wrong byte at position 0/); // another stream's
    s = fresh();
    sent(s, 10);
    expect(s.receive(data.subarray(0, 11))).toMatch(/more than was written/);
    // An aborted write the reader had read 30 bytes of, reported as 0 sent, then resumed.
    for (const tolerates of [false, true]) {
      s = fresh(tolerates);
      const aborted = s.beginWrite(80);
      expect(s.receive(aborted.subarray(0, 30))).toBeUndefined();
      s.endWrite(0, true);
      const resumed = s.beginWrite(80);
      s.endWrite(80, false);
      const wrong = s.receive(resumed);
      if (tolerates) {
        expect(wrong).toBeUndefined();
        expect({ position: s.position, duplicates: s.duplicates, caughtUp: s.caughtUp }).toEqual({ position: 80, duplicates: 1, caughtUp: true });
      } else {
        expect(wrong).toMatch(/wrong byte at position 30/);
      }
    }
  });

  test('shrinking finds the operations a failure needs', async () => {
    // A fake replay: it "fails" while the log holds operations 37 and 81 (in any company).
    const ops: Op[] = Array.from({ length: 120 }, (_, i) => ({ kind: 'timer.pass', ms: i }));
    const needed = (log: Op[]): boolean => [37, 81].every((ms) => log.some((op) => op.kind === 'timer.pass' && op.ms === ms));
    const result = (log: Op[]): RunResult => ({
      violations: needed(log) ? [{ kind: 'data', message: 'fake: lost', step: log.length - 1 }] : [], failedAt: needed(log) ? log.length - 1 : -1,
      ops: log.length, skipped: 0, applied: {}, ms: 0, iterations: 0, counters: {},
    });
    const shrunk = await shrink(ops, result(ops), async (log) => result(log), { maxReplays: 200 });
    expect(shrunk.flaky).toBe(false);
    expect(shrunk.ops).toEqual([{ kind: 'timer.pass', ms: 37 }, { kind: 'timer.pass', ms: 81 }]);
    expect(shrunk.replays).toBeLessThan(60);
  });
});
