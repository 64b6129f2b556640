// vitest setupFiles module (vitest.config.ts): switches the loop-empty check (loop-empty.ts) on
// for every test file. Through tracked-reactor.ts — the Reactor class every import gets in the
// test run — it learns of each reactor when it is made, and wraps its close():
//   - just before close tears anything down, it records what the test left; once close has
//     finished, what close itself could not end; it records, never throws (close must still
//     release everything);
//   - key monitors are remembered as they are made (the reactor's stats do not count their waiters).
// Then `afterEach` fails the test with what its reactors left, and closes (and fails) any it never
// closed; `afterAll` does the same for reactors made outside a test (beforeAll, a describe body).
import { afterAll, afterEach, beforeEach } from 'vitest';
import { tracker } from './tracked-reactor.ts';
import { checkAfterClose, checkBeforeClose, describeReactor, finishReactors, reactorsOf, setTracked, trackedOf } from './loop-empty.ts';

let count = 0;
let inTest = false;

tracker.current = {
  made(reactor) {
    setTracked(reactor, { label: describeReactor(reactor, ++count), closing: undefined, allowed: undefined, monitors: [], findings: [] });
    reactorsOf[inTest ? 'test' : 'file'].push(reactor);
  },

  close(reactor, close) {
    const entry = trackedOf(reactor)!;
    if (entry.closing !== undefined) return close(); // idempotent: the same promise
    try {
      checkBeforeClose(reactor, entry);
    } catch (error) {
      entry.findings.push(`${entry.label}: the check before close failed: ${String(error)}`);
    }
    const closing = close();
    // Close's own failure is the caller's to see; the check runs either way.
    entry.closing = closing.then(() => {}, () => {}).then(() => checkAfterClose(reactor, entry)).catch((error: unknown) => {
      entry.findings.push(`${entry.label}: the check after close failed: ${String(error)}`);
    });
    return closing;
  },

  monitor(reactor, monitor) {
    trackedOf(reactor)!.monitors.push(monitor);
  },
};

beforeEach(() => {
  inTest = true;
});

afterEach(async () => {
  inTest = false;
  await finishReactors(reactorsOf.test.splice(0));
});

afterAll(async () => {
  await finishReactors(reactorsOf.file.splice(0));
});
