// Counting what this process holds, for leak checks in tests and `reactor.stats()`-style
// diagnostics, plus Wine detection.
import * as kernel32 from './kernel32.ts';
import * as ntdll from './ntdll.ts';
import { SYSTEM_HANDLE_INFORMATION_EX } from './structs.ts';
import { WinError } from '../core/windows-errors.ts';

/** The Wine version string when running under Wine, `null` on Windows. */
export function wineVersion(): string | null {
  return ntdll.wine_get_version?.() ?? null;
}

/**
 * Tries at the system handle table before giving up. A call with too small a buffer fails with
 * STATUS_INFO_LENGTH_MISMATCH and says how many bytes the table takes; the table can still grow
 * before the next call (every process in the system adds to it), so one retry may not be enough —
 * but a fixed number is, unless handles are opened faster than the calls go.
 */
const HANDLE_TABLE_ATTEMPTS = 4;
/** Room for 256 handles opened between the call that sized the table and the next. */
const HANDLE_TABLE_HEADROOM = 256 * SYSTEM_HANDLE_INFORMATION_EX.ENTRY_SIZE;

let handleTable = new Uint8Array(64 * 1024);
/** Set once GetProcessHandleCount has answered 0, the sign of Wine's stub. */
let handleCountIsStub = false;

/**
 * How many kernel handles this process holds: GetProcessHandleCount, where it counts. Wine (8
 * and 10) implements it as a stub that succeeds with 0, which no running process could truly
 * answer — the call itself needs a process whose image and thread are open — so after a 0 this
 * counts the entries of the system handle table
 * (NtQuerySystemInformation(SystemExtendedHandleInformation)) whose owner is this process.
 * Measured under both Wines: the same count as GetHandleInformation tried on every handle value,
 * which costs a wineserver request per value (0.3–2 s for 16,384 values) where the table is one.
 */
export function processHandleCount(): number {
  if (!handleCountIsStub) {
    const count = new Uint32Array(1);
    if (!kernel32.GetProcessHandleCount(kernel32.CURRENT_PROCESS, count)) throw new WinError('GetProcessHandleCount', kernel32.GetLastError());
    if (count[0]! > 0) return count[0]!;
    handleCountIsStub = true;
  }
  return countInSystemHandleTable();
}

function countInSystemHandleTable(): number {
  const needed = new Uint32Array(1);
  let status = ntdll.STATUS_INFO_LENGTH_MISMATCH;
  for (let attempt = 0; attempt < HANDLE_TABLE_ATTEMPTS && status === ntdll.STATUS_INFO_LENGTH_MISMATCH; attempt++) {
    if (attempt > 0) handleTable = new Uint8Array(Math.max(handleTable.length, needed[0]! + HANDLE_TABLE_HEADROOM));
    status = ntdll.NtQuerySystemInformation(ntdll.SystemExtendedHandleInformation, handleTable, handleTable.length, needed);
  }
  if (status !== ntdll.STATUS_SUCCESS) {
    const tries = status === ntdll.STATUS_INFO_LENGTH_MISMATCH ? `, still too small after ${HANDLE_TABLE_ATTEMPTS} tries` : '';
    throw new WinError('NtQuerySystemInformation', ntdll.RtlNtStatusToDosError(status), {
      detail: `SystemExtendedHandleInformation (NTSTATUS 0x${status.toString(16)}${tries})`,
    });
  }
  const view = new DataView(handleTable.buffer);
  const fits = Math.floor((handleTable.length - SYSTEM_HANDLE_INFORMATION_EX.ENTRIES) / SYSTEM_HANDLE_INFORMATION_EX.ENTRY_SIZE);
  const total = Math.min(Number(view.getBigUint64(SYSTEM_HANDLE_INFORMATION_EX.COUNT, true)), fits);
  const pid = BigInt(kernel32.GetCurrentProcessId());
  let mine = 0;
  for (let i = 0; i < total; i++) {
    const entry = SYSTEM_HANDLE_INFORMATION_EX.ENTRIES + i * SYSTEM_HANDLE_INFORMATION_EX.ENTRY_SIZE;
    if (view.getBigUint64(entry + SYSTEM_HANDLE_INFORMATION_EX.ENTRY_PROCESS_ID, true) === pid) mine++;
  }
  return mine;
}

/**
 * How many OS threads of this process are running: each thread from NtGetNextThread (this
 * process's threads only), opened with SYNCHRONIZE, counted unless waiting on it with timeout 0
 * says it has ended. NtGetNextThread also returns a thread that has ended but whose object
 * something still holds (a handle to it not yet closed): Wine's get_next_thread walks the global
 * thread list on purpose to include those (measured under Wine 8 and 10: a Worker's thread ended
 * with a handle to it still open is listed, signaled), and a leak check must not count them.
 * A Toolhelp32 snapshot gives the same count (compared under both Wines, threads starting and
 * ending meanwhile) but lists every thread of the system first: with 20 threads in this process,
 * on the loaded 2-core test machine, 11–14 ms a call against 1.3–1.8 ms (medians, Wine 8 and 10;
 * NtQuerySystemInformation(SystemProcessInformation) 2.3–2.4 ms).
 */
export function processThreadCount(): number {
  let running = 0;
  eachProcessThread(kernel32.SYNCHRONIZE, (thread) => {
    const state = kernel32.WaitForSingleObject(thread, 0);
    if (state === kernel32.WAIT_FAILED) throw new WinError('WaitForSingleObject', kernel32.GetLastError());
    if (state === kernel32.WAIT_TIMEOUT) running++;
    return false;
  });
  return running;
}

/** One OS thread of this process, open: its holder closes `handle`. */
export interface OpenThread {
  readonly id: number;
  readonly handle: number;
}

/**
 * Opens each OS thread of this process in turn (NtGetNextThread: creation order, oldest first)
 * with `access` (GetThreadId's right is added) and returns those `keep` chooses, still open; the
 * others are closed at once. It asks about this process only, where a Toolhelp32 snapshot lists
 * every thread of the system: measured under a loaded Wine 8, 4–50 ms against 30–280 ms.
 */
export function openProcessThreads(access: number, keep: (id: number) => boolean): OpenThread[] {
  const kept: OpenThread[] = [];
  try {
    eachProcessThread(access | kernel32.THREAD_QUERY_LIMITED_INFORMATION, (handle) => {
      const id = kernel32.GetThreadId(handle);
      if (id === 0 || !keep(id)) return false;
      kept.push({ id, handle });
      return true;
    });
    return kept;
  } catch (error) {
    for (const thread of kept) kernel32.CloseHandle(thread.handle);
    throw error;
  }
}

/**
 * Calls `visit` with each OS thread of this process, opened with `access`, in creation order
 * (NtGetNextThread, which takes the previous thread's handle to find the next). `visit` returns
 * true to keep the handle (its caller closes it then); every other handle is closed once the
 * next thread is found, or on a throw.
 */
function eachProcessThread(access: number, visit: (thread: number) => boolean): void {
  const next = new BigUint64Array(1);
  let previous: number | null = null;
  let kept = false;
  try {
    // ends: at STATUS_NO_MORE_ENTRIES after the process's last thread (each call moves one thread on), or a failed call
    for (;;) {
      const status = ntdll.NtGetNextThread(kernel32.CURRENT_PROCESS, previous, access, 0, 0, next);
      if (previous !== null && !kept) kernel32.CloseHandle(previous);
      previous = null;
      if (status === ntdll.STATUS_NO_MORE_ENTRIES) return;
      if (status !== ntdll.STATUS_SUCCESS) {
        throw new WinError('NtGetNextThread', ntdll.RtlNtStatusToDosError(status), { detail: `NTSTATUS 0x${status.toString(16)}` });
      }
      previous = Number(next[0]);
      kept = false; // until visit says so: if it throws, the handle is closed
      kept = visit(previous);
    }
  } finally {
    if (previous !== null && !kept) kernel32.CloseHandle(previous);
  }
}
