// Tests that open thousands of sockets take turns across vitest's workers. Under Wine every socket
// is also a Linux descriptor held by the one wineserver both workers share, so the descriptor
// limit (RLIMIT_NOFILE: 20,000 on the test machine) is shared by every test process of the run:
// large-set.test.ts's 16,384 sockets and afd-backend.test.ts's 4,096 at the same moment failed
// `socket` with WSAEMFILE. On Windows the limit is per process and far higher; taking turns costs
// nothing there but a little waiting.
//
// The lock is a directory made with mkdir (atomic; the workers share one temp directory), holding
// the owner's process id: a lock whose owner is gone (a killed worker) is taken over.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const LOCK = path.join(os.tmpdir(), 'winmux-many-sockets.lock');
const OWNER = path.join(LOCK, 'owner');
const POLL_MS = 100;
/** Longer than any one of these tests takes under load (large-set: ~50 s on the loaded machine). */
const WAIT_LIMIT_MS = 10 * 60_000;

function ownerAlive(): boolean {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(OWNER, 'utf8'));
  } catch {
    return true; // made but not yet written: its owner is in the middle of taking it
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function acquire(): Promise<void> {
  const until = Date.now() + WAIT_LIMIT_MS;
  // ends: the mkdir succeeds, or the wait limit passes (an error)
  for (;;) {
    try {
      fs.mkdirSync(LOCK);
      fs.writeFileSync(OWNER, String(process.pid));
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (!ownerAlive()) fs.rmSync(LOCK, { recursive: true, force: true });
    if (Date.now() > until) throw new Error(`many-sockets lock ${LOCK} still held after ${WAIT_LIMIT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Runs `body` while no other test process holds thousands of sockets. */
export async function withManySockets<T>(body: () => Promise<T>): Promise<T> {
  await acquire();
  try {
    return await body();
  } finally {
    fs.rmSync(LOCK, { recursive: true, force: true });
  }
}
