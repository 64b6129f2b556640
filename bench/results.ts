// Where the benchmarks leave their figures as JSON, for `npm run bench -- report` (bench/report.ts)
// to draw: .cache/bench/results/<name>.json, one file per benchmark, the last run's. Each holds
// when and on what it ran, and the benchmark's own figures under `data`.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { wineVersion } from '../lib/index.ts';

export const RESULTS_DIR = fileURLToPath(new URL('../.cache/bench/results/', import.meta.url));

export interface Results<T = unknown> {
  benchmark: string;
  /** ISO 8601, UTC: when the run ended. */
  date: string;
  node: string;
  /** The Wine version, or 'Windows'. */
  system: string;
  data: T;
}

/** Writes `data` as `name`'s latest results; prints where. */
export function writeResults(name: string, data: unknown): void {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const results: Results = { benchmark: name, date: new Date().toISOString(), node: process.version, system: wineVersion() ? `Wine ${wineVersion()}` : 'Windows', data };
  const file = `${RESULTS_DIR}${name}.json`;
  fs.writeFileSync(file, `${JSON.stringify(results, null, 1)}\n`);
  console.log(`results: ${file}`);
}
