#!/usr/bin/env node
// The consumer test: winmux as a package user gets it.
//
//   node scripts/consumer-test.mjs      (`npm run consumer-test`; part of .ci/run)
//
// 1. `npm pack` (its prepack script builds dist/) and checks the tarball's contents;
// 2. a temporary project installs the tarball the way the README tells a user on Linux to
//    (`npm install --os=win32 --cpu=x64`, which brings koffi's win32 binary), with exactly the
//    oldest supported TypeScript (MIN_TYPESCRIPT) and the @types/node this repository uses;
// 3. type-checks scripts/consumer/consumer.ts (strict, NodeNext, no skipLibCheck) with that
//    TypeScript and with this repository's own (the newest we know), and requires
//    scripts/consumer/type-errors.ts to fail with exactly the errors it marks — were winmux's
//    types `any`, it would compile;
// 4. runs the compiled consumer with Windows Node (`winnode.mjs project`: the project's own
//    node_modules only, none of this checkout's) and, on a host that is not Windows, with the
//    host's Node, where importing winmux must fail with "winmux needs Windows". The consumer
//    runs a refused connect (`err.code === 'ECONNREFUSED'`) and a `ws` round trip over winmux;
//    every relative link in the installed README and docs must reach an installed file;
// 5. the three user programs in examples/ (a `ws` endpoint and client over winmux, a build
//    watcher that spawns a child per change, a pipe server with winmux and Node `net` clients),
//    their `../lib/index.ts` import made `winmux`, compiled in that project and run under Windows
//    Node from its node_modules: each must exit 0.
// The temporary project is removed afterwards unless KEEP_CONSUMER=1.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The programs a Node developer wrote from the installed docs (issue: what a Node developer trips on). */
const USER_PROGRAMS = ['ws-over-winmux.ts', 'build-watcher.ts', 'pipe-server-node-clients.ts'];

/** The oldest TypeScript winmux supports (README, "Using winmux as a package"). */
const MIN_TYPESCRIPT = '5.1.6';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = path.join(root, 'scripts', 'consumer');
const started = Date.now();

function say(message) {
  process.stderr.write(`consumer-test: ${message}\n`);
}

function fail(message) {
  say(`FAILED: ${message}`);
  process.exit(1);
}

/** Runs a command; returns { status, out } (stdout and stderr together) without failing. */
function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  if (result.error) fail(`${command}: ${result.error.message}`);
  return { status: result.status, out: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

function mustRun(command, args, options = {}) {
  const result = run(command, args, options);
  if (result.status !== 0) fail(`${command} ${args.join(' ')} exited with ${result.status}:\n${result.out}`);
  return result.out;
}

const devDependencies = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).devDependencies;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'winmux-consumer-'));
const project = path.join(tmp, 'project');
try {
  // 0. What this checkout needs (node_modules, Wine, Windows Node): done already after `npm test`.
  mustRun(process.execPath, [path.join(root, 'scripts', 'winnode.mjs'), 'setup'], { cwd: root });

  // 1. The tarball.
  say('npm pack (builds dist/)');
  mustRun('npm', ['pack', '--pack-destination', tmp, '--loglevel=error'], { cwd: root });
  const tarball = fs.readdirSync(tmp).find((f) => f.endsWith('.tgz'));
  if (!tarball) fail('npm pack produced no tarball');
  const listing = mustRun('tar', ['-tzf', path.join(tmp, tarball)]).split('\n').filter(Boolean);
  for (const wanted of ['package/LICENSE', 'package/README.md', 'package/package.json', 'package/dist/lib/index.js', 'package/dist/lib/index.d.ts', 'package/docs/api.md', 'package/docs/errors.md']) {
    if (!listing.includes(wanted)) fail(`the tarball lacks ${wanted}`);
  }
  const stray = listing.filter((f) => f.endsWith('.map') || /\.ts$/.test(f) && !f.endsWith('.d.ts') || /^package\/(test|examples|bench|probes|scripts|lib)\//.test(f));
  if (stray.length > 0) fail(`the tarball ships what a user cannot use: ${stray.join(', ')}`);

  // 2. The project, installed as the README says.
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'package.json'), `${JSON.stringify({ name: 'winmux-consumer', private: true, type: 'module' }, null, 2)}\n`);
  for (const file of fs.readdirSync(fixtures)) fs.copyFileSync(path.join(fixtures, file), path.join(project, file));
  // ws: the consumer runs a WebSocket round trip over winmux, as a user of Node libraries would.
  const extras = [`typescript@${MIN_TYPESCRIPT}`, `@types/node@${devDependencies['@types/node']}`, `ws@${devDependencies.ws}`, `@types/ws@${devDependencies['@types/ws']}`];
  say(`npm install --os=win32 --cpu=x64 ${tarball} ${extras.join(' ')}`);
  mustRun('npm', ['install', '--os=win32', '--cpu=x64', '--no-audit', '--no-fund', '--loglevel=error', path.join(tmp, tarball), ...extras], { cwd: project });
  const installed = path.join(project, 'node_modules', 'winmux');
  // Every relative link in the installed README and docs reaches a file that was installed.
  for (const doc of ['README.md', ...fs.readdirSync(path.join(installed, 'docs')).map((f) => path.join('docs', f))]) {
    if (!doc.endsWith('.md')) continue;
    const text = fs.readFileSync(path.join(installed, doc), 'utf8');
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/i.test(target) || target.startsWith('#')) continue;
      const file = path.resolve(path.dirname(path.join(installed, doc)), target.split('#')[0]);
      if (!fs.existsSync(file)) fail(`${doc} links to ${target}, which the package does not ship`);
    }
  }
  for (const file of walk(path.join(installed, 'dist'))) {
    if (!file.endsWith('.d.ts')) continue;
    const bad = /(?:from\s*|import\s*\(\s*|import\s+)['"]\.{1,2}\/[^'"]*\.ts['"]/.exec(fs.readFileSync(file, 'utf8'));
    if (bad) fail(`${path.relative(project, file)} still has a .ts specifier: ${bad[0]}`);
  }

  // 3. Type checks: the oldest supported TypeScript, then this repository's.
  const compilers = [
    ['oldest supported', path.join(project, 'node_modules', 'typescript', 'bin', 'tsc'), MIN_TYPESCRIPT],
    ['this repository\'s', path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), devDependencies.typescript],
  ];
  for (const [which, tsc, version] of compilers) {
    const reported = mustRun(process.execPath, [tsc, '--version']).trim();
    if (reported !== `Version ${version}`) fail(`${which} TypeScript: wanted ${version}, tsc says ${reported}`);
    say(`tsc ${version} (${which}): consumer.ts must type-check, type-errors.ts must not`);
    // The consumer, emitted to out/ by the oldest TypeScript (the run below uses that output).
    mustRun(process.execPath, [tsc, '-p', 'tsconfig.json', ...(version === MIN_TYPESCRIPT ? [] : ['--noEmit'])], { cwd: project });
    checkTypeErrors(tsc, version);
  }

  // 4. Run it: under Windows Node from the project's own node_modules; under the host's Node, the guard.
  say('running the consumer with Windows Node');
  const windows = run(process.execPath, [path.join(root, 'scripts', 'winnode.mjs'), 'project', project, 'out/consumer.js'], { cwd: project });
  if (windows.status !== 0 || !windows.out.includes('winmux consumer ok:')) fail(`the consumer failed under Windows Node (exit ${windows.status}):\n${windows.out}`);
  const ok = windows.out.split('\n').find((line) => line.includes('winmux consumer ok:'));
  if (!ok.includes('refused: ECONNREFUSED (WSAECONNREFUSED)')) fail(`a refused connect was not a WinError with code ECONNREFUSED: ${ok}`);
  if (!ok.includes('ws: echo over winmux')) fail(`the ws round trip over winmux did not echo: ${ok}`);
  say(ok.trim());
  if (process.platform !== 'win32') {
    const host = run(process.execPath, ['out/consumer.js'], { cwd: project });
    const wanted = `winmux needs Windows (process.platform is ${process.platform})`;
    if (host.status === 0 || !host.out.includes(wanted)) fail(`importing winmux under ${process.platform} Node did not fail with "${wanted}":\n${host.out}`);
    say(`host Node (${process.platform}): "${wanted}", as it should`);
  }
  // 5. The user programs, as a user of the installed package would write them.
  const examples = path.join(project, 'examples');
  fs.mkdirSync(examples);
  for (const program of USER_PROGRAMS) {
    const source = fs.readFileSync(path.join(root, 'examples', program), 'utf8');
    const asUser = source.replaceAll("from '../lib/index.ts'", "from 'winmux'");
    if (asUser === source) fail(`examples/${program} does not import ../lib/index.ts: update USER_PROGRAMS' rewrite`);
    fs.writeFileSync(path.join(examples, program), asUser);
  }
  fs.writeFileSync(path.join(project, 'tsconfig.examples.json'), `${JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', types: ['node'], strict: true, outDir: 'out/examples', rootDir: 'examples' },
    files: USER_PROGRAMS.map((program) => `examples/${program}`),
  }, null, 2)}\n`);
  say(`tsc ${MIN_TYPESCRIPT}: the user programs (${USER_PROGRAMS.join(', ')})`);
  mustRun(process.execPath, [path.join(project, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.examples.json'], { cwd: project });
  for (const program of USER_PROGRAMS) {
    const compiled = `out/examples/${program.replace(/\.ts$/, '.js')}`;
    const result = run(process.execPath, [path.join(root, 'scripts', 'winnode.mjs'), 'project', project, compiled], { cwd: project });
    if (result.status !== 0) fail(`examples/${program}, installed, exited with ${result.status} under Windows Node:\n${result.out}`);
    say(`examples/${program}: exit 0 from the installed package`);
  }
  say(`passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} finally {
  if (process.env.KEEP_CONSUMER === '1') say(`kept ${tmp}`);
  else fs.rmSync(tmp, { recursive: true, force: true });
}

/** type-errors.ts must fail with exactly the errors its `// expect TSnnnn` comments mark. */
function checkTypeErrors(tsc, version) {
  const source = fs.readFileSync(path.join(project, 'type-errors.ts'), 'utf8').split('\n');
  const expected = source.flatMap((line, i) => {
    const m = /\/\/ expect (TS\d+)/.exec(line);
    return m ? [`type-errors.ts(${i + 1}): ${m[1]}`] : [];
  });
  const result = run(process.execPath, [tsc, '-p', 'tsconfig.type-errors.json', '--pretty', 'false'], { cwd: project });
  const errors = [...result.out.matchAll(/^(.+?)\((\d+),\d+\): error (TS\d+)/gm)].map(([, file, line, code]) => `${file}(${line}): ${code}`);
  if (result.status === 0) fail(`tsc ${version} accepted type-errors.ts: winmux's types are not checked`);
  const missing = expected.filter((e) => !errors.includes(e));
  const extra = errors.filter((e) => !expected.includes(e));
  if (missing.length > 0 || extra.length > 0) {
    fail(`tsc ${version} on type-errors.ts: missing ${JSON.stringify(missing)}, unexpected ${JSON.stringify(extra)}\n${result.out}`);
  }
}

function* walk(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else yield full;
  }
}
