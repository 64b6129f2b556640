#!/usr/bin/env node
// Where the suite's time goes, from a vitest JSON report:
//
//   node scripts/winnode.mjs vitest --reporter=default --reporter=json --outputFile.json=report.json
//   npm run slowest -- report.json [count]
//
// prints one row per test file, slowest first — its span (from its first test's start to its last
// test's end), the sum of its tests' durations (each with its beforeEach/afterEach hooks), and its
// test counts — then the `count` (default 20) slowest tests. The report has no time for a file's
// start-up, imports or beforeAll/afterAll hooks (the resource check): vitest's own summary line
// ("Duration … (transform, setup, collect, tests …)") has those for the run as a whole.
// Plain Node, no dependencies: it runs on Linux or Windows.
import fs from 'node:fs';
import path from 'node:path';

const [file, countArg] = process.argv.slice(2);
if (file === undefined || file === '--help' || file === '-h') {
  process.stderr.write('usage: npm run slowest -- <vitest JSON report> [count=20]\n');
  process.exit(file === undefined ? 2 : 0);
}
const count = countArg === undefined ? 20 : Number(countArg);
if (!Number.isInteger(count) || count < 1) {
  process.stderr.write(`slowest: count must be a positive integer, got ${JSON.stringify(countArg)}\n`);
  process.exit(2);
}

let report;
try {
  report = JSON.parse(fs.readFileSync(file, 'utf8'));
} catch (error) {
  process.stderr.write(`slowest: cannot read ${file}: ${error.message}\n`);
  process.exit(2);
}
if (!Array.isArray(report.testResults)) {
  process.stderr.write(`slowest: ${file} is not a vitest JSON report (no testResults)\n`);
  process.exit(2);
}

/** The file's path relative to the project root (the report has Z:/… paths under Wine). */
function shortName(name) {
  const normal = name.replaceAll('\\', '/');
  const at = normal.lastIndexOf('/test/');
  return at >= 0 ? normal.slice(at + 1) : path.basename(normal);
}

const seconds = (ms) => (ms / 1000).toFixed(1);

const files = report.testResults.map((result) => {
  const tests = result.assertionResults ?? [];
  const testMs = tests.reduce((sum, t) => sum + (t.duration ?? 0), 0);
  const spanMs = typeof result.startTime === 'number' && typeof result.endTime === 'number' ? result.endTime - result.startTime : testMs;
  const by = (status) => tests.filter((t) => t.status === status).length;
  return { name: shortName(result.name), spanMs, testMs, tests: tests.length, failed: by('failed'), skipped: by('skipped') + by('pending') + by('todo') };
});
files.sort((a, b) => b.spanMs - a.spanMs);

const rows = [['file', 'span s', 'tests s', 'tests', 'failed', 'skipped']];
for (const f of files) rows.push([f.name, seconds(f.spanMs), seconds(f.testMs), f.tests, f.failed, f.skipped].map(String));
const total = (key) => files.reduce((sum, f) => sum + f[key], 0);
rows.push(['total', seconds(total('spanMs')), seconds(total('testMs')), ...['tests', 'failed', 'skipped'].map((k) => String(total(k)))]);
printTable(rows);

const tests = report.testResults.flatMap((result) =>
  (result.assertionResults ?? []).map((t) => ({ file: shortName(result.name), name: t.fullName ?? t.title, ms: t.duration ?? 0, status: t.status })));
tests.sort((a, b) => b.ms - a.ms);
process.stdout.write(`\n${Math.min(count, tests.length)} slowest tests of ${tests.length}:\n`);
printTable([['s', 'file', 'test'], ...tests.slice(0, count).map((t) => [seconds(t.ms), t.file, t.status === 'passed' ? t.name : `${t.name} [${t.status}]`])]);

/** Columns padded to their widest cell; numbers right-aligned. */
function printTable(table) {
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
  for (const row of table) {
    const cells = row.map((cell, i) => (/^-?[\d.]+$/.test(cell) ? cell.padStart(widths[i]) : cell.padEnd(widths[i])));
    process.stdout.write(`${cells.join('  ').trimEnd()}\n`);
  }
}
