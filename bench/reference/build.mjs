// Builds the benchmarks' small Windows programs with MinGW-w64 into .cache/bench/, when the
// cross compiler is installed (Debian: apt install gcc-mingw-w64-x86-64), each only when missing
// or older than its source:
//   select-echo.exe         the raw-C select echo server the echo benchmark runs beside the
//                           others (without it, that row is left out);
//   winmux-sleeper.exe      the child of the children benchmark (sleeper.c; without it, that
//                           benchmark says so and stops).
// Runs with the machine's own Node before the benchmark starts (package.json "bench").
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, '..', '..', '.cache', 'bench');
const compiler = process.platform === 'win32' ? 'gcc' : 'x86_64-w64-mingw32-gcc';

const programs = [
  { source: 'select-echo.c', target: 'select-echo.exe', flags: ['-O2'], libraries: ['-lws2_32'], without: 'the echo benchmark runs without the raw-C reference server' },
  // No C runtime and the GUI subsystem: see the comment at the top of sleeper.c.
  { source: 'sleeper.c', target: 'winmux-sleeper.exe', flags: ['-O2', '-nostdlib', '-e', 'start', '-Wl,--subsystem,windows'], libraries: ['-lkernel32'], without: 'the children benchmark cannot run' },
];

for (const program of programs) {
  const source = path.join(here, program.source);
  const target = path.join(out, program.target);
  if (fs.existsSync(target) && fs.statSync(target).mtimeMs >= fs.statSync(source).mtimeMs) continue;
  fs.mkdirSync(out, { recursive: true });
  const result = spawnSync(compiler, [...program.flags, '-o', target, source, ...program.libraries], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.error !== undefined || result.status !== 0) {
    fs.rmSync(target, { force: true }); // never run a stale build
    console.error(`bench: no ${program.target} (${compiler} ${result.error ? 'not found' : 'failed'}); ${program.without} (Debian: apt install gcc-mingw-w64-x86-64)`);
  }
}
