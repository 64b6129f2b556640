// Killing one of winmux's threads natively (TerminateThread), for fault tests. TerminateThread runs
// none of the thread's code, so a lock it holds is never released (MS docs: the heap lock, the
// loader lock, a critical section): killed at a random moment — while Node starts it, allocates,
// loads koffi — a thread can take the whole process down with it (seen: the process hung at exit,
// or at its next console.log). So a thread is killed only where it holds nothing: up and running,
// once it is blocked in its native wait (`untilBlocked`); while it starts, before it has run
// anything (`killAtBirth`).
import * as kernel32 from '../../lib/win32/kernel32.ts';
import * as ntdll from '../../lib/win32/ntdll.ts';

/** TerminateThread on OS thread `id` of this process. */
export function terminateThread(id: number): void {
  const thread = kernel32.OpenThread(kernel32.THREAD_TERMINATE, 0, id);
  if (kernel32.isNullHandle(thread)) throw new Error(`OpenThread(${id}) failed: ${kernel32.GetLastError()}`);
  try {
    if (kernel32.TerminateThread(thread, 99) === 0) throw new Error(`TerminateThread(${id}) failed: ${kernel32.GetLastError()}`);
  } finally {
    kernel32.CloseHandle(thread);
  }
}

/**
 * Runs `start`, which starts one thread (a Worker), and kills that thread (OS id `idOf(result)`)
 * before it has run any code: a new thread takes the loader lock first thing (DLL_THREAD_ATTACH),
 * and this thread holds it meanwhile (LdrLockLoaderLock, re-entrant for its owner), so the new one
 * is at most waiting for it — holding nothing — when it dies.
 */
export function killAtBirth<T>(start: () => T, idOf: (started: T) => number): T {
  const cookie = new BigUint64Array(1);
  const status = ntdll.LdrLockLoaderLock(0, null, cookie);
  if (status !== 0) throw new Error(`LdrLockLoaderLock: NTSTATUS 0x${status.toString(16)}`);
  try {
    const started = start();
    const id = idOf(started);
    if (id === 0) throw new Error('the new thread was not found');
    terminateThread(id);
    return started;
  } finally {
    ntdll.LdrUnlockLoaderLock(0, cookie[0]!);
  }
}

/** The CPU time thread `handle` has used so far (kernel + user, 100 ns units). */
function cpuTime(handle: number | bigint): bigint {
  const [creation, exit, kernel, user] = [0, 0, 0, 0].map(() => new BigUint64Array(1)) as [BigUint64Array, BigUint64Array, BigUint64Array, BigUint64Array];
  if (kernel32.GetThreadTimes(handle, creation, exit, kernel, user) === 0) throw new Error(`GetThreadTimes failed: ${kernel32.GetLastError()}`);
  return kernel[0]! + user[0]!;
}

/**
 * Resolves once OS thread `id` has run and then used no CPU over `still` readings in a row, 50 ms
 * apart (under Wine the times move in 10 ms ticks, and a thread that is runnable but starved on a
 * busy machine still gets some of them within that span): it is blocked in a wait. Bounded by a
 * count of readings.
 */
export async function untilBlocked(id: number, still = 10): Promise<void> {
  const thread = kernel32.OpenThread(kernel32.THREAD_QUERY_LIMITED_INFORMATION, 0, id);
  if (kernel32.isNullHandle(thread)) throw new Error(`OpenThread(${id}) failed: ${kernel32.GetLastError()}`);
  try {
    let last = -1n;
    for (let i = 0, same = 0; i < 2000; i++) {
      const now = cpuTime(thread);
      same = now === last && now > 0n ? same + 1 : 0;
      if (same >= still) return;
      last = now;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`OS thread ${id} never stopped running`);
  } finally {
    kernel32.CloseHandle(thread);
  }
}
