// A build watcher: watches a directory (DirectoryWatcher, on the completion port) and, for each
// change, runs a "build" child with piped stdout and stderr, reading both while it runs, and
// awaits its exit with `child.exited`. Here the build is Node itself printing what changed, and
// the changes are made by the program, so it ends by itself.
//
//   node scripts/winnode.mjs exec examples/build-watcher.ts
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DirectoryWatcher, Reactor, spawnProcess, type NamedPipe } from '../lib/index.ts';

/** Everything a pipe gives until the child closes it. */
async function readAll(pipe: NamedPipe): Promise<string> {
  const chunks: Buffer[] = [];
  const buffer = new Uint8Array(4096);
  for (let n; (n = await pipe.read(buffer)) > 0; ) chunks.push(Buffer.from(buffer.subarray(0, n)));
  return Buffer.concat(chunks).toString();
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'winmux-watch-'));
const reactor = new Reactor({ guest: true });
const watcher = DirectoryWatcher.open(reactor, dir);
try {
  const edits = ['a.txt', 'b.txt', 'c.txt'];
  setTimeout(() => edits.forEach((name, i) => setTimeout(() => fs.writeFileSync(path.join(dir, name), name), 100 * i)), 50);
  let builds = 0;
  for await (const change of watcher) {
    if (change.action !== 'added') continue;
    const script = 'console.log("building after", process.argv[1]); console.error("warnings: 0"); process.exit(process.argv[1] === "c.txt" ? 2 : 0)';
    // stdio is 'ignore' unless asked: ask for 'pipe', and read what you ask for.
    const child = spawnProcess(reactor, process.execPath, ['-e', script, change.path], { stdout: 'pipe', stderr: 'pipe' });
    try {
      const [out, err, code] = await Promise.all([readAll(child.stdout!), readAll(child.stderr!), child.exited]);
      console.log(`build ${++builds}: exit ${code}; stdout ${JSON.stringify(out.trim())}; stderr ${JSON.stringify(err.trim())}`);
    } finally {
      await child[Symbol.asyncDispose]();
    }
    if (builds === edits.length) break;
  }
} finally {
  watcher.close();
  await reactor.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
