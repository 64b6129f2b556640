// Overlapped calls, checked: each returns 0 when a completion packet will be queued on the
// handle's port (the call is pending, or succeeded at once — winmux does not enable
// FILE_SKIP_COMPLETION_PORT_ON_SUCCESS, so success queues a packet too), or else the Win32 error
// read right after the call, in which case no packet will come.
import * as kernel32 from './kernel32.ts';
import * as ws from './ws2_32.ts';
import { ERROR } from '../core/windows-errors.ts';

function pendingOrError(ok: number): number {
  if (ok) return 0;
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

/** Overlapped ReadDirectoryChangesW into `buffer` (DWORD-aligned) on a directory handle. */
export function readDirectoryChangesOverlapped(directory: number, buffer: Uint8Array, watchSubtree: boolean, filter: number, overlapped: Uint8Array): number {
  return pendingOrError(kernel32.ReadDirectoryChangesW(directory, buffer, buffer.length, watchSubtree ? 1 : 0, filter, null, overlapped, null));
}

/** CancelIoEx: 0 if a cancel was requested, else the error (ERROR_NOT_FOUND: nothing left to cancel). */
export function cancelIo(handle: number, overlapped: Uint8Array | null): number {
  return kernel32.CancelIoEx(handle, overlapped) ? 0 : kernel32.GetLastError();
}


function wsaPendingOrError(result: number): number {
  if (result === 0) return 0;
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
