#!/usr/bin/env node
// Post-build step of `npm run build`: rewrites the relative `.ts` module specifiers that tsc leaves
// in its declaration output to `.js`.
//
// The sources import each other as `./x.ts`; `rewriteRelativeImportExtensions` makes the emitted
// JavaScript say `./x.js`, but tsc copies the specifiers into the `.d.ts` files unchanged
// (microsoft/TypeScript#61037, open). A package user's TypeScript must then accept `.ts`
// specifiers in declarations: 4.9 refuses them (TS2691), and with `skipLibCheck` every winmux type
// silently became `any`; tools other than tsc stumble on them too. `.js` specifiers name the files
// that are shipped, and read the same in every TypeScript version.
//
// It then checks the whole output: no relative `.ts` specifier may remain in any `.js` or
// `.d.ts` file, and every relative specifier must name a file that exists.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist', 'lib');

// `from './x.ts'`, `import './x.ts'`, `import('./x.ts')`: relative specifiers only.
const SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]*?)\2/g;

function* files(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* files(full);
    else yield full;
  }
}

let rewritten = 0;
const problems = [];
for (const file of files(dist)) {
  const isDts = file.endsWith('.d.ts');
  if (!isDts && !file.endsWith('.js')) continue;
  const text = fs.readFileSync(file, 'utf8');
  const fixed = text.replace(SPECIFIER, (match, lead, quote, specifier) => {
    if (!isDts || !specifier.endsWith('.ts') || specifier.endsWith('.d.ts')) return match;
    rewritten += 1;
    return `${lead}${quote}${specifier.slice(0, -3)}.js${quote}`;
  });
  if (fixed !== text) fs.writeFileSync(file, fixed);
  for (const [, , , specifier] of fixed.matchAll(SPECIFIER)) {
    const where = `${path.relative(root, file)}: '${specifier}'`;
    if (!specifier.endsWith('.js')) {
      problems.push(`${where} is not a .js specifier`);
      continue;
    }
    const target = path.resolve(path.dirname(file), specifier);
    const exists = isDts ? fs.existsSync(target.replace(/\.js$/, '.d.ts')) : fs.existsSync(target);
    if (!exists) problems.push(`${where} names no file`);
  }
}

if (problems.length > 0) {
  process.stderr.write(`fix-dts: ${problems.length} bad specifier(s):\n  ${problems.join('\n  ')}\n`);
  process.exit(1);
}
process.stdout.write(`fix-dts: ${rewritten} .ts specifier(s) rewritten to .js in dist/lib/**/*.d.ts\n`);
