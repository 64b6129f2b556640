// Job objects on the reactor's completion port (issue #25): JobObject's events, kill and
// processes; spawnProcess's `tree` option, whose wait uses no waiter thread and whose kill ends the
// whole tree; the backstop that ends a wait when the job's messages are lost; closing a reactor
// with jobs open. Real children: the Windows Node running this suite.
import { afterEach, describe, expect, test } from 'vitest';
import { fileURLToPath } from 'node:url';
import { ClosedResourceError, JobObject, Reactor, spawnProcess, type ChildProcess, type JobEvent, type NamedPipe, type SpawnOptions } from '../../lib/index.ts';
import { jobTestHooks } from '../../lib/objects/job-object.ts';
import { kCompletionPort } from '../../lib/scheduler/reactor.ts';
import * as kernel32 from '../../lib/win32/kernel32.ts';
import { checkResourcesReleased, settle } from '../helpers/resources.ts';
import { allowLeft } from '../helpers/loop-empty.ts';
import { LOOP_MODES } from '../helpers/modes.ts';

checkResourcesReleased();

const node = process.execPath;
const tree = fileURLToPath(new URL('../fixtures/process-tree.cjs', import.meta.url));
/** A child that crashes natively: strlen(NULL) through koffi, an access violation (0xC0000005). */
const CRASH = "require('koffi').load('msvcrt.dll').func('size_t strlen(void *)')(null)";
const STATUS_ACCESS_VIOLATION = 0xc000_0005;

/** Whether process `pid` still runs: OpenProcess + GetExitCodeProcess (no such process: not running). */
function running(pid: number): boolean {
  const handle = kernel32.OpenProcess(kernel32.PROCESS_QUERY_LIMITED_INFORMATION | kernel32.SYNCHRONIZE, 0, pid);
  if (kernel32.isNullHandle(handle)) return false;
  try {
    const code = new Uint32Array(1);
    return kernel32.GetExitCodeProcess(handle, code) !== 0 && code[0] === kernel32.STILL_ACTIVE && kernel32.WaitForSingleObject(handle, 0) === kernel32.WAIT_TIMEOUT;
  } finally {
    kernel32.CloseHandle(handle);
  }
}

/** Ends whatever `pid` is, if it still runs (cleanup of a tree a test left alive on purpose). */
function end(pid: number): void {
  const handle = kernel32.OpenProcess(kernel32.PROCESS_TERMINATE, 0, pid);
  if (kernel32.isNullHandle(handle)) return;
  kernel32.TerminateProcess(handle, 1);
  kernel32.CloseHandle(handle);
}

/** The first `count` lines of `pipe`, as numbers (the tree's pids). */
async function readPids(pipe: NamedPipe, count: number): Promise<number[]> {
  let text = '';
  const buffer = new Uint8Array(4096);
  while (text.split('\n').length <= count) {
    const n = await pipe.read(buffer);
    if (n === 0) break;
    text += Buffer.from(buffer.subarray(0, n)).toString();
  }
  return text.split('\n').slice(0, count).map(Number);
}

describe.each(LOOP_MODES)('job objects (waiting in $name)', ({ mode }) => {
  let reactor: Reactor;
  const cleanups: (() => unknown)[] = [];
  const make = (): Reactor => (reactor = new Reactor(mode));
  const spawn = (r: Reactor, args: string[], options: SpawnOptions): ChildProcess => {
    const child = spawnProcess(r, node, args, options);
    cleanups.push(() => child[Symbol.asyncDispose]());
    return child;
  };

  afterEach(async () => {
    jobTestHooks.dropMessages = false;
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await reactor?.close();
  });

  test('kill({ tree: true }) ends the child and both grandchildren (checked by pid); no waiter thread', async () => {
    make();
    const child = spawn(reactor, [tree, '2'], { stdout: 'pipe', tree: true });
    const pids = await reactor.run(() => readPids(child.stdout!, 3));
    cleanups.push(() => pids.forEach(end));
    expect(pids[0]).toBe(child.pid);
    expect(pids.every((pid) => running(pid))).toBe(true);
    expect(child.job!.processes()).toEqual(expect.arrayContaining(pids));
    child.kill({ tree: true, exitCode: 9 });
    expect(await reactor.run(() => child.wait())).toBe(9);
    expect(await settle(() => pids.every((pid) => !running(pid)))).toBe(true);
    expect(reactor.stats().waiterThreadsStarted).toBe(0);
  });

  test('kill() without tree ends only the child: the grandchildren run on', async () => {
    make();
    const child = spawn(reactor, [tree, '2'], { stdout: 'pipe', tree: true });
    const pids = await reactor.run(() => readPids(child.stdout!, 3));
    cleanups.push(() => pids.forEach(end));
    child.kill(4);
    expect(await reactor.run(() => child.wait())).toBe(4);
    expect(running(pids[0]!)).toBe(false);
    expect(pids.slice(1).map(running)).toEqual([true, true]);
  });
});

describe('job objects', () => {
  let reactor: Reactor;
  const cleanups: (() => unknown)[] = [];
  const spawn = (r: Reactor, args: string[], options: SpawnOptions = {}): ChildProcess => {
    const child = spawnProcess(r, node, args, options);
    cleanups.push(() => child[Symbol.asyncDispose]());
    return child;
  };
  afterEach(async () => {
    jobTestHooks.dropMessages = false;
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await reactor?.close();
  });

  test('exit codes come with the right pid, a native crash (0xC0000005) included; no waiter thread', async () => {
    reactor = new Reactor();
    const normal = spawn(reactor, ['-e', 'process.exit(3)'], { tree: { killOnClose: true } });
    const crash = spawn(reactor, ['-e', CRASH], { tree: { killOnClose: true } }); // killOnClose: Wine's crash debugger joins the job
    const codes = await reactor.run(() => Promise.all([normal.wait(), crash.wait()]));
    expect(codes).toEqual([3, STATUS_ACCESS_VIOLATION]);
    const events = await reactor.run(async () => {
      const seen: JobEvent[] = [];
      for await (const event of crash.job!) {
        seen.push(event);
        if (event.type === 'all-exited') break;
      }
      return seen;
    });
    // Wine 8 reports the crash as EXIT_PROCESS; Windows as ABNORMAL_EXIT_PROCESS.
    expect(events).toContainEqual({ type: expect.stringMatching(/^(exit|abnormal-exit)$/), pid: crash.pid, exitCode: STATUS_ACCESS_VIOLATION });
    expect(events).toContainEqual({ type: 'new-process', pid: crash.pid });
    expect(reactor.stats().waiterThreadsStarted).toBe(0);
  });

  test('a wait ends through the backstop when every job message is dropped', async () => {
    reactor = new Reactor();
    jobTestHooks.dropMessages = true;
    const child = spawn(reactor, ['-e', 'process.exit(5)'], { tree: true });
    expect(await reactor.run(() => child.wait())).toBe(5);
    expect(reactor.stats().waiterThreadsStarted).toBe(0);
  });

  test('a JobObject: assign, events with pids, processes(), kill', async () => {
    reactor = new Reactor();
    const job = new JobObject(reactor);
    cleanups.push(() => job.close());
    const child = spawn(reactor, [tree, '0'], { stdout: 'pipe' });
    job.assign(child);
    const [pid] = await reactor.run(() => readPids(child.stdout!, 1));
    expect(job.processes()).toContain(pid);
    job.kill(6);
    const events = await reactor.run(async () => {
      const seen: JobEvent[] = [];
      for await (const event of job) {
        seen.push(event);
        if (event.type === 'all-exited') break;
      }
      return seen;
    });
    expect(events).toContainEqual({ type: 'new-process', pid: child.pid });
    expect(events).toContainEqual({ type: 'exit', pid: child.pid, exitCode: 6 });
    expect(events.at(-1)).toEqual({ type: 'all-exited', pid: 0 });
    job.close();
    expect(() => job.processes()).toThrow(ClosedResourceError);
    await expect(job.next()).rejects.toThrow(ClosedResourceError);
  });

  test('a job counts as a waiter (keeps a guest alive) only while a task waits on it', async () => {
    reactor = new Reactor();
    const port = reactor[kCompletionPort];
    const child = spawn(reactor, ['-e', 'setTimeout(() => {}, 60000)'], { tree: true });
    expect(port.hasWaiters()).toBe(false); // idle: its packets are kept, nothing waits
    const waited = await reactor.run(async () => {
      const waiting = child.wait();
      const during = port.hasWaiters();
      child.kill(2);
      return { during, code: await waiting };
    });
    expect(waited).toEqual({ during: true, code: 2 });
    expect(port.hasWaiters()).toBe(false);
  });

  test('bad arguments: TypeError for a wrong type, RangeError out of range, ClosedResourceError once closed', async () => {
    reactor = new Reactor();
    expect(() => new JobObject(reactor, 5 as never)).toThrow(TypeError);
    expect(() => new JobObject(reactor, { killOnClose: 'yes' as never })).toThrow(TypeError);
    expect(() => new JobObject({} as never)).toThrow(TypeError);
    expect(() => spawnProcess(reactor, node, ['-e', ''], { tree: 'yes' as never })).toThrow(TypeError);
    expect(() => spawnProcess(reactor, node, ['-e', ''], { tree: { killOnClose: 1 as never } })).toThrow(TypeError);
    const job = new JobObject(reactor);
    expect(() => job.assign({} as never)).toThrow(TypeError);
    expect(() => job.assign('x' as never)).toThrow(TypeError);
    for (const code of [-1, 1.5, NaN, 2 ** 32]) expect(() => job.kill(code)).toThrow(RangeError);
    expect(() => job.kill('x' as never)).toThrow(TypeError);
    const plain = spawn(reactor, ['-e', 'setTimeout(() => {}, 60000)']);
    expect(() => plain.kill({ tree: true })).toThrow(TypeError); // not started with the tree option
    expect(() => plain.kill({ tree: 'yes' as never })).toThrow(TypeError);
    plain.kill();
    await reactor.run(() => plain.wait());
    job.close();
    job.close(); // idempotent
    expect(() => job.kill()).toThrow(ClosedResourceError);
    expect(() => job.assign(plain)).toThrow(ClosedResourceError);
  });

  test('closing the reactor with jobs open: killOnClose trees end, waits reject, the job handles close', async () => {
    reactor = new Reactor();
    const child = spawn(reactor, [tree, '1'], { stdout: 'pipe', tree: { killOnClose: true } });
    const pids = await reactor.run(() => readPids(child.stdout!, 2));
    cleanups.push(() => pids.forEach(end));
    // The wait is left pending when run() returns (boxed, so run does not await it).
    const { waiting } = await reactor.run(async () => ({ waiting: child.wait().catch((error: unknown) => error) }));
    allowLeft(reactor, { sleeps: 1 }); // closed on purpose with the wait pending: its backstop's timer
    await reactor.close();
    expect(await waiting).toBeInstanceOf(ClosedResourceError);
    expect(await settle(() => pids.every((pid) => !running(pid)))).toBe(true);
  });
});
