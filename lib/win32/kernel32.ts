// kernel32.dll: declarations with their Win32 names.
import { declare, loadLibrary, type PointerValue } from './ffi.ts';

const kernel32 = loadLibrary('kernel32.dll');

export const GetLastError = declare<() => number>(kernel32, 'uint32_t __stdcall GetLastError()');
export const CloseHandle = declare<(handle: PointerValue) => number>(kernel32, 'int __stdcall CloseHandle(void *hObject)');
export const GetCurrentProcessId = declare<() => number>(kernel32, 'uint32_t __stdcall GetCurrentProcessId()');
export const GetCurrentThreadId = declare<() => number>(kernel32, 'uint32_t __stdcall GetCurrentThreadId()');
export const CreateToolhelp32Snapshot = declare<(flags: number, processId: number) => PointerValue>(
  kernel32, 'void * __stdcall CreateToolhelp32Snapshot(uint32_t dwFlags, uint32_t th32ProcessID)');
export const Thread32First = declare<(snapshot: PointerValue, entry: Uint8Array) => number>(
  kernel32, 'int __stdcall Thread32First(void *hSnapshot, _Inout_ void *lpte)');
export const Thread32Next = declare<(snapshot: PointerValue, entry: Uint8Array) => number>(
  kernel32, 'int __stdcall Thread32Next(void *hSnapshot, _Inout_ void *lpte)');

export const TH32CS_SNAPTHREAD = 0x4;
/** INVALID_HANDLE_VALUE, (HANDLE)-1, as koffi returns it. */
export const INVALID_HANDLE_VALUE = 0xffff_ffff_ffff_ffffn;
