// Probes of job objects (issue #25): which JOB_OBJECT_MSG_* packets a job associated with a
// completion port posts, with which lpOverlapped; whether TerminateJobObject reaches grandchildren;
// KILL_ON_JOB_CLOSE; the process-id list; nested jobs and breakaway. Raw calls on a port of the
// probe's own (no reactor), so the answers do not depend on winmux's packet routing.
// Run alone: `node scripts/winnode.mjs exec probes/jobs.ts`; `npm run probe` runs it too.
import { Reactor, spawnProcess, type ChildProcess } from '../lib/index.ts';
import * as kernel32 from '../lib/win32/kernel32.ts';
import { JOBOBJECT_ASSOCIATE_COMPLETION_PORT, JOBOBJECT_BASIC_PROCESS_ID_LIST, JOBOBJECT_EXTENDED_LIMIT_INFORMATION } from '../lib/win32/structs.ts';

interface Answer {
  question: string;
  answer: string;
}

const MESSAGE_NAMES: Record<number, string> = {
  [kernel32.JOB_OBJECT_MSG_NEW_PROCESS]: 'NEW_PROCESS',
  [kernel32.JOB_OBJECT_MSG_EXIT_PROCESS]: 'EXIT_PROCESS',
  [kernel32.JOB_OBJECT_MSG_ABNORMAL_EXIT_PROCESS]: 'ABNORMAL_EXIT_PROCESS',
  [kernel32.JOB_OBJECT_MSG_ACTIVE_PROCESS_ZERO]: 'ACTIVE_PROCESS_ZERO',
};

/** A Node child running `script` (CommonJS, -e). */
function node(reactor: Reactor, script: string): ChildProcess {
  return spawnProcess(reactor, process.execPath, ['-e', script]);
}

/** A script that sleeps `ms` after starting `inner` (another script) as a child, if given. */
function sleeper(ms: number, inner?: string): string {
  const start = inner === undefined ? '' : `require('child_process').spawn(process.execPath, ['-e', ${JSON.stringify(inner)}], { stdio: 'ignore' });`;
  return `${start} setTimeout(() => {}, ${ms});`;
}

function newJob(port: number | undefined, key: number, limitFlags = 0): number {
  const job = Number(kernel32.CreateJobObjectW(null, null));
  if (port !== undefined) {
    const info = new Uint8Array(JOBOBJECT_ASSOCIATE_COMPLETION_PORT.SIZE);
    const view = new DataView(info.buffer);
    view.setBigUint64(JOBOBJECT_ASSOCIATE_COMPLETION_PORT.KEY, BigInt(key), true);
    view.setBigUint64(JOBOBJECT_ASSOCIATE_COMPLETION_PORT.PORT, BigInt(port), true);
    if (!kernel32.SetInformationJobObject(job, kernel32.JobObjectAssociateCompletionPortInformation, info, info.length)) {
      throw new Error(`SetInformationJobObject(port) failed: ${kernel32.GetLastError()}`);
    }
  }
  if (limitFlags !== 0) {
    const info = new Uint8Array(JOBOBJECT_EXTENDED_LIMIT_INFORMATION.SIZE);
    new DataView(info.buffer).setUint32(JOBOBJECT_EXTENDED_LIMIT_INFORMATION.LIMIT_FLAGS, limitFlags, true);
    if (!kernel32.SetInformationJobObject(job, kernel32.JobObjectExtendedLimitInformation, info, info.length)) {
      throw new Error(`SetInformationJobObject(limits) failed: ${kernel32.GetLastError()}`);
    }
  }
  return job;
}

function assign(job: number, child: ChildProcess): string {
  return kernel32.AssignProcessToJobObject(job, child.handle) ? 'ok' : `error ${kernel32.GetLastError()}`;
}

function processIds(job: number): number[] {
  const buffer = new Uint8Array(JOBOBJECT_BASIC_PROCESS_ID_LIST.IDS + 64 * 8);
  if (!kernel32.QueryInformationJobObject(job, kernel32.JobObjectBasicProcessIdList, buffer, buffer.length, null)) return [-kernel32.GetLastError()];
  const view = new DataView(buffer.buffer);
  const count = view.getUint32(JOBOBJECT_BASIC_PROCESS_ID_LIST.IN_LIST, true);
  return Array.from({ length: count }, (_, i) => Number(view.getBigUint64(JOBOBJECT_BASIC_PROCESS_ID_LIST.IDS + i * 8, true)));
}

/** 'alive', 'exited <code>', or 'gone' (no such process). */
function pidState(pid: number): string {
  const handle = kernel32.OpenProcess(kernel32.PROCESS_QUERY_LIMITED_INFORMATION, 0, pid);
  if (kernel32.isNullHandle(handle)) return 'gone';
  try {
    const code = new Uint32Array(1);
    kernel32.GetExitCodeProcess(handle, code);
    return code[0] === kernel32.STILL_ACTIVE ? 'alive' : `exited 0x${code[0]!.toString(16)}`;
  } finally {
    kernel32.CloseHandle(handle);
  }
}

/** Packets on `port` for up to `ms`: "MSG(pid)" each, with the key when it is not `key`. */
async function drain(reactor: Reactor, port: number, key: number, ms: number, until?: (messages: string[]) => boolean): Promise<string[]> {
  const entries = new Uint8Array(32 * 64);
  const removed = new Uint32Array(1);
  const messages: string[] = [];
  const end = reactor.now() + ms;
  while (reactor.now() < end && !(until?.(messages) ?? false)) {
    if (kernel32.GetQueuedCompletionStatusEx(port, entries, 64, removed, 0, 0)) {
      const view = new DataView(entries.buffer);
      for (let i = 0; i < removed[0]!; i++) {
        const k = Number(view.getBigUint64(i * 32, true));
        const pid = Number(view.getBigUint64(i * 32 + 8, true));
        const id = view.getUint32(i * 32 + 24, true);
        messages.push(`${MESSAGE_NAMES[id] ?? `msg${id}`}(${pid === 0 ? '0' : 'pid'})${k === key ? '' : ` key ${k}`}`);
      }
    } else {
      await reactor.sleep(50);
    }
  }
  return messages;
}

async function waitForCount(reactor: Reactor, job: number, count: number, ms: number): Promise<number[]> {
  const end = reactor.now() + ms;
  let ids = processIds(job);
  while (ids.length < count && reactor.now() < end) {
    await reactor.sleep(100);
    ids = processIds(job);
  }
  return ids;
}

export async function jobProbes(reactor: Reactor): Promise<Answer[]> {
  const answers: Answer[] = [];
  const inJob = new Uint32Array(1);
  kernel32.IsProcessInJob(kernel32.CURRENT_PROCESS, null, inJob);
  answers.push({ question: 'jobs: this process is in a job', answer: inJob[0] ? 'yes' : 'no' });
  const port = Number(kernel32.CreateIoCompletionPort(kernel32.INVALID_HANDLE_VALUE, null, 0, 1));
  const children: ChildProcess[] = [];
  try {
    // A tree: child → grandchild → great-grandchild, all asleep; then TerminateJobObject.
    const job = newJob(port, 0x77);
    const child = node(reactor, sleeper(60_000, sleeper(60_000, sleeper(60_000))));
    children.push(child);
    answers.push({ question: 'jobs: AssignProcessToJobObject on a running child', answer: assign(job, child) });
    const ids = await waitForCount(reactor, job, 3, 30_000);
    answers.push({ question: 'jobs: JobObjectBasicProcessIdList after the tree started', answer: `${ids.length} ids` });
    const before = await drain(reactor, port, 0x77, 200);
    answers.push({ question: 'jobs: packets while the tree starts', answer: before.join(' ') || 'none' });
    kernel32.TerminateJobObject(job, 7);
    const after = await drain(reactor, port, 0x77, 5000, (m) => m.some((s) => s.startsWith('ACTIVE_PROCESS_ZERO')));
    answers.push({ question: 'jobs: packets after TerminateJobObject(7)', answer: after.join(' ') || 'none' });
    answers.push({ question: 'jobs: the tree after TerminateJobObject, by pid', answer: ids.map(pidState).join(', ') });
    kernel32.CloseHandle(job);

    // Exit codes: a normal exit 3, process.exit(0xC0000005), a real access violation.
    for (const [what, script] of [
      ['exit(3)', 'process.exit(3)'],
      ['process.exit(0xC0000005)', 'process.exit(0xC0000005 | 0)'],
      ['a real access violation (strlen(NULL) via koffi)', "require('koffi').load('msvcrt.dll').func('size_t strlen(void *)')(null)"],
    ] as const) {
      const j = newJob(port, 0x78);
      const c = node(reactor, script);
      children.push(c);
      const assigned = assign(j, c);
      const code = await c.wait();
      const messages = await drain(reactor, port, 0x78, 3000, (m) => m.some((s) => s.startsWith('ACTIVE_PROCESS_ZERO')));
      answers.push({ question: `jobs: packets for ${what}`, answer: `assign ${assigned}, exit 0x${code.toString(16)}: ${messages.join(' ') || 'none'}` });
      kernel32.CloseHandle(j);
    }

    // KILL_ON_JOB_CLOSE.
    {
      const j = newJob(undefined, 0, kernel32.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE);
      const c = node(reactor, sleeper(60_000));
      children.push(c);
      assign(j, c);
      kernel32.CloseHandle(j);
      const ended = await reactor.waitForObject(c.handle, { timeoutMs: 5000 });
      answers.push({ question: 'jobs: KILL_ON_JOB_CLOSE, last job handle closed', answer: ended.timedOut ? 'the child still runs after 5 s' : `the child ended, code 0x${c.exitCode!.toString(16)}` });
    }

    // Nested jobs: a second job for a process already in one.
    {
      const outer = newJob(undefined, 0);
      const inner = newJob(undefined, 0);
      const c = node(reactor, sleeper(60_000));
      children.push(c);
      const first = assign(outer, c);
      const second = assign(inner, c);
      answers.push({ question: 'jobs: a second job for a process already in one (nested)', answer: `first ${first}, second ${second}` });
      c.kill();
      kernel32.CloseHandle(outer);
      kernel32.CloseHandle(inner);
    }

    // Association after processes are in the job: NEW_PROCESS for members already there?
    {
      const j = newJob(undefined, 0);
      const c = node(reactor, sleeper(60_000));
      children.push(c);
      assign(j, c);
      const info = new Uint8Array(JOBOBJECT_ASSOCIATE_COMPLETION_PORT.SIZE);
      const view = new DataView(info.buffer);
      view.setBigUint64(0, 0x79n, true);
      view.setBigUint64(8, BigInt(port), true);
      kernel32.SetInformationJobObject(j, kernel32.JobObjectAssociateCompletionPortInformation, info, info.length);
      const messages = await drain(reactor, port, 0x79, 300);
      // A second association: documented to fail (ERROR_INVALID_PARAMETER) once a port is set.
      const again = kernel32.SetInformationJobObject(j, kernel32.JobObjectAssociateCompletionPortInformation, info, info.length) ? 'ok' : `error ${kernel32.GetLastError()}`;
      c.kill();
      const exit = await drain(reactor, port, 0x79, 3000, (m) => m.some((s) => s.startsWith('ACTIVE_PROCESS_ZERO')));
      answers.push({ question: 'jobs: port associated after a member joined', answer: `${messages.join(' ') || 'no packet'}; re-associate: ${again}; after kill: ${exit.join(' ')}` });
      kernel32.CloseHandle(j);
    }
  } finally {
    for (const c of children) {
      try {
        c.kill();
      } catch {}
      await c[Symbol.asyncDispose]();
    }
    kernel32.CloseHandle(port);
  }
  return answers;
}

if (process.argv[1]?.endsWith('jobs.ts')) {
  const reactor = new Reactor();
  try {
    const answers = await reactor.run(() => jobProbes(reactor));
    const width = Math.max(...answers.map((a) => a.question.length));
    for (const { question, answer } of answers) console.log(`${question.padEnd(width)}  ${answer}`);
  } finally {
    await reactor.close();
  }
}
