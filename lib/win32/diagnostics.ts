// Counting what this process holds, for leak checks in tests and `reactor.stats()`-style
// diagnostics, plus Wine detection.
import * as kernel32 from './kernel32.ts';
import * as ntdll from './ntdll.ts';
import { SYSTEM_HANDLE_INFORMATION, THREADENTRY32 } from './structs.ts';
import { WinError } from './errors.ts';

/** The Wine version string when running under Wine, `null` on Windows. */
export function wineVersion(): string | null {
  return ntdll.wine_get_version?.() ?? null;
}

let handleBuffer = new Uint8Array(1 << 20);

/**
 * How many kernel handles this process holds. Uses NtQuerySystemInformation(SystemHandleInformation)
 * rather than GetProcessHandleCount, which always reports 0 under Wine. The system-wide table
 * records the owning pid as a USHORT, so entries are matched on the pid's low 16 bits.
 */
export function processHandleCount(): number {
  for (;;) {
    const status = ntdll.NtQuerySystemInformation(ntdll.SystemHandleInformation, handleBuffer, handleBuffer.length, null);
    if (status === ntdll.STATUS_INFO_LENGTH_MISMATCH) {
      handleBuffer = new Uint8Array(handleBuffer.length * 2);
      continue;
    }
    if (status !== ntdll.STATUS_SUCCESS) {
      throw new WinError('NtQuerySystemInformation', ntdll.RtlNtStatusToDosError(status), { detail: `SystemHandleInformation (NTSTATUS 0x${status.toString(16)})` });
    }
    break;
  }
  const view = new DataView(handleBuffer.buffer);
  const total = view.getUint32(SYSTEM_HANDLE_INFORMATION.COUNT, true);
  const pid = kernel32.GetCurrentProcessId() & 0xffff;
  let mine = 0;
  for (let i = 0; i < total; i++) {
    const entry = SYSTEM_HANDLE_INFORMATION.ENTRIES + i * SYSTEM_HANDLE_INFORMATION.ENTRY_SIZE;
    if (view.getUint16(entry + SYSTEM_HANDLE_INFORMATION.ENTRY_PROCESS_ID, true) === pid) mine++;
  }
  return mine;
}

/** How many OS threads this process has (Toolhelp32 thread snapshot). */
export function processThreadCount(): number {
  const snapshot = kernel32.CreateToolhelp32Snapshot(kernel32.TH32CS_SNAPTHREAD, 0);
  if (snapshot === kernel32.INVALID_HANDLE_VALUE) throw new WinError('CreateToolhelp32Snapshot', kernel32.GetLastError());
  try {
    const entry = new Uint8Array(THREADENTRY32.SIZE);
    const view = new DataView(entry.buffer);
    const pid = kernel32.GetCurrentProcessId();
    let count = 0;
    view.setUint32(THREADENTRY32.DW_SIZE, THREADENTRY32.SIZE, true);
    for (let more = kernel32.Thread32First(snapshot, entry); more; more = kernel32.Thread32Next(snapshot, entry)) {
      if (view.getUint32(THREADENTRY32.OWNER_PROCESS_ID, true) === pid) count++;
      view.setUint32(THREADENTRY32.DW_SIZE, THREADENTRY32.SIZE, true);
    }
    return count;
  } finally {
    kernel32.CloseHandle(snapshot);
  }
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
  const next = new BigUint64Array(1);
  let previous: number | null = null;
  try {
    // Bounded by the process's threads: each call moves one thread on, and the last says so.
    for (;;) {
      const status = ntdll.NtGetNextThread(kernel32.CURRENT_PROCESS, previous, access | kernel32.THREAD_QUERY_LIMITED_INFORMATION, 0, 0, next);
      if (previous !== null && !kept.some((t) => t.handle === previous)) kernel32.CloseHandle(previous);
      previous = null;
      if (status === ntdll.STATUS_NO_MORE_ENTRIES) return kept;
      if (status !== ntdll.STATUS_SUCCESS) {
        throw new WinError('NtGetNextThread', ntdll.RtlNtStatusToDosError(status), { detail: `NTSTATUS 0x${status.toString(16)}` });
      }
      previous = Number(next[0]);
      const id = kernel32.GetThreadId(previous);
      if (id !== 0 && keep(id)) kept.push({ id, handle: previous });
    }
  } catch (error) {
    if (previous !== null && !kept.some((t) => t.handle === previous)) kernel32.CloseHandle(previous);
    for (const thread of kept) kernel32.CloseHandle(thread.handle);
    throw error;
  }
}
