// The fuzzer's engine: runs an operation log on a fresh world (world.ts), step by step — apply,
// one turn of the loop, every check — then drains, closes and checks that nothing is left. A
// failing log is shrunk the way Hypothesis and delta debugging do it: drop chunks of the log,
// replay each candidate on a fresh world, keep it if it still fails the same way, with a bound
// on the replays; the shortest log found is printed as a numbered list.
import type { ReactorOptions } from '../../lib/index.ts';
import { generateOps } from './generate.ts';
import { describeOp, type Op } from './ops.ts';
import { KNOWN_DEFECTS, type Violation } from './outcomes.ts';
import { World } from './world.ts';
import { Helper } from './helper.ts';

/** Ends the helper thread the runs share (call once every run in the process is done). */
export function stopHelper(): Promise<void> {
  return Helper.stopShared();
}

/** The loop modes by their command-line names (test/helpers/modes.ts's, with a dash), and AFD readiness with a select wait. */
export const FUZZ_MODES: Record<string, ReactorOptions> = {
  select: {},
  port: { readiness: 'afd' },
  'guest-select': { guest: true },
  'guest-port': { guest: true, readiness: 'afd' },
  'afd-select': { readiness: 'afd', waitIn: 'select' },
};

export interface RunResult {
  violations: Violation[];
  /** The index of the operation whose step found the first violation; -1 if none did (or only the end did). */
  failedAt: number;
  ops: number;
  skipped: number;
  /** Operations applied (not skipped), by family (`tcp`, `pipe`, …: the part of the kind before the dot). */
  applied: Record<string, number>;
  ms: number;
  iterations: number;
  counters: Record<string, number>;
}

export interface RunOptions {
  /** Called every `every` operations (long runs print progress). */
  progress?: (done: number, result: { iterations: number; ms: number }) => void;
  every?: number;
}

/** Runs `ops` on a fresh reactor in `mode`; stops at the first step that finds a violation. */
export async function runOps(ops: readonly Op[], mode: ReactorOptions, options: RunOptions = {}): Promise<RunResult> {
  const started = performance.now();
  const world = await World.start(mode);
  let failedAt = -1;
  let skipped = 0;
  const applied: Record<string, number> = {};
  try {
    await world.reactor.run(async () => {
      const trace = process.env.FUZZ_TRACE === '1';
      for (let i = 0; i < ops.length; i++) {
        if (trace) console.log(`  step ${i + 1}: ${describeOp(ops[i]!)}`);
        const family = ops[i]!.kind.slice(0, ops[i]!.kind.indexOf('.'));
        if (await world.apply(ops[i]!, i)) applied[family] = (applied[family] ?? 0) + 1;
        else skipped++;
        await world.turn();
        world.checkStep();
        // A defect already being fixed (KNOWN) is reported, and the run goes on to look for others.
        if (world.violations.some((v) => v.known === undefined)) {
          failedAt = i;
          break;
        }
        if (options.progress && (i + 1) % (options.every ?? 1000) === 0) {
          options.progress(i + 1, { iterations: world.reactor.stats().iterations, ms: performance.now() - started });
        }
      }
      if (trace) console.log('  drain');
      if (failedAt < 0) await world.drain();
      if (trace) console.log('  close');
      await world.closeAll(!world.failed);
    });
  } catch (error) {
    world.violate('unexpected-error', `the run itself failed: ${error instanceof Error ? `${error.constructor.name}: ${error.message}\n${error.stack}` : String(error)}`);
  }
  const iterations = world.reactor.stats().iterations;
  await world.stop(!world.failed);
  return { violations: world.violations, failedAt, ops: ops.length, skipped, applied, ms: performance.now() - started, iterations, counters: world.counters() };
}

/** What makes two failures "the same" while shrinking: the kind and the family of the first violation (a known one if that is all there is). */
export function signature(result: RunResult): string | undefined {
  const first = result.violations.find((v) => v.known === undefined) ?? result.violations[0];
  if (first === undefined) return undefined;
  return `${first.kind}:${/^[a-z]+/i.exec(first.message)?.[0] ?? ''}`;
}

export interface Shrunk {
  ops: Op[];
  result: RunResult;
  replays: number;
  /** The failure did not come back when the log was replayed as it was. */
  flaky: boolean;
}

/**
 * Delta debugging (Zeller's ddmin) over the log: `replay`s of `ops` without one of n chunks, n
 * from 2 up; a candidate that fails with the same signature replaces the log. Stops after
 * `maxReplays` replays or `maxMs`.
 */
export async function shrink(
  ops: readonly Op[],
  failed: RunResult,
  replay: (ops: Op[]) => Promise<RunResult>,
  { maxReplays = 60, maxMs = 300_000, log = (_: string) => {} } = {},
): Promise<Shrunk> {
  const wanted = signature(failed);
  const start = performance.now();
  let replays = 0;
  let best = { ops: [...ops], result: failed };
  const budgetLeft = (): boolean => replays < maxReplays && performance.now() - start < maxMs;
  const fails = async (candidate: Op[]): Promise<boolean> => {
    replays++;
    const result = await replay(candidate);
    if (signature(result) !== wanted) return false;
    best = { ops: candidate, result };
    log(`  shrink: ${candidate.length} operations still fail (${replays} replays)`);
    return true;
  };
  // The operations after the failing step did not run: drop them, if the prefix still fails.
  if (failed.failedAt >= 0 && failed.failedAt + 1 < ops.length) {
    if (!(await fails(ops.slice(0, failed.failedAt + 1)))) {
      return { ops: [...ops], result: failed, replays, flaky: !(await fails([...ops])) };
    }
  } else {
    // A failure found only at the end (the drain, the close) has no prefix to try; a race may need a few replays to come back.
    let again = false;
    for (let tries = 0; tries < 3 && !again; tries++) again = await fails([...ops]);
    if (!again) return { ops: [...ops], result: failed, replays, flaky: true };
  }
  let chunks = 2;
  while (best.ops.length >= 2 && budgetLeft()) {
    const current = best.ops;
    const size = Math.ceil(current.length / chunks);
    let reduced = false;
    for (let at = 0; at < current.length && budgetLeft(); at += size) {
      const candidate = [...current.slice(0, at), ...current.slice(at + size)];
      if (candidate.length > 0 && (await fails(candidate))) {
        reduced = true;
        break;
      }
    }
    if (reduced) chunks = Math.max(chunks - 1, 2);
    else if (size === 1) break;
    else chunks = Math.min(chunks * 2, current.length);
  }
  return { ops: best.ops, result: best.result, replays, flaky: false };
}

export function formatLog(ops: readonly Op[]): string {
  const width = String(ops.length).length;
  return ops.map((op, i) => `  ${String(i + 1).padStart(width)}. ${describeOp(op)}`).join('\n');
}

/** The violations, one each (known defects marked at the start), then what each known defect is. */
export function formatViolations(result: RunResult): string {
  const lines = result.violations.map((v) => `  [${v.kind}${v.known ? `; known: ${v.known}` : ''}]${v.step >= 0 ? ` at step ${v.step + 1}` : ' at the end'}: ${v.message}`);
  const known = [...new Set(result.violations.flatMap((v) => (v.known ? [v.known] : [])))];
  return [...lines, ...known.map((k) => `  (known: ${k} = ${KNOWN_DEFECTS[k]})`)].join('\n');
}

export interface SeedOutcome {
  seed: number;
  mode: string;
  result: RunResult;
  shrunk?: Shrunk;
  /** The report: a line when it passed; the violations and the shortest failing log when it failed. */
  report: string;
}

/** Runs seed `seed`'s log of `count` operations in `modeName`; a failure is shrunk (unless `shrinkReplays` is 0) and reported. */
export async function runSeed(seed: number, count: number, modeName: string, options: RunOptions & { shrinkReplays?: number; shrinkMs?: number; log?: (line: string) => void } = {}): Promise<SeedOutcome> {
  const mode = FUZZ_MODES[modeName];
  if (mode === undefined) throw new RangeError(`unknown fuzz mode ${JSON.stringify(modeName)} (one of ${Object.keys(FUZZ_MODES).join(', ')})`);
  const ops = generateOps(seed, count);
  const result = await runOps(ops, mode, options);
  const header = `fuzz seed ${seed}, mode ${modeName}, ${count} operations (${result.skipped} skipped), ${result.iterations} iterations, ${(result.ms / 1000).toFixed(1)} s`;
  if (result.violations.length === 0) return { seed, mode: modeName, result, report: `${header}: ok ${JSON.stringify(result.counters)}` };
  const lines = [`${header}: FAILED`, formatViolations(result)];
  let shrunk: Shrunk | undefined;
  // Defects already being fixed are reported, not shrunk: each has its own regression test.
  const unknown = result.violations.some((v) => v.known === undefined);
  if (unknown && (options.shrinkReplays ?? 60) > 0) {
    options.log?.(`${header}: FAILED; shrinking`);
    shrunk = await shrink(ops, result, (candidate) => runOps(candidate, mode), { maxReplays: options.shrinkReplays, maxMs: options.shrinkMs, log: options.log });
    lines.push(shrunk.flaky
      ? `the failure did not come back when the log was replayed (${shrunk.replays} replays): a race; the whole log is seed ${seed}`
      : `shortest log that still fails (${shrunk.ops.length} of ${count} operations, ${shrunk.replays} replays):\n${formatLog(shrunk.ops)}\nits failure:\n${formatViolations(shrunk.result)}\nas JSON (npm run fuzz -- --replay FILE --mode ${modeName}):\n${JSON.stringify(shrunk.ops)}`);
  }
  lines.push(`replay: npm run fuzz -- --seed ${seed} --ops ${count} --mode ${modeName}`);
  return { seed, mode: modeName, result, shrunk, report: lines.join('\n') };
}
