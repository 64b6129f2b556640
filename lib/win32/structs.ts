// Struct layouts for x64 Windows, as byte offsets. Measured with the real DLLs under Wine and
// checked against the Windows SDK headers (see docs/wine.md).

/**
 * Winsock `fd_set`: `u_int fd_count` at 0, 4 bytes of padding, then `SOCKET fd_array[]` at 8.
 * FD_SETSIZE (64) is only the default array length of the C declaration: `select` reads
 * `fd_count` entries, so a set may be allocated at any size.
 */
export const FD_SET = {
  COUNT: 0,
  ARRAY: 8,
  ENTRY_SIZE: 8,
} as const;

/**
 * Winsock `WSAPOLLFD`: `SOCKET fd` at 0, `SHORT events` at 8, `SHORT revents` at 10, then 4 bytes
 * of padding to keep the next SOCKET aligned: 16 bytes an entry on x64.
 */
export const WSAPOLLFD = {
  SIZE: 16,
  FD: 0,
  EVENTS: 8,
  REVENTS: 10,
} as const;

/**
 * `INPUT_RECORD` (wincon.h): `WORD EventType` at 0, the event union from 4; 20 bytes. For a
 * KEY_EVENT the union is a `KEY_EVENT_RECORD`: BOOL bKeyDown, WORD wRepeatCount,
 * wVirtualKeyCode, wVirtualScanCode, WCHAR UnicodeChar, DWORD dwControlKeyState.
 */
export const INPUT_RECORD = {
  SIZE: 20,
  EVENT_TYPE: 0,
  KEY_DOWN: 4,
  REPEAT_COUNT: 8,
  VIRTUAL_KEY_CODE: 10,
  VIRTUAL_SCAN_CODE: 12,
  UNICODE_CHAR: 14,
  CONTROL_KEY_STATE: 16,
} as const;

/** `struct timeval`: two 32-bit `long`s on Windows (LLP64). */
export const TIMEVAL = {
  SIZE: 8,
  SEC: 0,
  USEC: 4,
} as const;

/** `SOCKADDR_IN`: family, port (network order), IPv4 address, 8 bytes of zero. */
export const SOCKADDR_IN = {
  SIZE: 16,
  FAMILY: 0,
  PORT: 2,
  ADDR: 4,
} as const;

/** `SOCKADDR_IN6`: family, port (network order), flow info, 16-byte address, scope id. */
export const SOCKADDR_IN6 = {
  SIZE: 28,
  FAMILY: 0,
  PORT: 2,
  FLOWINFO: 4,
  ADDR: 8,
  SCOPE_ID: 24,
} as const;

/** `SOCKADDR_STORAGE`: large enough for any address family. */
export const SOCKADDR_STORAGE_SIZE = 128;

/** `WSADATA` is 408 bytes on x64; WSAStartup only needs room to write it. */
export const WSADATA_SIZE = 408;

/** `THREADENTRY32` (tlhelp32.h). */
export const THREADENTRY32 = {
  SIZE: 28,
  DW_SIZE: 0,
  THREAD_ID: 8,
  OWNER_PROCESS_ID: 12,
} as const;

/**
 * `SYSTEM_HANDLE_INFORMATION_EX` (NtQuerySystemInformation class 64): `ULONG_PTR NumberOfHandles`
 * at 0, then 40-byte `SYSTEM_HANDLE_TABLE_ENTRY_INFO_EX` entries from 16, each with the owning
 * process id as a `ULONG_PTR` at 8 (the older class 16 keeps only the pid's low 16 bits).
 */
export const SYSTEM_HANDLE_INFORMATION_EX = {
  COUNT: 0,
  ENTRIES: 16,
  ENTRY_SIZE: 40,
  ENTRY_PROCESS_ID: 8,
} as const;

/** `OVERLAPPED`: the kernel owns it while an operation is pending. */
export const OVERLAPPED = {
  SIZE: 32,
  INTERNAL: 0,
  INTERNAL_HIGH: 8,
  OFFSET: 16,
  OFFSET_HIGH: 20,
  EVENT: 24,
} as const;

/** `OVERLAPPED_ENTRY`, as GetQueuedCompletionStatusEx writes them. */
export const OVERLAPPED_ENTRY = {
  SIZE: 32,
  KEY: 0,
  OVERLAPPED: 8,
  /** The operation's NTSTATUS (the OVERLAPPED's Internal field). */
  STATUS: 16,
  BYTES: 24,
} as const;

/** `PROCESS_INFORMATION`. */
export const PROCESS_INFORMATION = {
  SIZE: 24,
  PROCESS: 0,
  THREAD: 8,
  PROCESS_ID: 16,
  THREAD_ID: 20,
} as const;

/** `STARTUPINFOW`: `cb` must be set; the handles count only with STARTF_USESTDHANDLES in `dwFlags`. */
export const STARTUPINFOW = {
  SIZE: 104,
  CB: 0,
  FLAGS: 60,
  STD_INPUT: 80,
  STD_OUTPUT: 88,
  STD_ERROR: 96,
} as const;

/** `STARTUPINFOEXW`: a STARTUPINFOW (with `cb` = this size), then the attribute list's address. */
export const STARTUPINFOEXW = {
  SIZE: 112,
  ATTRIBUTE_LIST: 104,
} as const;

/** `SECURITY_ATTRIBUTES`: length, security descriptor (NULL = default), whether handles made with it are inheritable. */
export const SECURITY_ATTRIBUTES = {
  SIZE: 24,
  LENGTH: 0,
  DESCRIPTOR: 8,
  INHERIT_HANDLE: 16,
} as const;

/** `IO_STATUS_BLOCK`. */
export const IO_STATUS_BLOCK = {
  SIZE: 16,
  STATUS: 0,
  INFORMATION: 8,
} as const;

/** `FILE_COMPLETION_INFORMATION`: the port (NULL detaches) and the key. */
export const FILE_COMPLETION_INFORMATION = {
  SIZE: 16,
  PORT: 0,
  KEY: 8,
} as const;

/** `UNICODE_STRING`: byte length, maximum byte length, pointer to UTF-16. */
export const UNICODE_STRING = {
  SIZE: 16,
  LENGTH: 0,
  MAXIMUM_LENGTH: 2,
  BUFFER: 8,
} as const;

/** `OBJECT_ATTRIBUTES`. */
export const OBJECT_ATTRIBUTES = {
  SIZE: 48,
  LENGTH: 0,
  ROOT_DIRECTORY: 8,
  OBJECT_NAME: 16,
  ATTRIBUTES: 24,
} as const;

/** `AFD_POLL_INFO` with one handle (afd.h, as used by wepoll and libuv). */
export const AFD_POLL_INFO = {
  SIZE: 32,
  TIMEOUT: 0,
  NUMBER_OF_HANDLES: 8,
  EXCLUSIVE: 12,
  HANDLE: 16,
  EVENTS: 24,
  STATUS: 28,
} as const;

/**
 * `FILE_NOTIFY_INFORMATION` (winnt.h), the records ReadDirectoryChangesW writes back to back:
 * the next record's offset from this one (0 for the last), the action (FILE_ACTION_*), the name's
 * length in bytes, then the name in UTF-16 (not NUL-terminated). Records start DWORD-aligned.
 */
export const FILE_NOTIFY_INFORMATION = {
  NEXT_ENTRY_OFFSET: 0,
  ACTION: 4,
  FILE_NAME_LENGTH: 8,
  FILE_NAME: 12,
} as const;

/** `BY_HANDLE_FILE_INFORMATION`: 52 bytes, `dwFileAttributes` first. */
export const BY_HANDLE_FILE_INFORMATION = {
  SIZE: 52,
  FILE_ATTRIBUTES: 0,
} as const;

/** `JOBOBJECT_ASSOCIATE_COMPLETION_PORT`: `PVOID CompletionKey` at 0, `HANDLE CompletionPort` at 8. */
export const JOBOBJECT_ASSOCIATE_COMPLETION_PORT = {
  SIZE: 16,
  KEY: 0,
  PORT: 8,
} as const;

/**
 * `JOBOBJECT_EXTENDED_LIMIT_INFORMATION` (144 bytes on x64): its first member, a
 * JOBOBJECT_BASIC_LIMIT_INFORMATION, has `DWORD LimitFlags` at 16 (after two LARGE_INTEGER time
 * limits); the rest (working sets, affinity, IO_COUNTERS, memory limits) winmux leaves at 0.
 */
export const JOBOBJECT_EXTENDED_LIMIT_INFORMATION = {
  SIZE: 144,
  LIMIT_FLAGS: 16,
} as const;

/** `JOBOBJECT_BASIC_PROCESS_ID_LIST`: two DWORD counts (assigned, in the list), then ULONG_PTR ids from 8. */
export const JOBOBJECT_BASIC_PROCESS_ID_LIST = {
  ASSIGNED: 0,
  IN_LIST: 4,
  IDS: 8,
  ID_SIZE: 8,
} as const;
