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
