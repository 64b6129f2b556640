// kernel32.dll: declarations with their Win32 names.
import { declare, loadLibrary, type PointerValue } from './ffi.ts';

const kernel32 = loadLibrary('kernel32.dll');

export const GetLastError = declare<() => number>(kernel32, 'uint32_t __stdcall GetLastError()');
export const CloseHandle = declare<(handle: PointerValue) => number>(kernel32, 'int __stdcall CloseHandle(void *hObject)');
export const LocalFree = declare<(memory: unknown) => unknown>(kernel32, 'void * __stdcall LocalFree(void *hMem)');
export const GetCurrentProcessId = declare<() => number>(kernel32, 'uint32_t __stdcall GetCurrentProcessId()');
export const GetCurrentThreadId = declare<() => number>(kernel32, 'uint32_t __stdcall GetCurrentThreadId()');
/** Wine 8 and 10 implement it as a stub that succeeds with a count of 0 (see diagnostics.ts). */
export const GetProcessHandleCount = declare<(process: PointerValue, count: Uint32Array) => number>(
  kernel32, 'int __stdcall GetProcessHandleCount(void *hProcess, _Out_ uint32_t *pdwHandleCount)');
export const CreateToolhelp32Snapshot = declare<(flags: number, processId: number) => PointerValue>(
  kernel32, 'void * __stdcall CreateToolhelp32Snapshot(uint32_t dwFlags, uint32_t th32ProcessID)');
export const Thread32First = declare<(snapshot: PointerValue, entry: Uint8Array) => number>(
  kernel32, 'int __stdcall Thread32First(void *hSnapshot, _Inout_ void *lpte)');
export const Thread32Next = declare<(snapshot: PointerValue, entry: Uint8Array) => number>(
  kernel32, 'int __stdcall Thread32Next(void *hSnapshot, _Inout_ void *lpte)');

export const TH32CS_SNAPTHREAD = 0x4;
/** INVALID_HANDLE_VALUE, (HANDLE)-1, as koffi returns it. */
export const INVALID_HANDLE_VALUE = 0xffff_ffff_ffff_ffffn;

/** NULL, as koffi may return it for a pointer-sized result. */
/** A HANDLE value as winmux keeps it: a positive JS number (kernel handles are significant in 32 bits) from a number or BigInt. */
export function toHandle(value: unknown, what = 'handle'): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value;
  if (typeof value === 'bigint' && value > 0n && value <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(value);
  throw new TypeError(`${what} must be a HANDLE (positive integer or BigInt), got ${typeof value === 'bigint' ? `${value}n` : JSON.stringify(value) ?? String(value)}`);
}

export function isNullHandle(value: PointerValue | null): boolean {
  return value === null || value === 0 || value === 0n;
}

/** INVALID_HANDLE_VALUE (or NULL), the failure results of CreateFileW and CreateNamedPipeW. */
export function isInvalidHandle(value: PointerValue | null): boolean {
  return isNullHandle(value) || value === INVALID_HANDLE_VALUE || value === -1n || value === -1;
}

// I/O completion ports and overlapped I/O.
export const CreateIoCompletionPort = declare<
  (fileHandle: PointerValue, existingPort: PointerValue | null, key: PointerValue, threads: number) => PointerValue
>(kernel32, 'void * __stdcall CreateIoCompletionPort(void *FileHandle, void *ExistingCompletionPort, uintptr_t CompletionKey, uint32_t NumberOfConcurrentThreads)');
/** Writes up to `count` OVERLAPPED_ENTRY records (32 bytes each) at `entries`. */
export const GetQueuedCompletionStatusEx = declare<
  (port: PointerValue, entries: Uint8Array, count: number, removed: Uint32Array, milliseconds: number, alertable: number) => number
>(kernel32, 'int __stdcall GetQueuedCompletionStatusEx(void *CompletionPort, _Out_ void *lpCompletionPortEntries, uint32_t ulCount, _Out_ uint32_t *ulNumEntriesRemoved, uint32_t dwMilliseconds, int fAlertable)');
export const PostQueuedCompletionStatus = declare<
  (port: PointerValue, bytes: number, key: PointerValue, overlapped: PointerValue | null) => number
>(kernel32, 'int __stdcall PostQueuedCompletionStatus(void *CompletionPort, uint32_t dwNumberOfBytesTransferred, uintptr_t dwCompletionKey, void *lpOverlapped)');
export const CancelIoEx = declare<(handle: PointerValue, overlapped: Uint8Array | null) => number>(
  kernel32, 'int __stdcall CancelIoEx(void *hFile, void *lpOverlapped)');
/**
 * With FILE_SKIP_COMPLETION_PORT_ON_SUCCESS an overlapped call on `handle` that succeeds at once
 * queues no packet (its result is in the OVERLAPPED on return); FILE_SKIP_SET_EVENT_ON_HANDLE: the
 * handle's own event is not set either. Windows Vista and later.
 */
export const SetFileCompletionNotificationModes = declare<(handle: PointerValue, flags: number) => number>(
  kernel32, 'int __stdcall SetFileCompletionNotificationModes(void *FileHandle, uint8_t Flags)');
export const FILE_SKIP_COMPLETION_PORT_ON_SUCCESS = 0x1;
export const FILE_SKIP_SET_EVENT_ON_HANDLE = 0x2;
export const ReadFile = declare<
  (handle: PointerValue, buffer: Uint8Array, length: number, read: null, overlapped: Uint8Array) => number
>(kernel32, 'int __stdcall ReadFile(void *hFile, _Out_ void *lpBuffer, uint32_t nNumberOfBytesToRead, _Out_ uint32_t *lpNumberOfBytesRead, void *lpOverlapped)');
export const WriteFile = declare<
  (handle: PointerValue, buffer: Uint8Array, length: number, written: null, overlapped: Uint8Array) => number
>(kernel32, 'int __stdcall WriteFile(void *hFile, const void *lpBuffer, uint32_t nNumberOfBytesToWrite, _Out_ uint32_t *lpNumberOfBytesWritten, void *lpOverlapped)');
/** `security`: a SECURITY_ATTRIBUTES (structs.ts), e.g. to make the handle inheritable, or null. */
export const CreateFileW = declare<
  (name: string, access: number, share: number, security: Uint8Array | null, disposition: number, flags: number, template: null) => PointerValue
>(kernel32, 'void * __stdcall CreateFileW(str16 lpFileName, uint32_t dwDesiredAccess, uint32_t dwShareMode, void *lpSecurityAttributes, uint32_t dwCreationDisposition, uint32_t dwFlagsAndAttributes, void *hTemplateFile)');
export const CreateNamedPipeW = declare<
  (name: string, openMode: number, pipeMode: number, maxInstances: number, outBuffer: number, inBuffer: number, timeout: number, security: null) => PointerValue
>(kernel32, 'void * __stdcall CreateNamedPipeW(str16 lpName, uint32_t dwOpenMode, uint32_t dwPipeMode, uint32_t nMaxInstances, uint32_t nOutBufferSize, uint32_t nInBufferSize, uint32_t nDefaultTimeOut, void *lpSecurityAttributes)');
export const ConnectNamedPipe = declare<(pipe: PointerValue, overlapped: Uint8Array) => number>(
  kernel32, 'int __stdcall ConnectNamedPipe(void *hNamedPipe, void *lpOverlapped)');
/**
 * Directory change notifications: the call queues one packet when changes (FILE_NOTIFY_INFORMATION
 * records) are in `buffer`, or with 0 bytes / STATUS_NOTIFY_ENUM_DIR when they did not fit.
 */
export const ReadDirectoryChangesW = declare<
  (directory: PointerValue, buffer: Uint8Array, length: number, watchSubtree: number, filter: number, returned: null, overlapped: Uint8Array, routine: null) => number
>(kernel32, 'int __stdcall ReadDirectoryChangesW(void *hDirectory, _Out_ void *lpBuffer, uint32_t nBufferLength, int bWatchSubtree, uint32_t dwNotifyFilter, _Out_ uint32_t *lpBytesReturned, void *lpOverlapped, void *lpCompletionRoutine)');
/** Fills a BY_HANDLE_FILE_INFORMATION (52 bytes; dwFileAttributes at 0). */
export const GetFileInformationByHandle = declare<(file: PointerValue, info: Uint8Array) => number>(
  kernel32, 'int __stdcall GetFileInformationByHandle(void *hFile, _Out_ void *lpFileInformation)');
export const DisconnectNamedPipe = declare<(pipe: PointerValue) => number>(
  kernel32, 'int __stdcall DisconnectNamedPipe(void *hNamedPipe)');
/**
 * `curInstances` receives how many instances the pipe's name has, made by any process: 1 for the
 * first instance of a new pipe. The other outputs are not asked for.
 */
export const GetNamedPipeHandleStateW = declare<
  (pipe: PointerValue, state: null, curInstances: Uint32Array, maxCollection: null, collectTimeout: null, userName: null, userNameSize: number) => number
>(kernel32, 'int __stdcall GetNamedPipeHandleStateW(void *hNamedPipe, _Out_ uint32_t *lpState, _Out_ uint32_t *lpCurInstances, _Out_ uint32_t *lpMaxCollectionCount, _Out_ uint32_t *lpCollectDataTimeout, _Out_ uint16_t *lpUserName, uint32_t nMaxUserNameSize)');
/** What an open handle is: FILE_TYPE_DISK, FILE_TYPE_CHAR, FILE_TYPE_PIPE, or FILE_TYPE_UNKNOWN (also on failure). */
export const GetFileType = declare<(file: PointerValue) => number>(kernel32, 'uint32_t __stdcall GetFileType(void *hFile)');
export const FILE_TYPE_UNKNOWN = 0;
export const FILE_TYPE_DISK = 1;
export const FILE_TYPE_CHAR = 2;
export const FILE_TYPE_PIPE = 3;

// Paths and directories, for finding the program a child process runs. Each of the three
// string-returning calls writes at most `size` UTF-16 units (NUL included) and returns the length
// written without the NUL, or, when the buffer is too small, the size needed with the NUL; 0 on failure.
/** The path made absolute the way CreateFileW would (against the current directory; `.`/`..` resolved; trailing dots and spaces of the last name removed). */
export const GetFullPathNameW = declare<(name: string, size: number, buffer: Uint16Array, filePart: null) => number>(
  kernel32, 'uint32_t __stdcall GetFullPathNameW(str16 lpFileName, uint32_t nBufferLength, _Out_ uint16_t *lpBuffer, void *lpFilePart)');
export const GetSystemDirectoryW = declare<(buffer: Uint16Array, size: number) => number>(
  kernel32, 'uint32_t __stdcall GetSystemDirectoryW(_Out_ uint16_t *lpBuffer, uint32_t uSize)');
export const GetWindowsDirectoryW = declare<(buffer: Uint16Array, size: number) => number>(
  kernel32, 'uint32_t __stdcall GetWindowsDirectoryW(_Out_ uint16_t *lpBuffer, uint32_t uSize)');
/** The file's attributes (FILE_ATTRIBUTE_*), or INVALID_FILE_ATTRIBUTES when there is none by that name. */
export const GetFileAttributesW = declare<(name: string) => number>(kernel32, 'uint32_t __stdcall GetFileAttributesW(str16 lpFileName)');
export const INVALID_FILE_ATTRIBUTES = 0xffff_ffff;

export const INFINITE = 0xffff_ffff;
export const GENERIC_READ = 0x8000_0000;
export const GENERIC_WRITE = 0x4000_0000;
export const FILE_SHARE_READ = 0x1;
export const FILE_SHARE_WRITE = 0x2;
export const FILE_SHARE_DELETE = 0x4;
export const CREATE_NEW = 1;
export const CREATE_ALWAYS = 2;
export const OPEN_EXISTING = 3;
export const OPEN_ALWAYS = 4;
export const FILE_ATTRIBUTE_NORMAL = 0x80;
export const FILE_ATTRIBUTE_DIRECTORY = 0x10;
/** FILE_LIST_DIRECTORY: the access ReadDirectoryChangesW needs on a directory handle. */
export const FILE_LIST_DIRECTORY = 0x1;
/** FILE_FLAG_BACKUP_SEMANTICS: CreateFileW opens a directory only with this flag. */
export const FILE_FLAG_BACKUP_SEMANTICS = 0x0200_0000;
export const FILE_NOTIFY_CHANGE_FILE_NAME = 0x1;
export const FILE_NOTIFY_CHANGE_DIR_NAME = 0x2;
export const FILE_NOTIFY_CHANGE_ATTRIBUTES = 0x4;
export const FILE_NOTIFY_CHANGE_SIZE = 0x8;
export const FILE_NOTIFY_CHANGE_LAST_WRITE = 0x10;
export const FILE_NOTIFY_CHANGE_LAST_ACCESS = 0x20;
export const FILE_NOTIFY_CHANGE_CREATION = 0x40;
export const FILE_NOTIFY_CHANGE_SECURITY = 0x100;
export const FILE_FLAG_OVERLAPPED = 0x4000_0000;
export const FILE_FLAG_FIRST_PIPE_INSTANCE = 0x0008_0000;
/**
 * CreateFileW flags for a pipe client: SECURITY_SQOS_PRESENT makes the SECURITY_* level below
 * the most the server may do with the client's token (ImpersonateNamedPipeClient). Without it
 * the level is SecurityImpersonation: a server that squats the name can act as the client.
 */
export const SECURITY_SQOS_PRESENT = 0x0010_0000;
export const SECURITY_ANONYMOUS = 0x0000_0000;
export const SECURITY_IDENTIFICATION = 0x0001_0000;
export const SECURITY_IMPERSONATION = 0x0002_0000;
export const SECURITY_DELEGATION = 0x0003_0000;
export const PIPE_ACCESS_INBOUND = 0x1;
export const PIPE_ACCESS_OUTBOUND = 0x2;
export const PIPE_ACCESS_DUPLEX = 0x3;
export const FILE_READ_ATTRIBUTES = 0x80;
export const FILE_WRITE_ATTRIBUTES = 0x100;
export const PIPE_TYPE_BYTE = 0x0;
export const PIPE_READMODE_BYTE = 0x0;
export const PIPE_WAIT = 0x0;
export const PIPE_REJECT_REMOTE_CLIENTS = 0x8;
export const PIPE_UNLIMITED_INSTANCES = 255;

// Waitable objects: events, waits, processes.
export const CreateEventW = declare<(security: null, manualReset: number, initialState: number, name: null) => PointerValue>(
  kernel32, 'void * __stdcall CreateEventW(void *lpEventAttributes, int bManualReset, int bInitialState, str16 lpName)');
export const SetEvent = declare<(event: PointerValue) => number>(kernel32, 'int __stdcall SetEvent(void *hEvent)');
export const ResetEvent = declare<(event: PointerValue) => number>(kernel32, 'int __stdcall ResetEvent(void *hEvent)');
export const WaitForSingleObject = declare<(handle: PointerValue, milliseconds: number) => number>(
  kernel32, 'uint32_t __stdcall WaitForSingleObject(void *hHandle, uint32_t dwMilliseconds)');
/** A handle to thread `threadId` of any process, or null (GetLastError says why). */
export const OpenThread = declare<(access: number, inherit: number, threadId: number) => PointerValue>(
  kernel32, 'void * __stdcall OpenThread(uint32_t dwDesiredAccess, int bInheritHandle, uint32_t dwThreadId)');
/** Ends a thread at once, without running any of its code: for tests that kill winmux's threads. */
export const TerminateThread = declare<(thread: PointerValue, code: number) => number>(
  kernel32, 'int __stdcall TerminateThread(void *hThread, uint32_t dwExitCode)');
/** The id of the thread `thread` is a handle to (0 on failure). */
export const GetThreadId = declare<(thread: PointerValue) => number>(kernel32, 'uint32_t __stdcall GetThreadId(void *Thread)');
/** Access right GetThreadId needs. */
export const THREAD_QUERY_LIMITED_INFORMATION = 0x0800;
/**
 * A thread's creation, exit, kernel and user times (FILETIMEs: 100 ns units, 8 bytes each) — for
 * tests that wait until a thread has stopped running before killing it. Under Wine the CPU times
 * come from /proc, in clock ticks (10 ms).
 */
export const GetThreadTimes = declare<(thread: PointerValue, creation: BigUint64Array, exit: BigUint64Array, kernel: BigUint64Array, user: BigUint64Array) => number>(
  kernel32, 'int __stdcall GetThreadTimes(void *hThread, _Out_ void *lpCreationTime, _Out_ void *lpExitTime, _Out_ void *lpKernelTime, _Out_ void *lpUserTime)');
/** Access right to wait on an object (a thread handle is signalled when the thread ends). */
export const SYNCHRONIZE = 0x0010_0000;
export const THREAD_TERMINATE = 0x1;
/** `handles` is an array of `count` HANDLEs (8 bytes each). */
export const WaitForMultipleObjects = declare<(count: number, handles: Uint8Array, waitAll: number, milliseconds: number) => number>(
  kernel32, 'uint32_t __stdcall WaitForMultipleObjects(uint32_t nCount, const void *lpHandles, int bWaitAll, uint32_t dwMilliseconds)');
/**
 * `app`: the full path of the program, or null to have CreateProcessW search for the command
 * line's first word (which searches the current directory too: spawnProcess never passes null).
 * `commandLine` must be writable UTF-16 (CreateProcessW may modify it), NUL-terminated. `startup`
 * is a STARTUPINFOW, or a STARTUPINFOEXW with EXTENDED_STARTUPINFO_PRESENT in `flags`.
 */
export const CreateProcessW = declare<
  (app: string | null, commandLine: Uint8Array, processAttributes: null, threadAttributes: null, inherit: number, flags: number, environment: Uint8Array | null, cwd: string | null, startup: Uint8Array, info: Uint8Array) => number
>(kernel32, 'int __stdcall CreateProcessW(str16 lpApplicationName, _Inout_ void *lpCommandLine, void *lpProcessAttributes, void *lpThreadAttributes, int bInheritHandles, uint32_t dwCreationFlags, void *lpEnvironment, str16 lpCurrentDirectory, void *lpStartupInfo, _Out_ void *lpProcessInformation)');
export const GetExitCodeProcess = declare<(process: PointerValue, code: Uint32Array) => number>(
  kernel32, 'int __stdcall GetExitCodeProcess(void *hProcess, _Out_ uint32_t *lpExitCode)');
export const TerminateProcess = declare<(process: PointerValue, code: number) => number>(
  kernel32, 'int __stdcall TerminateProcess(void *hProcess, uint32_t uExitCode)');
export const CreateSemaphoreW = declare<(security: null, initial: number, maximum: number, name: null) => PointerValue>(
  kernel32, 'void * __stdcall CreateSemaphoreW(void *lpSemaphoreAttributes, int32_t lInitialCount, int32_t lMaximumCount, str16 lpName)');
export const ReleaseSemaphore = declare<(semaphore: PointerValue, count: number, previous: null) => number>(
  kernel32, 'int __stdcall ReleaseSemaphore(void *hSemaphore, int32_t lReleaseCount, _Out_ int32_t *lpPreviousCount)');

// Handle inheritance and standard handles, for child processes.
/** `size` is a pointer-sized in/out byte count (8 bytes); with a null list it is only written. */
export const InitializeProcThreadAttributeList = declare<(list: Uint8Array | null, count: number, flags: number, size: Uint8Array) => number>(
  kernel32, 'int __stdcall InitializeProcThreadAttributeList(void *lpAttributeList, uint32_t dwAttributeCount, uint32_t dwFlags, _Inout_ void *lpSize)');
/** `value` must stay alive (and unmoved) until the list is deleted: the list keeps its address. */
export const UpdateProcThreadAttribute = declare<(list: Uint8Array, flags: number, attribute: number, value: Uint8Array, size: number, previous: null, returnSize: null) => number>(
  kernel32, 'int __stdcall UpdateProcThreadAttribute(void *lpAttributeList, uint32_t dwFlags, uintptr_t Attribute, void *lpValue, uintptr_t cbSize, void *lpPreviousValue, void *lpReturnSize)');
export const DeleteProcThreadAttributeList = declare<(list: Uint8Array) => void>(
  kernel32, 'void __stdcall DeleteProcThreadAttributeList(void *lpAttributeList)');
/** `which` is STD_INPUT_HANDLE etc.; returns NULL when there is none, INVALID_HANDLE_VALUE on failure. */
export const GetStdHandle = declare<(which: number) => PointerValue>(kernel32, 'void * __stdcall GetStdHandle(uint32_t nStdHandle)');
export const SetStdHandle = declare<(which: number, handle: PointerValue) => number>(
  kernel32, 'int __stdcall SetStdHandle(uint32_t nStdHandle, void *hHandle)');
/** `target` receives the new HANDLE (8 bytes). */
export const DuplicateHandle = declare<
  (sourceProcess: PointerValue, source: PointerValue, targetProcess: PointerValue, target: Uint8Array, access: number, inherit: number, options: number) => number
>(kernel32, 'int __stdcall DuplicateHandle(void *hSourceProcessHandle, void *hSourceHandle, void *hTargetProcessHandle, _Out_ void *lpTargetHandle, uint32_t dwDesiredAccess, int bInheritHandle, uint32_t dwOptions)');
export const GetHandleInformation = declare<(handle: PointerValue, flags: Uint32Array) => number>(
  kernel32, 'int __stdcall GetHandleInformation(void *hObject, _Out_ uint32_t *lpdwFlags)');

/** GetCurrentProcess()'s pseudo-handle, (HANDLE)-1. */
export const CURRENT_PROCESS = 0xffff_ffff_ffff_ffffn;
export const STD_INPUT_HANDLE = 0xffff_fff6; // (DWORD)-10
export const STD_OUTPUT_HANDLE = 0xffff_fff5; // (DWORD)-11
export const STD_ERROR_HANDLE = 0xffff_fff4; // (DWORD)-12
export const DUPLICATE_SAME_ACCESS = 0x2;
export const HANDLE_FLAG_INHERIT = 0x1;
export const EXTENDED_STARTUPINFO_PRESENT = 0x0008_0000;
export const STARTF_USESTDHANDLES = 0x100;
/** ProcThreadAttributeValue(2, FALSE, TRUE, FALSE): the handles a child may inherit. */
export const PROC_THREAD_ATTRIBUTE_HANDLE_LIST = 0x0002_0002;

export const WAIT_OBJECT_0 = 0;
export const WAIT_ABANDONED_0 = 0x80;
export const WAIT_TIMEOUT = 258;
export const WAIT_FAILED = 0xffff_ffff;
/** WaitForMultipleObjects takes at most 64 handles. */
export const MAXIMUM_WAIT_OBJECTS = 64;
export const STILL_ACTIVE = 259;
export const CREATE_UNICODE_ENVIRONMENT = 0x400;
export const CREATE_NO_WINDOW = 0x0800_0000;

// Console input (wincon.h). A console input handle ("CONIN$") is waitable: it is signalled while
// the console's input buffer holds records (WaitForSingleObject docs, "Console input").
export const GetConsoleMode = declare<(console: PointerValue, mode: Uint32Array) => number>(
  kernel32, 'int __stdcall GetConsoleMode(void *hConsoleHandle, _Out_ uint32_t *lpMode)');
export const GetNumberOfConsoleInputEvents = declare<(console: PointerValue, count: Uint32Array) => number>(
  kernel32, 'int __stdcall GetNumberOfConsoleInputEvents(void *hConsoleInput, _Out_ uint32_t *lpcNumberOfEvents)');
/** Blocks until at least one record is read: call it only when GetNumberOfConsoleInputEvents says some are there. */
export const ReadConsoleInputW = declare<(console: PointerValue, records: Uint8Array, length: number, read: Uint32Array) => number>(
  kernel32, 'int __stdcall ReadConsoleInputW(void *hConsoleInput, _Out_ void *lpBuffer, uint32_t nLength, _Out_ uint32_t *lpNumberOfEventsRead)');
export const WriteConsoleInputW = declare<(console: PointerValue, records: Uint8Array, length: number, written: Uint32Array) => number>(
  kernel32, 'int __stdcall WriteConsoleInputW(void *hConsoleInput, const void *lpBuffer, uint32_t nLength, _Out_ uint32_t *lpNumberOfEventsWritten)');
/** INPUT_RECORD.EventType of a KEY_EVENT_RECORD. */
export const KEY_EVENT = 0x0001;

// Job objects (jobapi2.h, winnt.h). A job groups processes: a process started by a member joins
// the job too (unless it breaks away), TerminateJobObject ends every member, and a job associated
// with a completion port posts JOB_OBJECT_MSG_* packets to it: key = the job's CompletionKey,
// lpOverlapped = the process id, dwNumberOfBytesTransferred = the message id. Microsoft documents
// these messages as not guaranteed (JOBOBJECT_ASSOCIATE_COMPLETION_PORT remarks).
export const CreateJobObjectW = declare<(security: null, name: null) => PointerValue>(
  kernel32, 'void * __stdcall CreateJobObjectW(void *lpJobAttributes, str16 lpName)');
export const AssignProcessToJobObject = declare<(job: PointerValue, process: PointerValue) => number>(
  kernel32, 'int __stdcall AssignProcessToJobObject(void *hJob, void *hProcess)');
export const TerminateJobObject = declare<(job: PointerValue, exitCode: number) => number>(
  kernel32, 'int __stdcall TerminateJobObject(void *hJob, uint32_t uExitCode)');
export const SetInformationJobObject = declare<(job: PointerValue, infoClass: number, info: Uint8Array, length: number) => number>(
  kernel32, 'int __stdcall SetInformationJobObject(void *hJob, int JobObjectInformationClass, void *lpJobObjectInformation, uint32_t cbJobObjectInformationLength)');
export const QueryInformationJobObject = declare<(job: PointerValue, infoClass: number, info: Uint8Array, length: number, returned: Uint32Array | null) => number>(
  kernel32, 'int __stdcall QueryInformationJobObject(void *hJob, int JobObjectInformationClass, _Out_ void *lpJobObjectInformation, uint32_t cbJobObjectInformationLength, _Out_ uint32_t *lpReturnLength)');
/** `job` null: whether the process is in any job. `result` receives a BOOL. */
export const IsProcessInJob = declare<(process: PointerValue, job: PointerValue | null, result: Uint32Array) => number>(
  kernel32, 'int __stdcall IsProcessInJob(void *ProcessHandle, void *JobHandle, _Out_ int *Result)');
/** The thread's previous suspend count, or (DWORD)-1 on failure. */
export const ResumeThread = declare<(thread: PointerValue) => number>(kernel32, 'uint32_t __stdcall ResumeThread(void *hThread)');
/** A handle to process `processId`, or null (GetLastError says why: ERROR_INVALID_PARAMETER when no such process). */
export const OpenProcess = declare<(access: number, inherit: number, processId: number) => PointerValue>(
  kernel32, 'void * __stdcall OpenProcess(uint32_t dwDesiredAccess, int bInheritHandle, uint32_t dwProcessId)');

/** JOBOBJECTINFOCLASS values. */
export const JobObjectBasicProcessIdList = 3;
export const JobObjectAssociateCompletionPortInformation = 7;
export const JobObjectExtendedLimitInformation = 9;
/** JOBOBJECT_BASIC_LIMIT_INFORMATION.LimitFlags bits. */
export const JOB_OBJECT_LIMIT_BREAKAWAY_OK = 0x800;
export const JOB_OBJECT_LIMIT_SILENT_BREAKAWAY_OK = 0x1000;
export const JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE = 0x2000;
/** JOB_OBJECT_MSG_* ids, the dwNumberOfBytesTransferred of a job's packet. */
export const JOB_OBJECT_MSG_END_OF_JOB_TIME = 1;
export const JOB_OBJECT_MSG_END_OF_PROCESS_TIME = 2;
export const JOB_OBJECT_MSG_ACTIVE_PROCESS_LIMIT = 3;
export const JOB_OBJECT_MSG_ACTIVE_PROCESS_ZERO = 4;
export const JOB_OBJECT_MSG_NEW_PROCESS = 6;
export const JOB_OBJECT_MSG_EXIT_PROCESS = 7;
export const JOB_OBJECT_MSG_ABNORMAL_EXIT_PROCESS = 8;
export const JOB_OBJECT_MSG_PROCESS_MEMORY_LIMIT = 9;
export const JOB_OBJECT_MSG_JOB_MEMORY_LIMIT = 10;
/** OpenProcess rights: read the exit code (and wait, with SYNCHRONIZE); end it. */
export const PROCESS_QUERY_LIMITED_INFORMATION = 0x1000;
export const PROCESS_TERMINATE = 0x1;
/** CreateProcessW flags: start with the first thread suspended; leave the parent's job(s) (each must allow it: JOB_OBJECT_LIMIT_BREAKAWAY_OK). */
export const CREATE_SUSPENDED = 0x4;
export const CREATE_BREAKAWAY_FROM_JOB = 0x0100_0000;
