// Children alive at once in one reactor, each awaited (issue #25): the waiter path (plain
// spawnProcess: the exit waited for on a pooled waiter thread, 63 a thread) against the job path
// (`tree: true`: the child in a job of its own on the reactor's port, its exit a packet). The
// waiter path is the baseline, measured in the same run; rounds alternate (waiter then job, then
// job then waiter, …) so that drift on a shared machine falls on both; medians over the rounds,
// and every round's figures printed.
//
// A round of one path, N children:
//   spawn     N children, one wait() each (timed: spawn ms per child);
//   hold      2 × HOLD_MS with every child alive and awaited: this process's CPU time over each
//             half (the waiter threads start in the first; in the second every wait is in place:
//             a waiter thread blocks, the job path's backstop looks at each pending exit once a
//             second), then memory: this process's working set (process.memoryUsage().rss, GetProcessMemoryInfo
//             under the hood) and, under Wine, the Linux side read from /proc: this process's
//             RSS and anonymous RSS (what it holds privately), the children's proportional set
//             size (Pss: shared pages split between the processes sharing them) and the
//             wineserver's RSS; each as the growth over the round's start;
//   release   one SetEvent ends every child by its own ExitProcess(0) (timed: to every wait
//             resolved); every exit code is checked.
// Time per child = (spawn + release-to-all-awaited) ÷ N, the hold left out.
//
// The child is bench/reference/sleeper.c (.cache/bench/winmux-sleeper.exe, built with MinGW-w64
// by bench/reference/build.mjs): no C runtime, GUI subsystem (under Wine a console program also
// gets a conhost.exe), waiting on the event it was given as stdin. A Node child under Wine costs
// ~50+ MiB; this one's cost is in the table.
//
// `npm run bench -- children [N=1000] [rounds=3]`. Check the children's memory at a small N
// first (50, 200): under Wine each is a Linux process.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Reactor, spawnProcess, WinError, WinEvent, wineVersion, type ChildProcess } from '../lib/index.ts';
import { printTable } from './stats.ts';

const SLEEPER = fileURLToPath(new URL('../.cache/bench/winmux-sleeper.exe', import.meta.url));
/** Each half of the hold, every child alive and awaited: long enough for the job path's 1 s backstop to run several times. */
const HOLD_MS = 3000;
const MiB = 2 ** 20;
/** Tries a spawn gets: a transient failure is retried, a lasting one still ends the run. */
const SPAWN_TRIES = 3;

type Path = 'waiter' | 'job';

interface Round {
  path: Path;
  round: number;
  threads: number;
  spawnRetries: number;
  spawnMsPerChild: number;
  releaseMs: number;
  msPerChild: number;
  holdCpuPercent: number;
  steadyCpuPercent: number;
  workingSetMiB: number;
  linux: LinuxMemory | undefined;
}

/** Growth over the round's start, MiB; the children's figures are totals at the hold. */
interface LinuxMemory {
  selfRss: number;
  selfAnon: number;
  childrenFound: number;
  childrenPss: number;
  childrenRss: number;
  wineserverRss: number | undefined;
}

// ---- the Linux side under Wine: /proc through Wine's Z: drive ----

/** Z:\proc, when this is Wine and /proc is there; else undefined (Windows, or no /proc). */
const PROC = wineVersion() && fs.existsSync('Z:\\proc\\self\\status') ? 'Z:\\proc' : undefined;
/** The Windows path of this worktree as a Linux path (Z: is /), to tell our processes from other users of the machine. */
const ROOT_UNIX = fileURLToPath(new URL('..', import.meta.url)).replace(/^[zZ]:/, '').replace(/\\/g, '/').replace(/\/$/, '');

function readProc(file: string): string | undefined {
  try {
    return fs.readFileSync(`${PROC}\\${file}`, 'latin1');
  } catch {
    return undefined; // gone meanwhile, or not ours to read
  }
}

/** A `Name:   value kB` line of /proc/<pid>/status or smaps_rollup, in MiB (0 when absent). */
function kbField(text: string | undefined, name: string): number {
  const match = text === undefined ? null : new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text);
  return match ? Number(match[1]) / 1024 : 0;
}

/**
 * The Linux processes that matter here, found by command line: this Node (its node.exe under
 * this worktree, running bench/run.ts) and the sleepers (by the program's path, which is under
 * this worktree too). The wineserver: Wine opens a file in the wineserver process and hands the
 * descriptor over, so /proc/self, opened from here, is the wineserver's (checked by its Name).
 */
function linuxSnapshot(): { selfRss: number; selfAnon: number; childrenFound: number; childrenPss: number; childrenRss: number; wineserverRss: number | undefined } | undefined {
  if (PROC === undefined) return undefined;
  const server = readProc('self\\status');
  const wineserverRss = server !== undefined && /^Name:\s+wineserver/m.test(server) ? kbField(server, 'VmRSS') : undefined;
  const sleeper = `${ROOT_UNIX}/.cache/bench/winmux-sleeper.exe`.toLowerCase();
  let self: string | undefined;
  let childrenFound = 0;
  let childrenPss = 0;
  let childrenRss = 0;
  for (const pid of fs.readdirSync(PROC).filter((name) => /^\d+$/.test(name))) {
    const command = readProc(`${pid}\\cmdline`)?.replace(/\0/g, ' ').replace(/\\/g, '/').replace(/^[zZ]:/, '').toLowerCase();
    if (command === undefined) continue;
    if (command.includes(sleeper)) {
      const rollup = readProc(`${pid}\\smaps_rollup`);
      childrenFound++;
      childrenPss += kbField(rollup, 'Pss');
      childrenRss += kbField(rollup, 'Rss');
    } else if (command.includes(`${ROOT_UNIX.toLowerCase()}/.cache/winnode/`) && command.includes('node.exe') && /bench\/run\.ts children/.test(command)) {
      self = readProc(`${pid}\\status`);
    }
  }
  if (self === undefined) return undefined;
  return { selfRss: kbField(self, 'VmRSS'), selfAnon: kbField(self, 'RssAnon'), childrenFound, childrenPss, childrenRss, wineserverRss };
}

// ---- one round ----

/** This process's CPU time (all threads) over `ms` of the reactor sleeping, as a percentage of one core. */
async function cpuPercentOver(reactor: Reactor, ms: number): Promise<number> {
  const before = process.cpuUsage();
  const started = performance.now();
  await reactor.sleep(ms);
  const used = process.cpuUsage(before);
  return ((used.user + used.system) / 1000 / (performance.now() - started)) * 100;
}

async function measure(path: Path, count: number, round: number): Promise<Round> {
  const linuxBefore = linuxSnapshot();
  const workingSetBefore = process.memoryUsage().rss;
  const reactor = new Reactor();
  // Manual reset: once set, it stays set for every child, and for any that starts late.
  const release = WinEvent.create({ manualReset: true });
  const children: ChildProcess[] = [];
  let spawnRetries = 0;
  try {
    return await reactor.run(async () => {
      const started = performance.now();
      for (let i = 0; i < count; i++) {
        for (let attempt = 1; ; attempt++) { // ends: break once spawned, a throw after SPAWN_TRIES tries
          try {
            children.push(spawnProcess(reactor, SLEEPER, [], { stdin: release.handle, tree: path === 'job' }));
            break;
          } catch (error) {
            // Wine 8 under load: now and then CreateProcessW fails with ERROR_INTERNAL_ERROR, the
            // new process having died before it started (1 in ~600–1,000 spawns here, at 582,
            // 949 and ~1,000 children alive): counted and tried again, at most SPAWN_TRIES times.
            if (error instanceof WinError && error.winCode === 'ERROR_INTERNAL_ERROR' && attempt < SPAWN_TRIES) {
              spawnRetries++;
              continue;
            }
            throw new Error(`${path} path, round ${round}: spawn ${i + 1} of ${count} failed with ${i} children alive`, { cause: error });
          }
        }
      }
      const waits = children.map((child) => child.wait());
      const spawnMs = performance.now() - started;

      const holdCpuPercent = await cpuPercentOver(reactor, HOLD_MS); // the waiter threads start in here
      const steadyCpuPercent = await cpuPercentOver(reactor, HOLD_MS); // every wait in place
      const workingSetMiB = (process.memoryUsage().rss - workingSetBefore) / MiB;
      const linuxAt = linuxSnapshot();

      const releasing = performance.now();
      release.set();
      const codes = await Promise.all(waits);
      const releaseMs = performance.now() - releasing;
      const wrong = codes.findIndex((code) => code !== 0);
      if (wrong >= 0) throw new Error(`child ${children[wrong]!.pid} exited with ${codes[wrong]}, not 0 (sleeper.c: 2 no stdin, 3 the wait failed)`);

      const linux = linuxBefore === undefined || linuxAt === undefined ? undefined : {
        selfRss: linuxAt.selfRss - linuxBefore.selfRss,
        selfAnon: linuxAt.selfAnon - linuxBefore.selfAnon,
        childrenFound: linuxAt.childrenFound,
        childrenPss: linuxAt.childrenPss,
        childrenRss: linuxAt.childrenRss,
        wineserverRss: linuxAt.wineserverRss === undefined || linuxBefore.wineserverRss === undefined ? undefined : linuxAt.wineserverRss - linuxBefore.wineserverRss,
      };
      return {
        path, round, threads: reactor.stats().waiterThreadsStarted, spawnRetries, spawnMsPerChild: spawnMs / count, releaseMs,
        msPerChild: (spawnMs + releaseMs) / count, holdCpuPercent, steadyCpuPercent, workingSetMiB, linux,
      };
    });
  } finally {
    for (const child of children) child.kill(1); // a failed round leaves none behind (no error once exited)
    for (const child of children) await child[Symbol.asyncDispose]();
    await reactor.close();
    release.close();
  }
}

// ---- the report ----

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const LABEL: Record<Path, string> = { waiter: 'waiter thread (baseline)', job: 'job (tree: true)' };

/** The columns of a row, each a number from a round (undefined: not measured). */
const COLUMNS: [string, (r: Round) => number | undefined][] = [
  ['waiter threads started', (r) => r.threads],
  ['spawn retries', (r) => r.spawnRetries],
  ['spawn ms/child', (r) => r.spawnMsPerChild],
  ['release→all awaited ms', (r) => r.releaseMs],
  ['ms/child (spawn+end)', (r) => r.msPerChild],
  ['CPU % first 3 s held', (r) => r.holdCpuPercent],
  ['CPU % next 3 s', (r) => r.steadyCpuPercent],
  ['working set +MiB', (r) => r.workingSetMiB],
  ['Linux RSS +MiB', (r) => r.linux?.selfRss],
  ['Linux anon +MiB', (r) => r.linux?.selfAnon],
  ['wineserver +MiB', (r) => r.linux?.wineserverRss],
  ['children found', (r) => r.linux?.childrenFound],
  ['children Pss MiB', (r) => r.linux?.childrenPss],
  ['children RSS MiB', (r) => r.linux?.childrenRss],
];

function cells(values: (number | undefined)[]): (string | number)[] {
  return values.map((v) => (v === undefined ? 'n/a' : Number.isInteger(v) ? v : Number(v.toFixed(3))));
}

export async function main(args: string[]): Promise<void> {
  const count = Number(args[0] ?? 1000);
  const rounds = Number(args[1] ?? 3);
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(rounds) || rounds < 1) throw new RangeError('usage: children [N ≥ 1] [rounds ≥ 1]');
  if (!fs.existsSync(SLEEPER)) {
    console.error(`children: ${SLEEPER} is missing: it is built by bench/reference/build.mjs with MinGW-w64 (Debian: apt install gcc-mingw-w64-x86-64)`);
    process.exitCode = 1;
    return;
  }
  console.log(`children — ${count} alive at once in one reactor, each awaited, ${rounds} rounds a path — Node ${process.version}, ${wineVersion() ? `Wine ${wineVersion()}` : 'Windows'}`);
  if (PROC === undefined) console.log('(no /proc to read: the Linux columns are n/a)');
  // A first, discarded round of each path: the first spawn and the first reactor load code and
  // allocate for the process's life, which would count against whichever path ran first.
  await measure('waiter', 2, 0);
  await measure('job', 2, 0);

  const results: Round[] = [];
  for (let round = 1; round <= rounds; round++) {
    const order: Path[] = round % 2 === 1 ? ['waiter', 'job'] : ['job', 'waiter'];
    for (const path of order) results.push(await measure(path, count, round));
  }

  console.log('\nper round');
  printTable(['path', 'round', ...COLUMNS.map(([name]) => name)], results.map((r) => [LABEL[r.path], r.round, ...cells(COLUMNS.map(([, get]) => get(r)))]));

  const medianOf = (path: Path, get: (r: Round) => number | undefined): number | undefined => {
    const values = results.filter((r) => r.path === path).map(get);
    return values.some((v) => v === undefined) ? undefined : median(values as number[]);
  };
  console.log(`\nmedians over ${rounds} rounds`);
  printTable(['path', ...COLUMNS.map(([name]) => name)], (['waiter', 'job'] as Path[]).map((path) => [LABEL[path], ...cells(COLUMNS.map(([, get]) => medianOf(path, get)))]));

  const ratio = (get: (r: Round) => number | undefined): string => {
    const job = medianOf('job', get);
    const waiter = medianOf('waiter', get);
    return job === undefined || waiter === undefined || waiter === 0 ? 'n/a' : `${(job / waiter).toFixed(2)}×`;
  };
  console.log(`\njob ÷ waiter (medians): time per child ${ratio((r) => r.msPerChild)}, spawn ${ratio((r) => r.spawnMsPerChild)}, ` +
    `release→all awaited ${ratio((r) => r.releaseMs)}, working set ${ratio((r) => r.workingSetMiB)}, Linux RSS ${ratio((r) => r.linux?.selfRss)}, ` +
    `children Pss ${ratio((r) => r.linux?.childrenPss)}`);
}
