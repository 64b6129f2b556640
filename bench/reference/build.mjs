// Builds bench/reference/select-echo.c into .cache/bench/select-echo.exe with MinGW-w64, when
// the cross compiler is installed (Debian: apt install gcc-mingw-w64-x86-64). The echo benchmark
// then runs it beside the other servers as the raw-C reference; without it, that row is left out.
// Runs with the machine's own Node before the benchmark starts (package.json "bench").
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const source = path.join(here, 'select-echo.c');
const target = path.join(here, '..', '..', '.cache', 'bench', 'select-echo.exe');
const compiler = process.platform === 'win32' ? 'gcc' : 'x86_64-w64-mingw32-gcc';

if (fs.existsSync(target) && fs.statSync(target).mtimeMs >= fs.statSync(source).mtimeMs) process.exit(0);
fs.mkdirSync(path.dirname(target), { recursive: true });
const result = spawnSync(compiler, ['-O2', '-o', target, source, '-lws2_32'], { stdio: ['ignore', 'inherit', 'inherit'] });
if (result.error !== undefined || result.status !== 0) {
  fs.rmSync(target, { force: true }); // never run a stale build
  console.error(`bench: no raw-C reference server (${compiler} ${result.error ? 'not found' : 'failed'}); ` +
    'the echo benchmark runs without it (Debian: apt install gcc-mingw-w64-x86-64)');
}
