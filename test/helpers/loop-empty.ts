// Every test ends with its loops empty — libuv's MAKE_VALGRIND_HAPPY (test/task.h closes every
// handle, runs the loop, and asserts uv_loop_close() == 0): when a test closes a reactor,
// nothing may be left waiting, armed, in flight or queued that the test did not mean to leave.
//
// How: loop-empty-setup.ts (a vitest setupFiles module, so every test file has it) learns of
// every reactor as it is made (tracked-reactor.ts: in the test run, lib's Reactor is a subclass
// that reports itself) and looks at it twice when it is closed — just before close tears anything
// down (what the test left), and once close has finished (what close itself could not end: a
// packet that never came, a thread not joined). A finding is recorded, never thrown inside close
// (the reactor must still release everything), and fails the test in `afterEach` (or the file in
// `afterAll`, for a reactor made outside a test), with what was left: "reactor 1 (select) left at
// close: readWaiters 1, sleeps 2". A reactor the test never closed fails too, and is closed then.
//
// A test that closes with work pending on purpose (close rejects pending waits, fault tests)
// says exactly what it leaves, before it closes: `allowLeft(reactor, { readWaiters: 1 })`. The
// counts must match: a test whose premise is "a read is pending at close" fails if none was.
//
// The check reads `stats()` twice per reactor; it costs nothing next to making the reactor.
import type { KeyMonitor, Reactor, ReactorStats } from '../../lib/index.ts';
import { kWakeupEnd } from '../../lib/scheduler/reactor.ts';
import { MAX_GROUP_SIZE } from '../../lib/afd/poll-group.ts';

/** What a reactor left, by item: the names are those of `BEFORE_CLOSE` and `AFTER_CLOSE`. */
export type Left = Partial<Record<Item, number>>;

/**
 * Looked at when `close()` is called, before it ends anything. Each is a task that will never be
 * resumed except by close's rejection, or work accepted and never run.
 */
const BEFORE_CLOSE = {
  /** Socket waits pending (waitReadable / waitWritable, and the reads, writes, accepts on top of them). */
  readWaiters: (s: ReactorStats) => s.readWaiters,
  writeWaiters: (s: ReactorStats) => s.writeWaiters,
  /** Sockets the readiness backend still has armed with no waiter (the reactor's own wakeup socket aside). */
  readArmedNoWaiter: (s: ReactorStats, wakeup: number) => Math.max(0, num(s.readiness.readArmed) - wakeup - s.readWaiters),
  writeArmedNoWaiter: (s: ReactorStats) => Math.max(0, num(s.readiness.writeArmed) - s.writeWaiters),
  /**
   * Overlapped operations waiting for their packets. AFD's polls are not counted: one may stay in
   * flight while its socket is open, and a cancelled one until its packet comes, which close
   * waits for — a poll still in flight once close has finished is counted (abandonedPolls).
   */
  overlappedOperations: (s: ReactorStats) => Math.max(0, s.overlappedWaiters - num(s.readiness.pollsInFlight)),
  objectWaits: (s: ReactorStats) => s.objectWaits,
  /** Sleeps a task awaits (deadline signals' and the waiter pool's own timers are not waits). */
  sleeps: (s: ReactorStats) => s.sleeps,
  /** Call-soon work never run (close drops it). Tasks deferred for fairness are not counted: close resumes them. */
  callbacks: (s: ReactorStats) => s.callbacks,
  channelReceivers: (s: ReactorStats) => s.channelReceivers,
} satisfies Record<string, (s: ReactorStats, wakeup: number) => number>;

/** Looked at once `close()` has finished: what close gave up on. */
const AFTER_CLOSE = {
  /** Operations whose packets never came within close's drain: abandoned (their memory kept forever). */
  abandonedOperations: (s: ReactorStats) => s.overlappedWaiters,
  abandonedPolls: (s: ReactorStats) => num(s.readiness.pollsInFlight),
  objectWaitsAfterClose: (s: ReactorStats) => s.objectWaits,
  waiterThreadsAfterClose: (s: ReactorStats) => s.waiterThreads,
  iocpWorkerRunning: (s: ReactorStats) => (s.iocpWorker === 'running' ? 1 : 0),
  guestHelperRunning: (s: ReactorStats) => (s.guestHelper === 'waiting' || s.guestHelper === 'idle' || s.guestHelper === 'starting' ? 1 : 0),
} satisfies Record<string, (s: ReactorStats) => number>;

/** Key monitors with a `next()` waiting (the reactor's stats do not count them; tracked-reactor.ts reports each monitor made). */
const KEY_MONITOR_WAITERS = 'keyMonitorWaiters';

type Item = keyof typeof BEFORE_CLOSE | keyof typeof AFTER_CLOSE | typeof KEY_MONITOR_WAITERS;

function num(value: number | string | readonly number[] | undefined): number {
  return typeof value === 'number' ? value : 0;
}

/** AFD's sockets with a poll group (the AFD backend's stats; absent before that field exists, and for other backends). */
function registeredSockets(s: ReactorStats): number | undefined {
  const n = s.readiness.registeredSockets;
  return typeof n === 'number' ? n : undefined;
}

/** What the tracker knows of one reactor. */
export interface Tracked {
  /** "reactor 2 (afd, port, guest)", for messages. */
  label: string;
  closing: Promise<void> | undefined;
  allowed: Left | undefined;
  monitors: KeyMonitor[];
  /** Findings not yet reported. */
  findings: string[];
}

const tracked = new WeakMap<Reactor, Tracked>();

/** Reactors made during the current test (its hooks included), checked at its end; and those of the file, checked at the file's end. */
export const reactorsOf: { test: Reactor[]; file: Reactor[] } = { test: [], file: [] };

/** The tracker's entry for `reactor` (loop-empty-setup.ts makes them). */
export function trackedOf(reactor: Reactor): Tracked | undefined {
  return tracked.get(reactor);
}

export function setTracked(reactor: Reactor, entry: Tracked): void {
  tracked.set(reactor, entry);
}

/**
 * This test closes `reactor` with exactly `left` pending on purpose (say, to check that close
 * rejects a pending read): `{ readWaiters: 1 }`. Every item not named must still be empty.
 * Call it before `close()`.
 */
export function allowLeft(reactor: Reactor, left: Left): void {
  const entry = tracked.get(reactor);
  if (entry === undefined) throw new Error('allowLeft: this reactor is not tracked (was test/helpers/loop-empty-setup.ts loaded?)');
  if (entry.closing !== undefined) throw new Error(`allowLeft: ${entry.label} is already closed; call allowLeft before close()`);
  entry.allowed = { ...entry.allowed, ...left };
}

/**
 * `reactor`, made in a test, is a fixture later tests share (made lazily, closed in `afterAll` or
 * when a test breaks it): it is checked when it is closed, and must be closed by the file's end
 * rather than the test's.
 */
export function shareAcrossTests(reactor: Reactor): void {
  const at = reactorsOf.test.indexOf(reactor);
  if (at < 0) throw new Error('shareAcrossTests: this reactor was not made in the current test');
  reactorsOf.test.splice(at, 1);
  reactorsOf.file.push(reactor);
}

/** The reactor's mode, for messages: its readiness backend, where it waits, guest or host. */
export function describeReactor(reactor: Reactor, n: number): string {
  const s = reactor.stats();
  const parts = [String(s.readiness.backend)];
  if (s.iocpWorker === 'none (port mode)') parts.push('port');
  else if (s.readiness.backend === 'afd') parts.push('in select');
  if (s.guest) parts.push('guest');
  return `reactor ${n} (${parts.join(', ')})`;
}

function compare(entry: Tracked, found: Left, items: readonly string[], when: string): void {
  const wrong: string[] = [];
  for (const item of items) {
    const n = found[item as Item] ?? 0;
    const allowed = entry.allowed?.[item as Item] ?? 0;
    if (n !== allowed) wrong.push(allowed === 0 ? `${item} ${n}` : `${item} ${n} (the test allowed ${allowed})`);
  }
  if (wrong.length > 0) entry.findings.push(`${entry.label} ${when}: ${wrong.join(', ')}`);
}

/** Before close tears anything down: records what the test left. */
export function checkBeforeClose(reactor: Reactor, entry: Tracked): void {
  const s = reactor.stats();
  if (s.closed) return; // closed already (by the loop itself): nothing to look at
  const wakeup = reactor[kWakeupEnd] === undefined ? 0 : 1;
  const found: Left = {};
  for (const [item, read] of Object.entries(BEFORE_CLOSE)) found[item as Item] = read(s, wakeup);
  found[KEY_MONITOR_WAITERS] = entry.monitors.filter((m) => m.waiting).length;
  compare(entry, found, [...Object.keys(BEFORE_CLOSE), KEY_MONITOR_WAITERS], 'left at close');
  checkPollGroups(s, entry);
}

/** Once close has finished: records what close could not end. */
export function checkAfterClose(reactor: Reactor, entry: Tracked): void {
  const s = reactor.stats();
  const found: Left = {};
  for (const [item, read] of Object.entries(AFTER_CLOSE)) found[item as Item] = read(s);
  compare(entry, found, Object.keys(AFTER_CLOSE), 'after close');
}

/**
 * AFD: the poll groups' sizes (`groupSizes`) sum to the sockets registered, each between 0 and
 * the group limit. Checked only where the backend reports both.
 */
function checkPollGroups(s: ReactorStats, entry: Tracked): void {
  const sizes = (s.readiness as unknown as { groupSizes?: unknown }).groupSizes;
  const registered = registeredSockets(s);
  if (!Array.isArray(sizes) || registered === undefined) return;
  const limit = MAX_GROUP_SIZE;
  const sum = sizes.reduce((a: number, b: number) => a + b, 0);
  const bad = sizes.filter((n: number) => !Number.isInteger(n) || n < 0 || n > limit);
  if (sum !== registered || bad.length > 0) {
    entry.findings.push(`${entry.label} AFD poll groups at close: sizes [${sizes.join(', ')}] (limit ${limit}) for ${registered} registered sockets`);
  }
}

/**
 * The end of a test (or file): closes each reactor never closed (a finding of its own), waits for
 * every close and its check, and throws with everything found.
 */
export async function finishReactors(reactors: readonly Reactor[]): Promise<void> {
  const findings: string[] = [];
  for (const reactor of reactors) {
    const entry = tracked.get(reactor)!;
    if (entry.closing === undefined) {
      findings.push(`${entry.label} was never closed`);
      await reactor.close().catch(() => {});
    }
    await entry.closing;
    findings.push(...entry.findings.splice(0));
  }
  if (findings.length > 0) throw new Error(`the loop was not empty (test/helpers/loop-empty.ts):\n  ${findings.join('\n  ')}`);
}
