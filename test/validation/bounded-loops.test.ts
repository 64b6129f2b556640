// No unbounded retry loop in lib/: every loop with no condition — `for (;;)`, `while (true)`, a
// `for` whose condition is empty — carries, on its line or the line above, a comment
// `// ends: …` saying why it ends (a bound, the event that stops it). One such loop, retrying a
// call that kept failing the same way on another Wine, hung the whole suite (issue #22 item 12).
// A loop with a condition has its bound in that condition.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { checkResourcesReleased } from '../helpers/resources.ts';

checkResourcesReleased();

const LIB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../lib');

/** The comment that says why a loop ends. */
const ENDS = /\/\/\s*ends:\s*\S/;

/** True when `line` opens a loop with no condition. */
function opensUnboundedLoop(line: string): boolean {
  const code = line.replace(/\/\/.*$/, '');
  if (/\bwhile\s*\(\s*(true|1)\s*\)/.test(code)) return true;
  for (const match of code.matchAll(/\bfor\s*\(/g)) {
    const header = parenthesised(code, match.index + match[0].length);
    if (header === undefined) continue;
    const clauses = splitTopLevel(header, ';');
    if (clauses.length === 3 && clauses[1]!.trim() === '') return true;
  }
  return false;
}

/** The text inside the parenthesis that opened just before `start`, or undefined if it does not close on this line. */
function parenthesised(code: string, start: number): string | undefined {
  let depth = 1;
  for (let i = start; i < code.length; i++) {
    if (code[i] === '(') depth++;
    else if (code[i] === ')' && --depth === 0) return code.slice(start, i);
  }
  return undefined;
}

function splitTopLevel(text: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === separator && depth === 0) {
      parts.push(text.slice(from, i));
      from = i + 1;
    }
  }
  parts.push(text.slice(from));
  return parts;
}

/** `file:line  code` for each unbounded loop in `source` without an `// ends:` comment. */
function unexplainedLoops(file: string, source: string): string[] {
  const lines = source.split(/\r?\n/);
  const found: string[] = [];
  lines.forEach((line, i) => {
    if (opensUnboundedLoop(line) && !ENDS.test(line) && !(i > 0 && ENDS.test(lines[i - 1]!))) {
      found.push(`${file}:${i + 1}  ${line.trim()}`);
    }
  });
  return found;
}

describe('loops in lib/ end', () => {
  test('the rule finds loops with no condition, and accepts one with an `// ends:` comment', () => {
    expect(opensUnboundedLoop('    for (;;) {')).toBe(true);
    expect(opensUnboundedLoop('  while (true) {')).toBe(true);
    expect(opensUnboundedLoop('  for (let waited = false; ; waited = true) {')).toBe(true);
    expect(opensUnboundedLoop('  for (let i = f(a, b); ; i++) {')).toBe(true);
    expect(opensUnboundedLoop('  for (let i = 0; i < n; i++) {')).toBe(false);
    expect(opensUnboundedLoop('  for (const x of xs) {')).toBe(false);
    expect(opensUnboundedLoop('  while (!exited) {')).toBe(false);
    expect(opensUnboundedLoop('  // for (;;) in a comment')).toBe(false);
    expect(unexplainedLoops('x.ts', 'a;\nfor (;;) {\n}')).toEqual(['x.ts:2  for (;;) {']);
    expect(unexplainedLoops('x.ts', '// ends: the peer closes\nfor (;;) {\n}')).toEqual([]);
    expect(unexplainedLoops('x.ts', 'while (true) { // ends: at STOP\n}')).toEqual([]);
  });

  test('every loop in lib/ with no condition says why it ends (`// ends: …` on its line or the line above)', () => {
    const files = readdirSync(LIB, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).sort();
    expect(files.length).toBeGreaterThan(50); // the walk found lib/
    const found = files.flatMap((f) => unexplainedLoops(`lib/${f.replaceAll('\\', '/')}`, readFileSync(path.join(LIB, f), 'utf8')));
    expect(found, 'loops with no condition and no `// ends:` comment').toEqual([]);
  });
});
