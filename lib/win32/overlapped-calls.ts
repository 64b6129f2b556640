// Overlapped calls, checked: each returns 0 when the call is pending (a completion packet will be
// queued on the handle's port), SUCCEEDED_AT_ONCE when it succeeded before returning, or else
// the Win32 error read right after the call, in which case no packet will come. A call that
// succeeded at once queues a packet too, unless its handle was given
// FILE_SKIP_COMPLETION_PORT_ON_SUCCESS (SetFileCompletionNotificationModes): then the OVERLAPPED
// already holds the result (Internal: the NTSTATUS, InternalHigh: the byte count) and no packet
// comes — the completion port tells the two apart (completion-port.ts, `start`).
import * as kernel32 from './kernel32.ts';
import * as ws from './ws2_32.ts';
import { ERROR } from '../core/windows-errors.ts';

/** The call succeeded before returning (see above): negative, so never a Win32 error code. */
export const SUCCEEDED_AT_ONCE = -1;

function pendingOrError(ok: number): number {
  if (ok) return SUCCEEDED_AT_ONCE;
  const errno = kernel32.GetLastError();
  return errno === ERROR.ERROR_IO_PENDING ? 0 : errno;
}

export function readFileOverlapped(handle: number, buffer: Uint8Array, overlapped: Uint8Array): number {
  return pendingOrError(kernel32.ReadFile(handle, buffer, buffer.length, null, overlapped));
}

export function writeFileOverlapped(handle: number, data: Uint8Array, overlapped: Uint8Array): number {
  return pendingOrError(kernel32.WriteFile(handle, data, data.length, null, overlapped));
}

/**
 * ConnectNamedPipe with an OVERLAPPED always returns FALSE: ERROR_IO_PENDING means wait for the
 * packet; ERROR_PIPE_CONNECTED means a client connected before the call (success, no packet).
 */
export function connectNamedPipeOverlapped(pipe: number, overlapped: Uint8Array): number {
  return pendingOrError(kernel32.ConnectNamedPipe(pipe, overlapped));
}

/**
 * Overlapped ReadDirectoryChangesW into `buffer` (DWORD-aligned) on a directory handle. Its TRUE
 * means "queued" as well as "done" ("for asynchronous calls, this indicates that the operation was
 * successfully queued"), so it never says SUCCEEDED_AT_ONCE: it returns 0 (a packet will come),
 * which holds only on a handle without FILE_SKIP_COMPLETION_PORT_ON_SUCCESS (the directory
 * watcher's, lib/io/directory-watcher.ts).
 */
export function readDirectoryChangesOverlapped(directory: number, buffer: Uint8Array, watchSubtree: boolean, filter: number, overlapped: Uint8Array): number {
  const ok = kernel32.ReadDirectoryChangesW(directory, buffer, buffer.length, watchSubtree ? 1 : 0, filter, null, overlapped, null);
  return ok ? 0 : pendingOrError(ok);
}

/** CancelIoEx: 0 if a cancel was requested, else the error (ERROR_NOT_FOUND: nothing left to cancel). */
export function cancelIo(handle: number, overlapped: Uint8Array | null): number {
  return kernel32.CancelIoEx(handle, overlapped) ? 0 : kernel32.GetLastError();
}


function wsaPendingOrError(result: number): number {
  if (result === 0) return SUCCEEDED_AT_ONCE;
  const errno = ws.WSAGetLastError();
  return errno === ws.WSA_IO_PENDING ? 0 : errno;
}

/** Overlapped WSASend of one buffer described by `wsabuf` (a 16-byte WSABUF). */
export function wsaSendOverlapped(s: number, wsabuf: Uint8Array, overlapped: Uint8Array): number {
  return wsaPendingOrError(ws.WSASend(s, wsabuf, 1, null, 0, overlapped, null));
}

/** Overlapped WSARecv into one WSABUF, with `flags` (e.g. MSG_PEEK). */
export function wsaRecvOverlapped(s: number, wsabuf: Uint8Array, flags: number, overlapped: Uint8Array): number {
  return wsaPendingOrError(ws.WSARecv(s, wsabuf, 1, null, new Uint32Array([flags]), overlapped, null));
}
