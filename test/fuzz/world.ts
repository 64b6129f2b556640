// One fuzz run's world: one reactor, every family's resources on it, the helper thread, and the
// checks. The engine (engine.ts) applies an operation, lets the loop turn once, then calls
// `checkStep`; after the last operation, `drain` brings what must complete to completion, `closeAll`
// closes everything and checks that the reactor is back to empty; `stop` closes the reactor and
// checks that the process's kernel handles and OS threads are back to where they were.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Reactor, processHandleCount, processThreadCount, wineVersion, winsock, type ReactorOptions, type ReactorStats } from '../../lib/index.ts';
import type { Context, Family, Tracking } from './context.ts';
import { Aborts } from './aborts.ts';
import { Helper } from './helper.ts';
import type { Op } from './ops.ts';
import { judgeError, type KnownDefect, type Violation, type ViolationKind } from './outcomes.ts';
import { HANG_ITERATIONS, HANG_MS, Pending, type Holds, type PendingOp } from './pending.ts';
import { SLOTS } from './generate.ts';
import { TcpFamily } from './families/tcp.ts';
import { RawFamily } from './families/raw.ts';
import { UdpFamily } from './families/udp.ts';
import { PipeFamily } from './families/pipe.ts';
import { FileFamily } from './families/file.ts';
import { WatcherFamily } from './families/watcher.ts';
import { KeyFamily } from './families/keys.ts';
import { EventFamily } from './families/events.ts';
import { ChildFamily } from './families/child.ts';
import { TimeFamily } from './families/time.ts';
import { ChannelFamily } from './families/channel.ts';

let runs = 0;

function describeReason(reason: unknown): string {
  return reason instanceof Error ? `${reason.constructor.name}: ${reason.message}\n${reason.stack ?? ''}` : String(reason);
}

/** Reads every numeric field of the stats (readiness's too), for the never-negative check. */
function numbers(stats: object, prefix = ''): [string, number][] {
  return Object.entries(stats).flatMap(([key, value]): [string, number][] => {
    if (typeof value === 'number') return [[`${prefix}${key}`, value]];
    if (Array.isArray(value)) return value.flatMap((v, i) => (typeof v === 'number' ? [[`${prefix}${key}[${i}]`, v] as [string, number]] : []));
    if (typeof value === 'object' && value !== null) return numbers(value, `${prefix}${key}.`);
    return [];
  });
}

export class World implements Context {
  readonly reactor: Reactor;
  readonly pending: Pending;
  readonly aborts: Aborts;
  readonly helper: Helper;
  readonly wine = wineVersion() !== null;
  readonly dir: string;
  readonly runId: string;
  step = -1;
  readonly violations: Violation[] = [];
  readonly #families: Record<string, Family>;
  readonly #baseline: { handles: number; threads: number };
  readonly #emptyStats: ReactorStats;
  #later: { steps: number; action: () => void }[] = [];
  #closing = false;
  readonly #onUnhandled = (reason: unknown): void => this.violate('unhandled-rejection', describeReason(reason));

  private constructor(reactor: Reactor, helper: Helper, baseline: { handles: number; threads: number }, dir: string) {
    this.reactor = reactor;
    this.helper = helper;
    this.#baseline = baseline;
    this.dir = dir;
    this.runId = `${process.pid}-${++runs}`;
    this.pending = new Pending(reactor);
    this.aborts = new Aborts(reactor);
    this.#emptyStats = reactor.stats();
    const time = new TimeFamily(this);
    this.#families = {
      tcp: new TcpFamily(this, SLOTS.tcp),
      raw: new RawFamily(this),
      udp: new UdpFamily(this, SLOTS.udp),
      pipe: new PipeFamily(this, SLOTS.pipe),
      file: new FileFamily(this, SLOTS.file),
      watch: new WatcherFamily(this),
      key: new KeyFamily(this, SLOTS.key),
      event: new EventFamily(this, SLOTS.event),
      child: new ChildFamily(this),
      timer: time,
      soon: time,
      chan: new ChannelFamily(this),
    };
    process.on('unhandledRejection', this.#onUnhandled);
  }

  /** Takes the (shared) helper thread, the process's handle and thread counts, then makes the reactor. */
  static async start(mode: ReactorOptions): Promise<World> {
    // Winsock keeps one handle for the process's life from the first bind on (test/helpers/resources.ts): not the run's.
    winsock.closeQuietly(...winsock.loopbackPair());
    const helper = await Helper.shared();
    const baseline = { handles: processHandleCount(), threads: processThreadCount() };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'winmux-fuzz-'));
    return new World(new Reactor(mode), helper, baseline, dir);
  }

  get failed(): boolean {
    return this.violations.some((v) => v.known === undefined);
  }

  violate(kind: ViolationKind, message: string, known?: KnownDefect): void {
    this.violations.push({ kind, message, step: this.step, ...(known === undefined ? {} : { known }) });
  }

  track<T>(what: string, holds: Holds, promise: Promise<T>, tracking: Tracking<T>): PendingOp {
    const op = this.pending.add(what, holds, this.step);
    const { signal } = tracking;
    if (signal?.aborted) op.markDue('its signal was aborted');
    else signal?.addEventListener('abort', () => op.markDue('its signal aborted'), { once: true });
    promise.then(
      (value) => {
        this.pending.settle(op);
        tracking.onValue(value);
        op.finish();
      },
      (error: unknown) => {
        this.pending.settle(op);
        // Once the reactor closes (the end of a run that failed), everything still pending ends so.
        const closed = tracking.allowed.closed;
        const wrong = judgeError(what, error, { ...tracking.allowed, closed: () => this.#closing || closed?.() === true });
        if (wrong !== undefined) this.violate(wrong.kind, wrong.message, tracking.knownError?.(error));
        tracking.onError?.(error, wrong === undefined);
        op.finish();
      },
    ).catch((error: unknown) => {
      // The fuzzer's own judge threw: a bug here, reported so it is seen.
      this.violate('unexpected-error', `the fuzzer's check of ${what} threw: ${describeReason(error)}`);
      op.finish();
    });
    return op;
  }

  later(steps: number, action: () => void): void {
    this.#later.push({ steps, action });
  }

  #tickLater(all = false): void {
    const due = this.#later.filter((l) => all || --l.steps <= 0);
    this.#later = all ? [] : this.#later.filter((l) => l.steps > 0);
    for (const { action } of due) action();
  }

  async until(condition: () => boolean, what: () => string, ms = HANG_MS): Promise<boolean> {
    const since = this.pending.since('until');
    let told = false;
    while (!condition()) {
      if (process.env.FUZZ_TRACE === '1' && !told && performance.now() - since.time > 5000) {
        told = true;
        console.log(`  still waiting: ${what()}`);
      }
      if (this.failed && this.step === -1) return false; // the drain of a run that failed already: stop
      if (this.reactor.stats().iterations - since.iteration > HANG_ITERATIONS && performance.now() - since.time > ms) {
        this.violate('hang', `${what()} (after ${HANG_ITERATIONS}+ iterations and ${ms}+ ms)`);
        return false;
      }
      // A reactor sleep turns the loop; the Node timer goes on should reactor timers be what is broken.
      const stop = new AbortController();
      await Promise.race([this.reactor.sleep(1, { signal: stop.signal }).catch(() => {}), delay(20)]);
      stop.abort();
      for (const family of new Set(Object.values(this.#families))) family.check();
    }
    return true;
  }

  flushHelper(): Promise<boolean> {
    return this.until(() => this.helper.outstanding === 0, () => `the helper thread did not carry out ${this.helper.outstanding} command(s)`);
  }

  /** Applies one operation. Returns false when it was skipped (its resource was not there). */
  async apply(op: Op, index: number): Promise<boolean> {
    this.step = index;
    let applied = true;
    const family = this.#families[op.kind.slice(0, op.kind.indexOf('.'))];
    try {
      if (family === undefined || !(await family.apply(op, () => (applied = false)))) throw new TypeError(`fuzzer: no family applies ${op.kind}`);
    } catch (error) {
      // A call that threw at once on valid arguments (File.open, new NamedPipeServer, …).
      const wrong = judgeError(`step ${index} (${op.kind})`, error, {});
      this.violate(wrong!.kind, wrong!.message);
    }
    this.aborts.tick();
    this.#tickLater();
    return applied;
  }

  /**
   * One turn of the loop, then every microtask it queued: an operation that settled in that
   * iteration has its outcome judged before the next step. (The checkpoint's own continuation is
   * a microtask of the same iteration and could otherwise run first: a write the library has
   * finished would still look in flight here.) A process.nextTick callback runs once the
   * microtask queue is empty; in host mode it also runs before the loop's next turn, so the
   * step costs no blocking poll. A guest loop runs inline iterations from process.nextTick
   * itself, so there a macrotask is the boundary (the guest never blocks Node's thread anyway).
   */
  async turn(): Promise<void> {
    const turned = await Promise.race([this.reactor.checkpoint().then(() => true), delay(2 * HANG_MS).then(() => false)]);
    if (!turned) this.violate('hang', `the loop made no iteration in ${2 * HANG_MS} ms (checkpoint() did not resolve)`);
    await new Promise((resolve) => (this.reactor.guest ? setImmediate(resolve) : process.nextTick(resolve)));
  }

  /** After the loop has turned: every family's checks, the hang rule, and stats against what is in flight. */
  checkStep(): void {
    for (const family of new Set(Object.values(this.#families))) family.check();
    for (const hang of this.pending.overdue()) this.violate('hang', hang);
    const s = this.reactor.stats();
    const extra = { overlapped: 0, object: 0 };
    for (const family of new Set(Object.values(this.#families))) {
      const holds = family.extraHolds?.();
      extra.overlapped += holds?.overlapped ?? 0;
      extra.object += holds?.object ?? 0;
    }
    const sockets = this.pending.count('socket');
    // AFD readiness polls are overlapped operations on the same port (cancelled ones until their packets come).
    const afdPolls = (s.readiness as { pollsInFlight?: number }).pollsInFlight ?? 0;
    const overlapped = this.pending.count('overlapped') + extra.overlapped + afdPolls;
    // An operation in emulated mode (a handle transferred where the OS cannot detach it) waits on its event.
    const objects = this.pending.count('object') + extra.object + overlapped;
    const timers = this.pending.count('timer') + this.aborts.liveTimeouts;
    const over: string[] = [];
    if (s.readWaiters + s.writeWaiters > sockets) over.push(`socket waiters ${s.readWaiters}+${s.writeWaiters} > ${sockets} operations that may wait on a socket`);
    if (s.readiness.writeArmed > sockets) over.push(`writeArmed ${s.readiness.writeArmed} > ${sockets}`);
    if (s.readiness.readArmed > sockets + this.#emptyStats.readiness.readArmed) over.push(`readArmed ${s.readiness.readArmed} > ${sockets} + ${this.#emptyStats.readiness.readArmed} (the wakeup)`);
    if (s.overlappedWaiters > overlapped) over.push(`overlappedWaiters ${s.overlappedWaiters} > ${overlapped} overlapped operations in flight`);
    if (s.objectWaits > objects) over.push(`objectWaits ${s.objectWaits} > ${objects} object waits and emulated operations in flight`);
    if (s.timers > timers) over.push(`timers ${s.timers} > ${timers} sleeps, timed waits and live timeout signals`);
    for (const [name, value] of numbers(s)) if (value < 0) over.push(`${name} is ${value}`);
    this.#checkGroups(s, over);
    if (over.length > 0) this.violate('stats', `reactor.stats() does not match what is in flight: ${over.join('; ')}`);
  }

  /** AFD poll groups, where the backend reports them: sizes that add up to the registered sockets. */
  #checkGroups(s: ReactorStats, out: string[]): void {
    const readiness = s.readiness as { groupSizes?: number[]; registeredSockets?: number };
    if (!Array.isArray(readiness.groupSizes) || typeof readiness.registeredSockets !== 'number') return;
    const sum = readiness.groupSizes.reduce((a, b) => a + b, 0);
    if (sum !== readiness.registeredSockets) out.push(`AFD groupSizes add up to ${sum}, registeredSockets is ${readiness.registeredSockets}`);
  }

  /** After the last operation: every signal fires, and each family brings its work to completion. */
  async drain(): Promise<void> {
    this.step = -1;
    this.aborts.fireAll();
    this.#tickLater(true);
    await this.flushHelper();
    for (const family of new Set(Object.values(this.#families))) {
      if (process.env.FUZZ_TRACE === '1') console.log(`  drain ${family.constructor.name}`);
      await family.drain();
      if (this.failed) return;
    }
  }

  /** Closes every resource; with `check`, everything must settle and the reactor must be back to empty. */
  async closeAll(check: boolean): Promise<void> {
    this.step = -1;
    this.aborts.fireAll();
    this.#tickLater(true);
    for (const family of new Set(Object.values(this.#families))) await family.close();
    if (!check) return;
    this.pending.markAllDue('every resource was closed');
    await this.until(() => this.pending.size === 0, () => `after every resource was closed, still pending: ${this.pending.all().map((op) => `${op.what} (step ${op.step})`).join('; ')}`);
    // Timeout signals hold their timers until they fire.
    await this.until(() => this.aborts.liveTimeouts === 0, () => `${this.aborts.liveTimeouts} timeout signal(s) never fired`);
    // Cancelled AFD polls come back on their own.
    const afd = (): number => (this.reactor.stats().readiness as { pollsInFlight?: number }).pollsInFlight ?? 0;
    await this.until(() => afd() === 0, () => `AFD pollsInFlight stayed at ${afd()} with nothing waiting on a socket`);
    this.#checkEmpty();
  }

  /** libuv's MAKE_VALGRIND_HAPPY: with everything closed, the reactor holds nothing. */
  #checkEmpty(): void {
    const s = this.reactor.stats();
    const readiness = s.readiness as Record<string, unknown>;
    const left: string[] = [];
    for (const key of ['readWaiters', 'writeWaiters', 'overlappedWaiters', 'objectWaits', 'timers', 'callbacks', 'channels', 'iocpBacklog'] as const) {
      if (s[key] !== 0) left.push(`${key} ${s[key]}`);
    }
    if (s.readiness.writeArmed !== 0) left.push(`readiness.writeArmed ${s.readiness.writeArmed}`);
    if (s.readiness.readArmed !== this.#emptyStats.readiness.readArmed) left.push(`readiness.readArmed ${s.readiness.readArmed} (${this.#emptyStats.readiness.readArmed} when made)`);
    for (const key of ['registeredSockets', 'readSet', 'writeSet']) {
      const now = readiness[key];
      const then = (this.#emptyStats.readiness as Record<string, unknown>)[key];
      if (typeof now === 'number' && typeof then === 'number' && now > then) left.push(`readiness.${key} ${now} (${then} when made)`);
    }
    if (left.length > 0) this.violate('stats', `with every resource closed and nothing pending, the reactor still holds: ${left.join(', ')}`);
  }

  /** Closes the reactor and resets the helper; with `check`, the process's handles and threads must be back at the baseline. */
  async stop(check: boolean): Promise<void> {
    this.step = -1;
    this.#closing = true;
    const closing = this.reactor.close();
    const closed = await Promise.race([closing.then(() => true), delay(60_000).then(() => false)]);
    if (!closed) this.violate('hang', 'reactor.close() did not finish within 60 s');
    if (!(await Promise.race([this.helper.send({ type: 'reset' }).then(() => true), delay(30_000).then(() => false)]))) {
      this.violate('hang', 'the helper thread did not carry out its reset within 30 s');
      await Helper.stopShared(); // the next run starts a fresh one
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
    // Let a rejection that was going to be unhandled show up before the listener goes.
    await delay(0);
    process.off('unhandledRejection', this.#onUnhandled);
    if (!check || !closed) return;
    let now = { handles: processHandleCount(), threads: processThreadCount() };
    for (const until = Date.now() + 10_000; (now.handles > this.#baseline.handles || now.threads > this.#baseline.threads) && Date.now() < until;) {
      await delay(50);
      now = { handles: processHandleCount(), threads: processThreadCount() };
    }
    if (now.handles > this.#baseline.handles || now.threads > this.#baseline.threads) {
      this.violate('leak', `after close: ${now.handles} kernel handles and ${now.threads} OS threads, ${this.#baseline.handles} and ${this.#baseline.threads} before the run`);
    }
  }

  /** Figures a run reports beside its verdict (the tolerated Wine pipe duplicates). */
  counters(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const family of new Set(Object.values(this.#families))) Object.assign(out, family.counters?.());
    return out;
  }
}
