// Opening overlapped handles: CreateFileW and CreateNamedPipeW, checked.
import * as kernel32 from '../win32/kernel32.ts';
import { WinError } from '../win32/errors.ts';
import type { PointerValue } from '../win32/ffi.ts';

function checkedHandle(result: PointerValue, syscall: string, what: string): number {
  if (kernel32.isInvalidHandle(result)) throw new WinError(syscall, kernel32.GetLastError(), { detail: what });
  return Number(result);
}

export function createFile(path: string, access: number, share: number, disposition: number, flags: number): number {
  return checkedHandle(kernel32.CreateFileW(path, access, share, null, disposition, flags, null), 'CreateFileW', path);
}

export function createNamedPipe(name: string, openMode: number, pipeMode: number, bufferSize: number): number {
  return checkedHandle(
    kernel32.CreateNamedPipeW(name, openMode, pipeMode, kernel32.PIPE_UNLIMITED_INSTANCES, bufferSize, bufferSize, 0, null),
    'CreateNamedPipeW',
    name,
  );
}

export function closeHandle(handle: number): void {
  if (!kernel32.CloseHandle(handle)) throw new WinError('CloseHandle', kernel32.GetLastError());
}
