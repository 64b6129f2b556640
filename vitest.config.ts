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
      const file = source.split('?')[0]!;
      let candidate: string;
      if (file.startsWith('./') || file.startsWith('../')) {
        if (importer === undefined) return null;
        candidate = path.resolve(path.dirname(importer), file);
      } else if (file.startsWith('/') && !file.startsWith('/@')) {
        candidate = path.join(root, file); // a root-relative URL, as Vite rewrites imports
      } else {
        return null;
      }
      return existsSync(candidate) ? candidate : null;
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

export default defineConfig({
  plugins: [trackReactors(), ...(process.env.NAPI_RS_FORCE_WASI ? [relativeImportsInJs()] : [])],
  test: {
    include: ['test/**/*.test.ts'],
    // Each file in its own process: handle and thread counts are per process, and each file
    // checks them (test/helpers/resources.ts).
    pool: 'forks',
    // Three files at a time on this 2-core machine: much of a file's time is Wine starting
    // processes and threads and waiting on children or on the wineserver, not this process's CPU
    // (vitest's default is cores - 1). Measured on 2 cores, whole suite: Wine 8 289 s with two,
    // 261 s with three; Wine 10 246–286 s with two, 244 s with three.
    maxWorkers: 3,
    // Every test ends with its reactors' loops empty (libuv's MAKE_VALGRIND_HAPPY): see the file.
    setupFiles: ['test/helpers/loop-empty-setup.ts'],
    // After-hooks run in the reverse of their order of registration: the setup file's afterEach
    // (registered first) runs after a test file's own, which closes its reactors.
    sequence: { hooks: 'stack' },
    // Wine starts processes and threads slowly; these bound a hang, they are not speed targets.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
