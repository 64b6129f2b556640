// Windows error codes and the one error class that carries them. Plain data and TypeScript, no
// koffi: it sits in core/, below win32/ (whose bindings throw WinError) and beside core/errors.ts
// (whose NodeSocketError wraps one), so neither imports upward.
import { getSystemErrorMap } from 'node:util';
import { WinmuxError } from './winmux-error.ts';
//
// Win32 (`GetLastError`) and Winsock (`WSAGetLastError`) share one number space: Winsock codes
// live at 10000–11999 and the overlapped-I/O codes (995, 996, 997) are plain Win32 codes that
// Winsock also returns. So one table serves both.

/**
 * The Windows errors winmux names, each with the code Node gives the same failure: the libuv
 * error name (`uv_translate_sys_error`, libuv's src/win/error.c, as of libuv 1.48) that Node puts
 * in `err.code` when its own Windows calls fail this way, or `null` where libuv has none (Node then
 * says `UNKNOWN`). docs/errors.md is generated from this table (scripts/gen-errors-doc.mjs).
 */
export const WINDOWS_ERRORS = [
  // Win32 (winerror.h)
  [0, 'ERROR_SUCCESS', null],
  [1, 'ERROR_INVALID_FUNCTION', 'EISDIR'],
  [2, 'ERROR_FILE_NOT_FOUND', 'ENOENT'],
  [3, 'ERROR_PATH_NOT_FOUND', 'ENOENT'],
  [4, 'ERROR_TOO_MANY_OPEN_FILES', 'EMFILE'],
  [5, 'ERROR_ACCESS_DENIED', 'EACCES'],
  [6, 'ERROR_INVALID_HANDLE', 'EBADF'],
  [8, 'ERROR_NOT_ENOUGH_MEMORY', 'ENOMEM'],
  [13, 'ERROR_INVALID_DATA', 'EINVAL'],
  [14, 'ERROR_OUTOFMEMORY', 'ENOMEM'],
  [15, 'ERROR_INVALID_DRIVE', 'ENOENT'],
  [17, 'ERROR_NOT_SAME_DEVICE', 'EXDEV'],
  [19, 'ERROR_WRITE_PROTECT', 'EROFS'],
  [21, 'ERROR_NOT_READY', null],
  [23, 'ERROR_CRC', 'EIO'],
  [31, 'ERROR_GEN_FAILURE', 'EIO'],
  [32, 'ERROR_SHARING_VIOLATION', 'EBUSY'],
  [33, 'ERROR_LOCK_VIOLATION', 'EBUSY'],
  [38, 'ERROR_HANDLE_EOF', null],
  [39, 'ERROR_HANDLE_DISK_FULL', 'ENOSPC'],
  [50, 'ERROR_NOT_SUPPORTED', 'ENOTSUP'],
  [64, 'ERROR_NETNAME_DELETED', 'ECONNRESET'],
  [80, 'ERROR_FILE_EXISTS', 'EEXIST'],
  [82, 'ERROR_CANNOT_MAKE', 'ENOSPC'],
  [87, 'ERROR_INVALID_PARAMETER', 'EINVAL'],
  [109, 'ERROR_BROKEN_PIPE', 'EOF'],
  [110, 'ERROR_OPEN_FAILED', 'EIO'],
  [111, 'ERROR_BUFFER_OVERFLOW', 'EFAULT'],
  [112, 'ERROR_DISK_FULL', 'ENOSPC'],
  [121, 'ERROR_SEM_TIMEOUT', 'ETIMEDOUT'],
  [122, 'ERROR_INSUFFICIENT_BUFFER', 'EINVAL'],
  [123, 'ERROR_INVALID_NAME', 'ENOENT'],
  [126, 'ERROR_MOD_NOT_FOUND', 'ENOENT'],
  [145, 'ERROR_DIR_NOT_EMPTY', 'ENOTEMPTY'],
  [161, 'ERROR_BAD_PATHNAME', 'ENOENT'],
  [183, 'ERROR_ALREADY_EXISTS', 'EEXIST'],
  [203, 'ERROR_ENVVAR_NOT_FOUND', 'ENOENT'],
  [206, 'ERROR_FILENAME_EXCED_RANGE', 'ENAMETOOLONG'],
  [208, 'ERROR_META_EXPANSION_TOO_LONG', 'E2BIG'],
  [230, 'ERROR_BAD_PIPE', 'EPIPE'],
  [231, 'ERROR_PIPE_BUSY', 'EBUSY'],
  [232, 'ERROR_NO_DATA', 'EPIPE'],
  [233, 'ERROR_PIPE_NOT_CONNECTED', 'EPIPE'],
  [234, 'ERROR_MORE_DATA', null],
  [258, 'WAIT_TIMEOUT', null],
  [267, 'ERROR_DIRECTORY', 'ENOENT'],
  [535, 'ERROR_PIPE_CONNECTED', null],
  [536, 'ERROR_PIPE_LISTENING', null],
  [735, 'ERROR_ABANDONED_WAIT_0', null],
  [740, 'ERROR_ELEVATION_REQUIRED', 'EACCES'],
  [995, 'ERROR_OPERATION_ABORTED', 'ECANCELED'],
  [996, 'ERROR_IO_INCOMPLETE', null],
  [997, 'ERROR_IO_PENDING', null],
  [998, 'ERROR_NOACCESS', 'EACCES'],
  [1004, 'ERROR_INVALID_FLAGS', 'EBADF'],
  [1022, 'ERROR_NOTIFY_ENUM_DIR', null],
  [1113, 'ERROR_NO_UNICODE_TRANSLATION', 'ECHARSET'],
  [1117, 'ERROR_IO_DEVICE', 'EIO'],
  [1168, 'ERROR_NOT_FOUND', null],
  [1225, 'ERROR_CONNECTION_REFUSED', 'ECONNREFUSED'],
  [1227, 'ERROR_ADDRESS_ALREADY_ASSOCIATED', 'EADDRINUSE'],
  [1231, 'ERROR_NETWORK_UNREACHABLE', 'ENETUNREACH'],
  [1232, 'ERROR_HOST_UNREACHABLE', 'EHOSTUNREACH'],
  [1236, 'ERROR_CONNECTION_ABORTED', 'ECONNABORTED'],
  [1314, 'ERROR_PRIVILEGE_NOT_HELD', 'EPERM'],
  [1359, 'ERROR_INTERNAL_ERROR', null], // seen once from CreateProcessW under Wine 8, with the machine loaded
  [1464, 'ERROR_SYMLINK_NOT_SUPPORTED', 'EINVAL'],
  [1920, 'ERROR_CANT_ACCESS_FILE', 'EACCES'],
  [1921, 'ERROR_CANT_RESOLVE_FILENAME', 'ELOOP'],
  [2250, 'ERROR_NOT_CONNECTED', 'ENOTCONN'],
  [4392, 'ERROR_INVALID_REPARSE_DATA', 'ENOENT'],
  // Winsock (winsock2.h)
  [10004, 'WSAEINTR', 'ECANCELED'],
  [10009, 'WSAEBADF', null],
  [10013, 'WSAEACCES', 'EACCES'],
  [10014, 'WSAEFAULT', 'EFAULT'],
  [10022, 'WSAEINVAL', 'EINVAL'],
  [10024, 'WSAEMFILE', 'EMFILE'],
  [10035, 'WSAEWOULDBLOCK', 'EAGAIN'],
  [10036, 'WSAEINPROGRESS', null],
  [10037, 'WSAEALREADY', 'EALREADY'],
  [10038, 'WSAENOTSOCK', 'ENOTSOCK'],
  [10039, 'WSAEDESTADDRREQ', null],
  [10040, 'WSAEMSGSIZE', 'EMSGSIZE'],
  [10041, 'WSAEPROTOTYPE', null],
  [10042, 'WSAENOPROTOOPT', null],
  [10043, 'WSAEPROTONOSUPPORT', 'EPROTONOSUPPORT'],
  [10044, 'WSAESOCKTNOSUPPORT', 'ESOCKTNOSUPPORT'],
  [10045, 'WSAEOPNOTSUPP', null],
  [10046, 'WSAEPFNOSUPPORT', 'EINVAL'],
  [10047, 'WSAEAFNOSUPPORT', 'EAFNOSUPPORT'],
  [10048, 'WSAEADDRINUSE', 'EADDRINUSE'],
  [10049, 'WSAEADDRNOTAVAIL', 'EADDRNOTAVAIL'],
  [10050, 'WSAENETDOWN', null],
  [10051, 'WSAENETUNREACH', 'ENETUNREACH'],
  [10052, 'WSAENETRESET', null],
  [10053, 'WSAECONNABORTED', 'ECONNABORTED'],
  [10054, 'WSAECONNRESET', 'ECONNRESET'],
  [10055, 'WSAENOBUFS', 'ENOBUFS'],
  [10056, 'WSAEISCONN', 'EISCONN'],
  [10057, 'WSAENOTCONN', 'ENOTCONN'],
  [10058, 'WSAESHUTDOWN', 'EPIPE'],
  [10060, 'WSAETIMEDOUT', 'ETIMEDOUT'],
  [10061, 'WSAECONNREFUSED', 'ECONNREFUSED'],
  [10064, 'WSAEHOSTDOWN', null],
  [10065, 'WSAEHOSTUNREACH', 'EHOSTUNREACH'],
  [10091, 'WSASYSNOTREADY', null],
  [10092, 'WSAVERNOTSUPPORTED', null],
  [10093, 'WSANOTINITIALISED', null],
  [10101, 'WSAEDISCON', null],
  [11001, 'WSAHOST_NOT_FOUND', 'ENOENT'],
  [11002, 'WSATRY_AGAIN', null],
  [11004, 'WSANO_DATA', 'ENOENT'],
] as const satisfies readonly (readonly [errno: number, name: string, nodeCode: string | null])[];

const BY_ERRNO: ReadonlyMap<number, readonly [number, string, string | null]> = new Map(WINDOWS_ERRORS.map((row) => [row[0], row]));

/** One row of the table: [errno, name, Node's code]. */
type WindowsErrorRow = (typeof WINDOWS_ERRORS)[number];

/** The number of each error in the table, by its name (`ERROR.WSAEWOULDBLOCK` is 10035): derived, so there is one table. */
export const ERROR = Object.freeze(Object.fromEntries(WINDOWS_ERRORS.map(([errno, name]) => [name, errno]))) as {
  readonly [Row in WindowsErrorRow as Row[1]]: Row[0];
};

/**
 * The symbolic name of a Win32 or Winsock error code, e.g. `WSAENOTSOCK` for 10038.
 * Codes outside the table get `WSA_ERROR_<n>` (Winsock range) or `WIN32_ERROR_<n>`.
 */
export function errorName(errno: number): string {
  const known = BY_ERRNO.get(errno);
  if (known !== undefined) return known[1];
  return errno >= 10000 && errno < 12000 ? `WSA_ERROR_${errno}` : `WIN32_ERROR_${errno}`;
}

/**
 * The code Node gives the failure `errno` stands for (libuv's name for it: `ECONNREFUSED` for
 * WSAECONNREFUSED, `ENOENT` for ERROR_FILE_NOT_FOUND), or `UNKNOWN`, as Node says for a Windows
 * error libuv does not map.
 */
export function nodeCodeOf(errno: number): string {
  return BY_ERRNO.get(errno)?.[2] ?? 'UNKNOWN';
}

/** libuv's error numbers by name (`ECONNRESET` → -4077 on Windows), from the running Node: made on first use. */
let libuvErrnos: Map<string, number> | undefined;

/** libuv's (negative) number for the code `name` (`ECONNRESET` → -4077), as Node's `errno`; undefined if the running Node has none. */
export function libuvErrno(name: string): number | undefined {
  libuvErrnos ??= new Map([...getSystemErrorMap()].map(([errno, [code]]) => [code, errno]));
  return libuvErrnos.get(name);
}

export interface WinErrorOptions extends ErrorOptions {
  /** Follows the standard message after a colon. */
  detail?: string;
  /** The remote or local address the call was about (as Node's net errors carry). */
  address?: string;
  port?: number;
  /**
   * Node's code where the failing step gives the Windows error a meaning of its own, as libuv does
   * (`uv_pipe_bind` says EADDRINUSE for CreateNamedPipeW's ERROR_ACCESS_DENIED); by default the
   * table's.
   */
  nodeCode?: string;
}

/**
 * A failed Windows call, shaped like the error Node gives for the same failure, so a Node-style
 * check (`err.code === 'ECONNREFUSED'`, `'ENOENT'`, `'EADDRINUSE'`) matches it as it is:
 * - `code`: Node's code, libuv's name for the Windows error (`uv_translate_sys_error`: the table
 *   WINDOWS_ERRORS above). Where libuv maps the error to nothing (Node then says `UNKNOWN`), `code`
 *   is the Windows name instead (`ERROR_PIPE_CONNECTED`): `UNKNOWN` would tell a caller nothing.
 * - `errno`: libuv's negative number for that code, as Node's (`UNKNOWN`'s, -4094, where `code`
 *   is a Windows name).
 * - `winCode`: the Windows name (`WSAECONNREFUSED`); `winErrno`: the number `GetLastError` or
 *   `WSAGetLastError` returned right after the call (10061).
 * - `syscall`: the Win32 function that failed (Node names its own step: `connect`, `open`).
 * Connects and binds also carry `address` and `port`, as Node's errors do. The message is
 * `<syscall> <code> <winCode> (<winErrno>)`, or `<syscall> <winCode> (<winErrno>)` where the two
 * codes are the same.
 */
export class WinError extends WinmuxError {
  override readonly name = 'WinError';
  readonly code: string;
  readonly errno: number | undefined;
  readonly winCode: string;
  readonly winErrno: number;
  readonly syscall: string;
  readonly address?: string;
  readonly port?: number;

  constructor(syscall: string, winErrno: number, options?: WinErrorOptions) {
    const winCode = errorName(winErrno);
    const nodeCode = options?.nodeCode ?? nodeCodeOf(winErrno);
    const code = nodeCode === 'UNKNOWN' ? winCode : nodeCode;
    const codes = code === winCode ? winCode : `${code} ${winCode}`;
    super(`${syscall} ${codes} (${winErrno})${options?.detail ? `: ${options.detail}` : ''}`, options);
    this.code = code;
    this.errno = libuvErrno(nodeCode);
    this.winCode = winCode;
    this.winErrno = winErrno;
    this.syscall = syscall;
    if (options?.address !== undefined) this.address = options.address;
    if (options?.port !== undefined) this.port = options.port;
  }
}
