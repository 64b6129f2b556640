// vitest setupFiles module (vitest.config.ts): switches the loop-empty check (loop-empty.ts) on
// for every test file. It wraps the Reactor's public methods — the class tests import through
// lib/index.ts is the one instance every lib module uses — so that:
//   - the first call on a reactor tracks it (a reactor nobody ever calls leaks its handles, which
//     checkResourcesReleased reports at the end of the file);
//   - `close()` looks before tearing down and again once closed, and records, never throws;
//   - `monitorCompletionKey()` remembers its monitors (the reactor's stats do not count their waiters).
// Then `afterEach` fails the test with what its reactors left, and closes (and fails) any it never
// closed; `afterAll` does the same for reactors made outside a test (beforeAll, a describe body).
import { afterAll, afterEach, beforeEach } from 'vitest';
import { Reactor, type KeyMonitor } from '../../lib/index.ts';
import { checkAfterClose, checkBeforeClose, describeReactor, setTracked, trackedOf, type Tracked } from './loop-empty.ts';

let count = 0;
let inTest = false;
/** Reactors of the current test, and of the file outside any test, in the order first used. */
const ofTest: Reactor[] = [];
const ofFile: Reactor[] = [];

function track(reactor: Reactor): Tracked {
  let entry = trackedOf(reactor);
  if (entry !== undefined) return entry;
  entry = { label: `reactor ${++count}`, inTest, closing: undefined, allowed: undefined, monitors: [], findings: [] };
  setTracked(reactor, entry); // before describeReactor, whose stats() call comes back here
  entry.label = describeReactor(reactor, count);
  (inTest ? ofTest : ofFile).push(reactor);
  return entry;
}

const proto = Reactor.prototype as unknown as Record<PropertyKey, unknown>;
for (const key of Reflect.ownKeys(proto)) {
  if (key === 'constructor') continue;
  const descriptor = Object.getOwnPropertyDescriptor(proto, key)!;
  if (typeof descriptor.value === 'function') {
    const method = descriptor.value as (this: Reactor, ...args: unknown[]) => unknown;
    descriptor.value = key === 'close' ? wrapClose(method) : function (this: Reactor, ...args: unknown[]): unknown {
      const entry = track(this);
      const result = method.apply(this, args);
      if (key === 'monitorCompletionKey') entry.monitors.push(result as KeyMonitor);
      return result;
    };
  } else if (descriptor.get !== undefined) {
    const get = descriptor.get;
    descriptor.get = function (this: Reactor): unknown {
      track(this);
      return get.call(this);
    };
  }
  Object.defineProperty(proto, key, descriptor);
}

function wrapClose(close: (this: Reactor) => unknown): (this: Reactor) => Promise<void> {
  return function (this: Reactor): Promise<void> {
    const entry = track(this);
    if (entry.closing !== undefined) return close.call(this) as Promise<void>; // idempotent: the same promise
    try {
      checkBeforeClose(this, entry);
    } catch (error) {
      entry.findings.push(`${entry.label}: the check before close failed: ${String(error)}`);
    }
    const closing = close.call(this) as Promise<void>;
    entry.closing = closing.then(
      () => checkAfterClose(this, entry),
      () => checkAfterClose(this, entry), // close's own failure is the caller's to see
    ).catch((error: unknown) => {
      entry.findings.push(`${entry.label}: the check after close failed: ${String(error)}`);
    });
    return closing;
  };
}

/** Closes what was never closed, waits for every close, and throws with everything found. */
async function finish(reactors: Reactor[]): Promise<void> {
  const findings: string[] = [];
  for (const reactor of reactors.splice(0)) {
    const entry = trackedOf(reactor)!;
    if (entry.closing === undefined) {
      findings.push(`${entry.label} was never closed`);
      await reactor.close().catch(() => {});
    }
    await entry.closing;
    findings.push(...entry.findings.splice(0));
  }
  if (findings.length > 0) throw new Error(`the loop was not empty (test/helpers/loop-empty.ts):\n  ${findings.join('\n  ')}`);
}

beforeEach(() => {
  inTest = true;
});

afterEach(async () => {
  inTest = false;
  await finish(ofTest);
});

afterAll(async () => {
  await finish(ofFile);
});
