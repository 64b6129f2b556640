import { existsSync } from 'node:fs';
import path from 'node:path';
import { defineConfig, type Plugin } from 'vitest/config';

/**
 * Under Wine, rolldown runs as its WASI build (NAPI_RS_FORCE_WASI, see scripts/winnode.mjs), and
 * the WASI sandbox cannot open Windows paths (Z:\…), so Vite's native resolver finds no relative
 * import. This resolves relative imports in JS first; with the native binding (real Windows,
 * Linux) it is not installed.
 */
function relativeImportsInJs(): Plugin {
  let root = process.cwd();
  return {
    name: 'winmux:relative-imports-in-js',
    enforce: 'pre',
    configResolved(config) {
      root = config.root;
    },
    resolveId(source, importer) {
      const [file, query] = source.split('?') as [string, string | undefined];
      let candidate: string;
      if (file.startsWith('./') || file.startsWith('../')) {
        if (importer === undefined) return null;
        candidate = path.resolve(path.dirname(importer), file);
      } else if (file.startsWith('/') && !file.startsWith('/@')) {
        candidate = path.join(root, file); // a root-relative URL, as Vite rewrites imports
      } else {
        return null;
      }
      // The query stays: a module imported with one is another module (test/win32/errors.test.ts).
      if (!existsSync(candidate)) return null;
      return query === undefined ? candidate : `${candidate}?${query}`;
    },
  };
}

/**
 * The loop-empty check (test/helpers/loop-empty.ts) must know every reactor a test makes. In the
 * test run every relative import of lib/scheduler/reactor.ts — lib's own too, so there is one
 * Reactor class — resolves to test/helpers/tracked-reactor.ts, a subclass that reports each
 * reactor made and closed; that file alone imports the real module.
 */
function trackReactors(): Plugin {
  let real = '';
  let tracked = '';
  const same = (a: string, b: string): boolean => path.relative(a, b) === '';
  return {
    name: 'winmux:track-reactors',
    enforce: 'pre',
    configResolved(config) {
      real = path.join(config.root, 'lib', 'scheduler', 'reactor.ts');
      tracked = path.join(config.root, 'test', 'helpers', 'tracked-reactor.ts');
    },
    resolveId(source, importer) {
      if (importer === undefined || !(source.startsWith('./') || source.startsWith('../'))) return null;
      const from = importer.split('?')[0]!;
      if (!same(path.resolve(path.dirname(from), source.split('?')[0]!), real) || same(from, tracked)) return null;
      return tracked;
    },
  };
}

/**
 * Test files that get a process of their own: killed-threads kills threads natively
 * (TerminateThread), which leaves their Node Workers and whatever they held in the process for
 * good.
 */
const OWN_PROCESS = ['test/faults/killed-threads.test.ts'];

export default defineConfig({
  plugins: [trackReactors(), ...(process.env.NAPI_RS_FORCE_WASI ? [relativeImportsInJs()] : [])],
  test: {
    // Test files run in child processes (vitest's forks), not in Worker threads of one process:
    // handle and thread counts are per process, and each file checks its own (before and after
    // its tests, test/helpers/resources.ts), so no two files may run in one process at once.
    pool: 'forks',
    // Three files at a time on this 2-core machine: much of a file's time is Wine starting
    // processes and threads and waiting on children or on the wineserver, not this process's CPU
    // (vitest's default is cores - 1). Measured on 2 cores, whole suite, a process per file: Wine 8
    // 289 s with two workers, 261 s with three; Wine 10 246–286 s with two, 244 s with three. With
    // the files sharing their worker's process (below): Wine 8 216–218 s with three, 256 s with four.
    maxWorkers: 3,
    // Every test ends with its reactors' loops empty (libuv's MAKE_VALGRIND_HAPPY): see the file.
    setupFiles: ['test/helpers/loop-empty-setup.ts'],
    // After-hooks run in the reverse of their order of registration: the setup file's afterEach
    // (registered first) runs after a test file's own, which closes its reactors.
    sequence: { hooks: 'stack' },
    // Wine starts processes and threads slowly; these bound a hang, they are not speed targets.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        // One after another in a process a test worker keeps (isolate: false), sharing its module
        // registry: a Windows Node process under Wine costs ~1 s of CPU to start and load vitest,
        // paid 54 times with a process per file. Each file still leaves nothing behind (its
        // resource check, the per-test loop-empty check), which is what makes that safe.
        extends: true,
        test: { name: 'shared', include: ['test/**/*.test.ts'], exclude: OWN_PROCESS, isolate: false },
      },
      {
        // Files whose process is what they test, or that leave it damaged on purpose.
        extends: true,
        test: { name: 'own-process', include: OWN_PROCESS, isolate: true },
      },
    ],
  },
});
