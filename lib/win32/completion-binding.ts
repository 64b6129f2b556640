// Moving a handle off its completion port. A handle binds to one port for its life with
// CreateIoCompletionPort; since Windows 8.1, NtSetInformationFile(FileReplaceCompletionInformation)
// with FILE_COMPLETION_INFORMATION { Port: NULL, Key: 0 } detaches it, after which it may be bound
// to another port. Older Windows answer STATUS_INVALID_INFO_CLASS; Wine 8 answers
// STATUS_NOT_IMPLEMENTED. Whether it works is asked once and cached (per JS thread: each thread
// loads its own copy of this module; the answer is the same for the whole process).
import * as ntdll from './ntdll.ts';
import { WinError } from '../core/windows-errors.ts';
import { FILE_COMPLETION_INFORMATION, IO_STATUS_BLOCK } from './structs.ts';

let supported: boolean | undefined;

/** What detection found: undefined until the first detach was attempted. */
export function replaceCompletionSupported(): boolean | undefined {
  return supported;
}

/**
 * Detaches `handle` from its completion port. Returns false (and caches it) where the OS does not
 * implement FileReplaceCompletionInformation; throws a WinError for any other failure.
 */
export function detachFromCompletionPort(handle: number): boolean {
  if (supported === false) return false;
  const info = new Uint8Array(FILE_COMPLETION_INFORMATION.SIZE); // Port = NULL, Key = 0
  const status = ntdll.NtSetInformationFile(handle, new Uint8Array(IO_STATUS_BLOCK.SIZE), info, info.length, ntdll.FileReplaceCompletionInformation);
  if (status === ntdll.STATUS_SUCCESS) {
    supported = true;
    return true;
  }
  if (status === ntdll.STATUS_NOT_IMPLEMENTED || status === ntdll.STATUS_INVALID_INFO_CLASS) {
    supported = false;
    return false;
  }
  throw new WinError('NtSetInformationFile', ntdll.RtlNtStatusToDosError(status), { detail: `FileReplaceCompletionInformation, NTSTATUS 0x${status.toString(16)}` });
}
