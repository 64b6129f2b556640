// `npm run bench -- <name> [args…]`, run by this machine's own Node (plain JavaScript, no
// TypeScript: on Linux this Node is not the Windows Node the benchmarks run on).
//
//  1. Builds the raw-C reference server when MinGW-w64 is there (bench/reference/build.mjs).
//  2. On Linux, for the benchmarks that drive echo load (echo, coexist, round-trip): builds the native load
//     client bench/loadgen/echo-load.c with `cc` into .cache/bench/echo-load (when missing or
//     older than its source) and starts `echo-load serve`. The benchmark runs under Wine, and a load client under Wine would share
//     the wineserver with the server it measures; Windows Node under Wine cannot start a Linux
//     program itself, so the client is started here and bench/load-client.ts reaches it over
//     loopback TCP at the address passed in WINMUX_LOAD_CLIENT. Its stdin is a pipe from this
//     process: it exits when that pipe closes, so it never outlives the benchmark.
//  3. On Linux, for the http benchmark: installs wrk (Debian's package, `apt-get install -y wrk`,
//     as root) when it is missing, and offers to run it on the benchmark's behalf: a loopback
//     TCP service (address in WINMUX_WRK) that takes one JSON line per run ({url, connections,
//     seconds, postBytes}), runs wrk with one thread and --latency, and answers one JSON line
//     ({code, stdout, stderr}). A POST body comes from a Lua script written here.
//  4. Runs bench/run.ts with Windows Node (scripts/winnode.mjs; directly on Windows) and exits
//     with its exit code.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const args = process.argv.slice(2);
const CONTROL_LINE_TIMEOUT_MS = 10_000;
/** The benchmarks that drive an echo server with bench/load-client.ts. */
const ECHO_LOAD_BENCHMARKS = new Set(['echo', 'coexist', 'round-trip']);

function say(message) {
  process.stderr.write(`bench: ${message}\n`);
}

const reference = spawnSync(process.execPath, [path.join(here, 'reference', 'build.mjs')], { stdio: 'inherit' });
if (reference.error !== undefined) throw reference.error;
if (reference.status !== 0) process.exit(reference.status ?? 1);

/** Builds .cache/bench/echo-load when needed; returns its path, or undefined (and says why). */
function buildLoadClient() {
  const source = path.join(here, 'loadgen', 'echo-load.c');
  const target = path.join(root, '.cache', 'bench', 'echo-load');
  if (fs.existsSync(target) && fs.statSync(target).mtimeMs >= fs.statSync(source).mtimeMs) return target;
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const result = spawnSync('cc', ['-O2', '-Wall', '-o', target, source, '-lm'], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.error === undefined && result.status === 0) return target;
  fs.rmSync(target, { force: true }); // never run a stale build
  say(`cannot build the native load client (cc ${result.error ? `not runnable: ${result.error.message}` : `exited with ${result.status ?? result.signal}`}); ` +
    'the benchmark drives the servers from Node net in its own process instead');
  return undefined;
}

/** Starts `echo-load serve` and waits for its `control <port>` line. */
async function startLoadClient(program) {
  const child = spawn(program, ['serve'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  try {
    const port = await new Promise((resolve, reject) => {
      let text = '';
      const timer = setTimeout(() => reject(new Error(`no control line within ${CONTROL_LINE_TIMEOUT_MS / 1000} s`)), CONTROL_LINE_TIMEOUT_MS);
      child.once('error', (error) => { clearTimeout(timer); reject(error); });
      exited.then((how) => { clearTimeout(timer); reject(new Error(`it exited (${how}) before its control line`)); });
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk) => {
        text += chunk;
        const match = /^control (\d+)\n/.exec(text);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      });
    });
    child.stdout.resume(); // keep draining whatever else it prints
    return { child, exited, port };
  } catch (error) {
    child.kill('SIGKILL');
    say(`the native load client did not start (${error.message}); the benchmark drives the servers from Node net instead`);
    return undefined;
  }
}

/** Ends echo-load: closes its stdin (it exits at EOF), then signals it if it lingers. */
async function stopLoadClient(load) {
  if (load === undefined || load.child.exitCode !== null || load.child.signalCode !== null) return;
  load.child.stdin.end();
  const timer = setTimeout(() => load.child.kill('SIGKILL'), 2000);
  load.child.kill('SIGTERM');
  await load.exited;
  clearTimeout(timer);
}

/** wrk on PATH, installed from Debian's package when missing and we are root; undefined (and says why) otherwise. */
function findWrk() {
  const works = () => spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined;
  if (works()) return 'wrk';
  if (process.getuid?.() !== 0) {
    say('wrk is not installed and this is not root: install it (apt-get install -y wrk) and run again');
    return undefined;
  }
  say('wrk is not installed: apt-get install -y wrk');
  let result = spawnSync('apt-get', ['install', '-y', 'wrk'], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) {
    spawnSync('apt-get', ['update'], { stdio: ['ignore', 'inherit', 'inherit'] });
    result = spawnSync('apt-get', ['install', '-y', 'wrk'], { stdio: ['ignore', 'inherit', 'inherit'] });
  }
  if (works()) return 'wrk';
  say('could not install wrk');
  return undefined;
}

/** The wrk service (step 3): resolves with its server once it listens on a loopback port. */
async function startWrkService(program) {
  const scripts = path.join(root, '.cache', 'bench');
  fs.mkdirSync(scripts, { recursive: true });
  const scriptFor = (bytes) => {
    const file = path.join(scripts, `wrk-post-${bytes}.lua`);
    fs.writeFileSync(file, `wrk.method = "POST"\nwrk.body = string.rep("x", ${bytes})\nwrk.headers["Content-Type"] = "application/octet-stream"\n`);
    return file;
  };
  const service = net.createServer((socket) => {
    let text = '';
    socket.setEncoding('utf8');
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      text += chunk;
      const end = text.indexOf('\n');
      if (end < 0) return;
      const { url, connections, seconds, postBytes } = JSON.parse(text.slice(0, end));
      const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency'];
      if (postBytes > 0) args.push('-s', scriptFor(postBytes));
      const child = spawn(program, [...args, url], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', (error) => socket.end(`${JSON.stringify({ code: -1, stdout, stderr: error.message })}\n`));
      child.on('close', (code) => socket.end(`${JSON.stringify({ code: code ?? -1, stdout, stderr })}\n`));
    });
  });
  await new Promise((resolve) => service.listen(0, '127.0.0.1', resolve));
  return service;
}

let load;
let wrkService;
const env = { ...process.env };
if (process.platform !== 'win32' && args[0] === 'http') {
  const program = findWrk();
  if (program !== undefined) {
    wrkService = await startWrkService(program);
    env.WINMUX_WRK = `127.0.0.1:${wrkService.address().port}`;
  }
}
if (process.platform !== 'win32' && ECHO_LOAD_BENCHMARKS.has(args[0])) {
  const program = buildLoadClient();
  if (program !== undefined) load = await startLoadClient(program);
  if (load !== undefined) {
    env.WINMUX_LOAD_CLIENT = `127.0.0.1:${load.port}`;
    // Its stdin pipe is what ends it: an error on that pipe (it already exited) is no concern here.
    load.child.stdin.on('error', () => {});
  }
}
// Last resort (an exception in this script): the stdin pipe closing ends it anyway, this is sooner.
process.on('exit', () => load?.child.kill('SIGKILL'));

const runner = process.platform === 'win32'
  ? spawn(process.execPath, [path.join(here, 'run.ts'), ...args], { stdio: 'inherit', cwd: root, env })
  : spawn(process.execPath, [path.join(root, 'scripts', 'winnode.mjs'), 'exec', path.join('bench', 'run.ts'), ...args], { stdio: 'inherit', cwd: root, env });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => runner.kill(signal));
const code = await new Promise((resolve) => {
  runner.once('error', (error) => {
    say(`cannot run the benchmark: ${error.message}`);
    resolve(1);
  });
  runner.once('exit', (status, signal) => resolve(status ?? (signal ? 128 : 1)));
});
await stopLoadClient(load);
wrkService?.close();
process.exit(code);
