// The seeded API fuzzer, for long runs (test/fuzz/fuzz.test.ts runs a few fixed seeds in
// `npm test`). Run under Windows Node (scripts/winnode.mjs):
//
//   npm run fuzz -- --seed N --ops M [--mode select|port|guest-select|guest-port|afd-select|all]
//                   [--seeds K] [--shrink-replays R] [--replay FILE]
//
// --seeds K runs seeds N … N+K-1, each with a fresh reactor and its own log of M operations.
// --mode all runs every mode in turn (select, port, guest-select, guest-port). A failing seed is
// shrunk to the shortest log that still fails (at most R replays, default 60; 0 to skip) and
// printed. --replay FILE runs the log saved as JSON (what a failure prints) instead of a seed.
// Exits 1 if any run failed.
import fs from 'node:fs';
import { FUZZ_MODES, formatLog, formatViolations, runOps, runSeed, stopHelper } from '../test/fuzz/engine.ts';
import type { Op } from '../test/fuzz/ops.ts';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : undefined;
};
const integer = (name: string, fallback: number, min: number): number => {
  const value = Number(option(name) ?? fallback);
  if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`--${name} must be an integer ≥ ${min}, got ${option(name)}`);
  return value;
};

const seed = integer('seed', 1, 0);
const ops = integer('ops', 2000, 1);
const seeds = integer('seeds', 1, 1);
const shrinkReplays = integer('shrink-replays', 60, 0);
const modeOption = option('mode') ?? 'select';
const modes = modeOption === 'all' ? ['select', 'port', 'guest-select', 'guest-port'] : [modeOption];
for (const mode of modes) {
  if (!(mode in FUZZ_MODES)) throw new RangeError(`--mode must be one of ${Object.keys(FUZZ_MODES).join(', ')} or all, got ${mode}`);
}

let failures = 0;
const replay = option('replay');
if (replay !== undefined) {
  const log = JSON.parse(fs.readFileSync(replay, 'utf8')) as Op[];
  for (const mode of modes) {
    const result = await runOps(log, FUZZ_MODES[mode]!);
    console.log(`replay of ${replay} (${log.length} operations, ${result.skipped} skipped), mode ${mode}: ${result.violations.length === 0 ? 'ok' : 'FAILED'}`);
    if (result.violations.length > 0) {
      failures++;
      console.log(formatLog(log));
      console.log(formatViolations(result));
    }
  }
} else {
  for (const mode of modes) {
    const started = performance.now();
    let operations = 0;
    for (let s = seed; s < seed + seeds; s++) {
      if (args.includes('--verbose')) console.log(`seed ${s}, ${mode}: starting`);
      const outcome = await runSeed(s, ops, mode, {
        shrinkReplays,
        log: (line) => console.log(line),
        every: 1000,
        progress: (done, { iterations, ms }) => console.log(`  seed ${s}, ${mode}: ${done} operations, ${iterations} iterations, ${(ms / 1000).toFixed(1)} s`),
      });
      operations += ops;
      console.log(outcome.report);
      if (outcome.result.violations.length > 0) failures++;
    }
    console.log(`mode ${mode}: ${seeds} seed(s), ${operations} operations in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
}
await stopHelper();
console.log(failures === 0 ? 'fuzz: no failures' : `fuzz: ${failures} failing run(s)`);
process.exitCode = failures === 0 ? 0 : 1;
