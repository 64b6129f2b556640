// Percentiles and table printing shared by the benchmarks.

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export interface Summary {
  p50: number;
  p99: number;
  mean: number;
}

export function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), mean: sorted.reduce((a, b) => a + b, 0) / sorted.length };
}

/** The median as the benchmarks print it: summarize's p50 (of an even count, the lower middle). */
export function median(values: number[]): number {
  return summarize(values).p50;
}

/** A median with the per-round figures it was taken from: `0.87× (per round 0.90 0.89 0.83)` (unit '×', prefix 'per round '). */
export function medianWithRounds(values: number[], digits = 2, unit = '', prefix = ''): string {
  return `${median(values).toFixed(digits)}${unit} (${prefix}${values.map((v) => v.toFixed(digits)).join(' ')})`;
}

export function printTable(headers: string[], rows: (string | number)[][]): void {
  const cells = [headers, ...rows.map((row) => row.map((c) => (typeof c === 'number' ? (Number.isInteger(c) ? String(c) : c.toFixed(3)) : c)))];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => String(row[i]).length)));
  for (const [n, row] of cells.entries()) {
    console.log(row.map((c, i) => String(c).padEnd(widths[i]!)).join('  '));
    if (n === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}
