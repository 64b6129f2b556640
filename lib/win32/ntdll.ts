// ntdll.dll: declarations with their native names.
import { declare, declareOptional, loadLibrary } from './ffi.ts';

const ntdll = loadLibrary('ntdll.dll');

/**
 * Returns an NTSTATUS (as an unsigned 32-bit number).
 *
 * Declared with a fifth, unused argument. Wine 10's system-call path reads the caller's fifth
 * argument slot (just above the 32-byte shadow space) even for a call that has four; koffi's call
 * stack ends right there for a four-argument call, so the read faults and the thread never comes
 * back (measured: Wine 10.0 spins in exception dispatch with no wineserver request made; with the
 * slot present the call returns at once; Wine 8 does not read it). On x64 the caller owns the
 * stack it passes, so an extra argument is harmless everywhere. The other Nt* calls declared here
 * have five or more arguments.
 */
const NtQuerySystemInformationPadded = declare<
  (informationClass: number, buffer: Uint8Array, length: number, returnLength: Uint32Array | null, unused: number) => number
>(ntdll, 'uint32_t __stdcall NtQuerySystemInformation(int SystemInformationClass, _Out_ void *SystemInformation, uint32_t SystemInformationLength, _Out_ uint32_t *ReturnLength, uintptr_t Unused)');

export function NtQuerySystemInformation(informationClass: number, buffer: Uint8Array, length: number, returnLength: Uint32Array | null): number {
  return NtQuerySystemInformationPadded(informationClass, buffer, length, returnLength, 0);
}

/** Exported by Wine's ntdll only: the standard way for a program to tell it runs under Wine. */
export const wine_get_version = declareOptional<() => string>(ntdll, 'const char *wine_get_version()');

/**
 * The thread of `process` after `thread` (null: the first), opened with `access` into `next`; the
 * process's threads come in creation order. STATUS_NO_MORE_ENTRIES after the last. (Vista+; Wine 8
 * has it too.)
 */
export const NtGetNextThread = declare<
  (process: bigint, thread: number | null, access: number, attributes: number, flags: number, next: BigUint64Array) => number
>(ntdll, 'uint32_t __stdcall NtGetNextThread(void *ProcessHandle, void *ThreadHandle, uint32_t DesiredAccess, uint32_t HandleAttributes, uint32_t Flags, _Out_ void *NewThreadHandle)');
export const STATUS_NO_MORE_ENTRIES = 0x8000_001a;

/**
 * Enter and leave the loader lock, which every new thread takes first thing (to run DLL_THREAD_ATTACH)
 * — for fault tests that must kill a thread before it has run any code. `cookie` is a ULONG_PTR.
 */
export const LdrLockLoaderLock = declare<(flags: number, disposition: null, cookie: BigUint64Array) => number>(
  ntdll, 'uint32_t __stdcall LdrLockLoaderLock(uint32_t Flags, _Out_ uint32_t *Disposition, _Out_ void *Cookie)');
export const LdrUnlockLoaderLock = declare<(flags: number, cookie: bigint) => number>(
  ntdll, 'uint32_t __stdcall LdrUnlockLoaderLock(uint32_t Flags, uintptr_t Cookie)');

/** SYSTEM_INFORMATION_CLASS: every handle of every process, each with its full process id. */
export const SystemExtendedHandleInformation = 64;
export const STATUS_SUCCESS = 0;
export const STATUS_INFO_LENGTH_MISMATCH = 0xc0000004;

/** Maps an NTSTATUS (from an OVERLAPPED_ENTRY's Internal field) to the Win32 error GetLastError would give. */
export const RtlNtStatusToDosError = declare<(status: number) => number>(ntdll, 'uint32_t __stdcall RtlNtStatusToDosError(uint32_t Status)');

export const NtSetInformationFile = declare<
  (file: number, ioStatus: Uint8Array, information: Uint8Array, length: number, informationClass: number) => number
>(ntdll, 'uint32_t __stdcall NtSetInformationFile(void *FileHandle, _Out_ void *IoStatusBlock, void *FileInformation, uint32_t Length, int FileInformationClass)');

/** FILE_INFORMATION_CLASS FileReplaceCompletionInformation (Windows 8.1+): rebind or detach a handle's port. */
export const FileReplaceCompletionInformation = 61;
export const STATUS_NOT_IMPLEMENTED = 0xc0000002;
export const STATUS_INVALID_INFO_CLASS = 0xc0000003;

export const NtCreateFile = declare<
  (handle: BigUint64Array, access: number, attributes: Uint8Array, ioStatus: Uint8Array, allocationSize: null, fileAttributes: number, share: number, disposition: number, options: number, ea: null, eaLength: number) => number
>(ntdll, 'uint32_t __stdcall NtCreateFile(_Out_ void *FileHandle, uint32_t DesiredAccess, void *ObjectAttributes, _Out_ void *IoStatusBlock, void *AllocationSize, uint32_t FileAttributes, uint32_t ShareAccess, uint32_t CreateDisposition, uint32_t CreateOptions, void *EaBuffer, uint32_t EaLength)');
/** `apcContext` is what the completion packet reports as its OVERLAPPED address. */
export const NtDeviceIoControlFile = declare<
  (file: number, event: null, apcRoutine: null, apcContext: Uint8Array, ioStatus: Uint8Array, code: number, input: Uint8Array, inputLength: number, output: Uint8Array, outputLength: number) => number
>(ntdll, 'uint32_t __stdcall NtDeviceIoControlFile(void *FileHandle, void *Event, void *ApcRoutine, void *ApcContext, _Out_ void *IoStatusBlock, uint32_t IoControlCode, void *InputBuffer, uint32_t InputBufferLength, _Out_ void *OutputBuffer, uint32_t OutputBufferLength)');

/**
 * Queues a completion packet on a port with the status and information a driver would give it
 * (PostQueuedCompletionStatus can only say success). Tests use it to deliver the packet of an
 * operation the way a system other than the one under test reports it.
 */
export const NtSetIoCompletion = declare<
  (port: number, key: number, apcContext: bigint | number, status: number, information: number) => number
>(ntdll, 'uint32_t __stdcall NtSetIoCompletion(void *IoCompletionHandle, uintptr_t KeyContext, uintptr_t ApcContext, uint32_t IoStatus, uintptr_t IoStatusInformation)');

export const STATUS_PENDING = 0x103;
/** An I/O request ended by CancelIoEx (ERROR_OPERATION_ABORTED). */
export const STATUS_CANCELLED = 0xc000_0120;
export const SYNCHRONIZE = 0x0010_0000;
export const FILE_OPEN = 1;
