// Windows error codes and the one error class that carries them.
import { WinmuxError } from '../winmux-error.ts';
//
// Win32 (`GetLastError`) and Winsock (`WSAGetLastError`) share one number space: Winsock codes
// live at 10000–11999 and the overlapped-I/O codes (995, 996, 997) are plain Win32 codes that
// Winsock also returns. So one table serves both.

/** Symbolic names of the codes winmux meets, by number. Unknown codes still get a name. */
const ERROR_NAMES: ReadonlyMap<number, string> = new Map([
  // Win32 (winerror.h)
  [0, 'ERROR_SUCCESS'],
  [1, 'ERROR_INVALID_FUNCTION'],
  [2, 'ERROR_FILE_NOT_FOUND'],
  [3, 'ERROR_PATH_NOT_FOUND'],
  [4, 'ERROR_TOO_MANY_OPEN_FILES'],
  [5, 'ERROR_ACCESS_DENIED'],
  [6, 'ERROR_INVALID_HANDLE'],
  [8, 'ERROR_NOT_ENOUGH_MEMORY'],
  [13, 'ERROR_INVALID_DATA'],
  [14, 'ERROR_OUTOFMEMORY'],
  [21, 'ERROR_NOT_READY'],
  [32, 'ERROR_SHARING_VIOLATION'],
  [38, 'ERROR_HANDLE_EOF'],
  [50, 'ERROR_NOT_SUPPORTED'],
  [64, 'ERROR_NETNAME_DELETED'],
  [80, 'ERROR_FILE_EXISTS'],
  [87, 'ERROR_INVALID_PARAMETER'],
  [109, 'ERROR_BROKEN_PIPE'],
  [121, 'ERROR_SEM_TIMEOUT'],
  [122, 'ERROR_INSUFFICIENT_BUFFER'],
  [123, 'ERROR_INVALID_NAME'],
  [183, 'ERROR_ALREADY_EXISTS'],
  [231, 'ERROR_PIPE_BUSY'],
  [232, 'ERROR_NO_DATA'],
  [233, 'ERROR_PIPE_NOT_CONNECTED'],
  [234, 'ERROR_MORE_DATA'],
  [258, 'WAIT_TIMEOUT'],
  [267, 'ERROR_DIRECTORY'],
  [535, 'ERROR_PIPE_CONNECTED'],
  [536, 'ERROR_PIPE_LISTENING'],
  [735, 'ERROR_ABANDONED_WAIT_0'],
  [995, 'ERROR_OPERATION_ABORTED'],
  [996, 'ERROR_IO_INCOMPLETE'],
  [997, 'ERROR_IO_PENDING'],
  [998, 'ERROR_NOACCESS'],
  [1022, 'ERROR_NOTIFY_ENUM_DIR'],
  [1168, 'ERROR_NOT_FOUND'],
  [1225, 'ERROR_CONNECTION_REFUSED'],
  [1236, 'ERROR_CONNECTION_ABORTED'],
  // Winsock (winsock2.h)
  [10004, 'WSAEINTR'],
  [10009, 'WSAEBADF'],
  [10013, 'WSAEACCES'],
  [10014, 'WSAEFAULT'],
  [10022, 'WSAEINVAL'],
  [10024, 'WSAEMFILE'],
  [10035, 'WSAEWOULDBLOCK'],
  [10036, 'WSAEINPROGRESS'],
  [10037, 'WSAEALREADY'],
  [10038, 'WSAENOTSOCK'],
  [10039, 'WSAEDESTADDRREQ'],
  [10040, 'WSAEMSGSIZE'],
  [10041, 'WSAEPROTOTYPE'],
  [10042, 'WSAENOPROTOOPT'],
  [10043, 'WSAEPROTONOSUPPORT'],
  [10044, 'WSAESOCKTNOSUPPORT'],
  [10045, 'WSAEOPNOTSUPP'],
  [10046, 'WSAEPFNOSUPPORT'],
  [10047, 'WSAEAFNOSUPPORT'],
  [10048, 'WSAEADDRINUSE'],
  [10049, 'WSAEADDRNOTAVAIL'],
  [10050, 'WSAENETDOWN'],
  [10051, 'WSAENETUNREACH'],
  [10052, 'WSAENETRESET'],
  [10053, 'WSAECONNABORTED'],
  [10054, 'WSAECONNRESET'],
  [10055, 'WSAENOBUFS'],
  [10056, 'WSAEISCONN'],
  [10057, 'WSAENOTCONN'],
  [10058, 'WSAESHUTDOWN'],
  [10060, 'WSAETIMEDOUT'],
  [10061, 'WSAECONNREFUSED'],
  [10064, 'WSAEHOSTDOWN'],
  [10065, 'WSAEHOSTUNREACH'],
  [10091, 'WSASYSNOTREADY'],
  [10092, 'WSAVERNOTSUPPORTED'],
  [10093, 'WSANOTINITIALISED'],
  [10101, 'WSAEDISCON'],
  [11001, 'WSAHOST_NOT_FOUND'],
  [11002, 'WSATRY_AGAIN'],
  [11004, 'WSANO_DATA'],
]);

/** Numbers of the codes winmux tests for, by name (the inverse of the table above, for the ones used). */
export const ERROR = {
  ERROR_INVALID_HANDLE: 6,
  ERROR_HANDLE_EOF: 38,
  ERROR_INVALID_PARAMETER: 87,
  ERROR_BROKEN_PIPE: 109,
  ERROR_PIPE_BUSY: 231,
  ERROR_NO_DATA: 232,
  ERROR_PIPE_CONNECTED: 535,
  ERROR_NOT_FOUND: 1168,
  ERROR_FILE_NOT_FOUND: 2,
  ERROR_PATH_NOT_FOUND: 3,
  ERROR_DIRECTORY: 267,
  ERROR_NOTIFY_ENUM_DIR: 1022,
  ERROR_OPERATION_ABORTED: 995,
  ERROR_IO_PENDING: 997,
  WSAEINVAL: 10022,
  WSAEWOULDBLOCK: 10035,
  WSAEINPROGRESS: 10036,
  WSAENOTSOCK: 10038,
  WSAECONNRESET: 10054,
  WSAECONNREFUSED: 10061,
} as const;

/**
 * The symbolic name of a Win32 or Winsock error code, e.g. `WSAENOTSOCK` for 10038.
 * Codes outside the table get `WSA_ERROR_<n>` (Winsock range) or `WIN32_ERROR_<n>`.
 */
export function errorName(errno: number): string {
  const known = ERROR_NAMES.get(errno);
  if (known !== undefined) return known;
  return errno >= 10000 && errno < 12000 ? `WSA_ERROR_${errno}` : `WIN32_ERROR_${errno}`;
}

/**
 * A failed Windows call: `errno` is the number `GetLastError`/`WSAGetLastError` returned right
 * after the call, `code` its symbolic name, `syscall` the Win32 function that failed.
 */
export class WinError extends WinmuxError {
  override readonly name = 'WinError';
  readonly errno: number;
  readonly code: string;
  readonly syscall: string;

  /** `detail`, when given, follows the standard message after a colon. */
  constructor(syscall: string, errno: number, options?: ErrorOptions & { detail?: string }) {
    const code = errorName(errno);
    super(`${syscall} ${code} (${errno})${options?.detail ? `: ${options.detail}` : ''}`, options);
    this.errno = errno;
    this.code = code;
    this.syscall = syscall;
  }
}
