// ws2_32.dll: Winsock declarations with their Win32 names, and Winsock start-up.
import { declare, loadLibrary, type PointerValue } from './ffi.ts';
import { TIMEVAL, WSADATA_SIZE } from './structs.ts';
import { WinError } from '../core/windows-errors.ts';

const ws2_32 = loadLibrary('ws2_32.dll');

type Sock = PointerValue;
type Bytes = ArrayBufferView | null;

export const WSAStartup = declare<(version: number, data: Uint8Array) => number>(
  ws2_32, 'int __stdcall WSAStartup(uint16_t wVersionRequested, _Out_ void *lpWSAData)');
export const WSAGetLastError = declare<() => number>(ws2_32, 'int __stdcall WSAGetLastError()');
export const socket = declare<(af: number, type: number, protocol: number) => PointerValue>(
  ws2_32, 'uintptr_t __stdcall socket(int af, int type, int protocol)');
export const closesocket = declare<(s: Sock) => number>(ws2_32, 'int __stdcall closesocket(uintptr_t s)');
export const bind = declare<(s: Sock, name: Uint8Array, namelen: number) => number>(
  ws2_32, 'int __stdcall bind(uintptr_t s, const void *name, int namelen)');
export const listen = declare<(s: Sock, backlog: number) => number>(ws2_32, 'int __stdcall listen(uintptr_t s, int backlog)');
export const accept = declare<(s: Sock, addr: Bytes, addrlen: Int32Array | null) => PointerValue>(
  ws2_32, 'uintptr_t __stdcall accept(uintptr_t s, _Out_ void *addr, _Inout_ int *addrlen)');
export const connect = declare<(s: Sock, name: Uint8Array, namelen: number) => number>(
  ws2_32, 'int __stdcall connect(uintptr_t s, const void *name, int namelen)');
export const getsockname = declare<(s: Sock, name: Uint8Array, namelen: Int32Array) => number>(
  ws2_32, 'int __stdcall getsockname(uintptr_t s, _Out_ void *name, _Inout_ int *namelen)');
export const getpeername = declare<(s: Sock, name: Uint8Array, namelen: Int32Array) => number>(
  ws2_32, 'int __stdcall getpeername(uintptr_t s, _Out_ void *name, _Inout_ int *namelen)');
/** `cmd` is a 32-bit `long`; FIONBIO (0x8004667E) must be passed as its signed value. */
export const ioctlsocket = declare<(s: Sock, cmd: number, argp: Uint32Array) => number>(
  ws2_32, 'int __stdcall ioctlsocket(uintptr_t s, int32_t cmd, _Inout_ uint32_t *argp)');
export const send = declare<(s: Sock, buf: Uint8Array, len: number, flags: number) => number>(
  ws2_32, 'int __stdcall send(uintptr_t s, const void *buf, int len, int flags)');
export const recv = declare<(s: Sock, buf: Uint8Array, len: number, flags: number) => number>(
  ws2_32, 'int __stdcall recv(uintptr_t s, _Out_ void *buf, int len, int flags)');
export const sendto = declare<(s: Sock, buf: Uint8Array, len: number, flags: number, to: Uint8Array, tolen: number) => number>(
  ws2_32, 'int __stdcall sendto(uintptr_t s, const void *buf, int len, int flags, const void *to, int tolen)');
/**
 * `nfds` is ignored on Windows. The three sets are rewritten in place to hold only the ready
 * sockets; a null set is allowed, three null sets fail with WSAEINVAL. A null timeout blocks.
 */
export const select = declare<(nfds: number, readfds: Bytes, writefds: Bytes, exceptfds: Bytes, timeout: Bytes) => number>(
  ws2_32, 'int __stdcall select(int nfds, _Inout_ void *readfds, _Inout_ void *writefds, _Inout_ void *exceptfds, const void *timeout)');
export const setsockopt = declare<(s: Sock, level: number, optname: number, optval: Uint8Array, optlen: number) => number>(
  ws2_32, 'int __stdcall setsockopt(uintptr_t s, int level, int optname, const void *optval, int optlen)');
export const getsockopt = declare<(s: Sock, level: number, optname: number, optval: Uint8Array, optlen: Int32Array) => number>(
  ws2_32, 'int __stdcall getsockopt(uintptr_t s, int level, int optname, _Out_ void *optval, _Inout_ int *optlen)');
export const shutdown = declare<(s: Sock, how: number) => number>(ws2_32, 'int __stdcall shutdown(uintptr_t s, int how)');
export const inet_pton = declare<(family: number, text: string, addr: Uint8Array) => number>(
  ws2_32, 'int __stdcall inet_pton(int Family, const char *pszAddrString, _Out_ void *pAddrBuf)');

export const SOCKET_ERROR = -1;
/** INVALID_SOCKET, (SOCKET)~0, as koffi returns it. */
export const INVALID_SOCKET = 0xffff_ffff_ffff_ffffn;
export const AF_INET = 2;
export const AF_INET6 = 23;
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const SOL_SOCKET = 0xffff;
export const SO_SNDBUF = 0x1001;
export const SO_RCVBUF = 0x1002;
export const SO_ERROR = 0x1007;
export const SO_TYPE = 0x1008;
export const SO_LINGER = 0x0080;
export const SO_KEEPALIVE = 0x0008;
export const TCP_NODELAY = 0x0001;
/** IPPROTO_TCP: seconds idle before the first keep-alive probe (Windows 10 1709+). */
export const TCP_KEEPALIVE = 3;
/** `_IOW('f', 126, u_long)` as a signed 32-bit value. */
export const FIONBIO = 0x8004667e | 0;
export const SD_RECEIVE = 0;
export const SD_SEND = 1;
export const SD_BOTH = 2;

let winsockStarted = false;

/**
 * Starts Winsock 2.2 for this JS thread's use. WSAStartup is reference-counted per process, so a
 * call from each thread that loads this module is harmless; winsock is never cleaned up (process
 * exit does it), so sockets held by other threads never see WSANOTINITIALISED.
 *
 * It also makes the thread's own socket state now rather than at its first send or select: Wine's
 * ws2_32 creates a per-thread event (get_sync_event) at a thread's first socket call that may
 * block and keeps it until the thread exits, one handle more that appears whenever that first
 * call happens to come (for the IOCP worker, its first wake of a sleeping reactor). Made here, a
 * thread's handle count is fixed once it has started, and a leak check by count sees no late +1.
 * `select` over no sockets is the cheapest such call: it makes the event and then fails with
 * WSAEINVAL, as it does on Windows, where it costs one call and nothing else.
 */
export function ensureWinsock(): void {
  if (winsockStarted) return;
  // WSAStartup returns the error code itself; it does not set WSAGetLastError.
  const result = WSAStartup(0x0202, new Uint8Array(WSADATA_SIZE));
  if (result !== 0) throw new WinError('WSAStartup', result);
  winsockStarted = true;
  select(0, null, null, null, new Uint8Array(TIMEVAL.SIZE)); // fails WSAEINVAL by design (above)
}

export const WSAIoctl = declare<
  (s: Sock, code: number, input: Uint8Array | null, inputLength: number, output: Uint8Array, outputLength: number, returned: Uint32Array, overlapped: null, completion: null) => number
>(ws2_32, 'int __stdcall WSAIoctl(uintptr_t s, uint32_t dwIoControlCode, void *lpvInBuffer, uint32_t cbInBuffer, _Out_ void *lpvOutBuffer, uint32_t cbOutBuffer, _Out_ uint32_t *lpcbBytesReturned, void *lpOverlapped, void *lpCompletionRoutine)');
/** SIO_BASE_HANDLE: the base provider's socket under any layered service providers. */
export const SIO_BASE_HANDLE = 0x4800_0022;

/** `lpBuffers` is an array of WSABUF (16 bytes each: u32 len, pointer at 8). */
export const WSASend = declare<
  (s: Sock, buffers: Uint8Array, count: number, sent: Uint32Array | null, flags: number, overlapped: Uint8Array, completion: null) => number
>(ws2_32, 'int __stdcall WSASend(uintptr_t s, void *lpBuffers, uint32_t dwBufferCount, _Out_ uint32_t *lpNumberOfBytesSent, uint32_t dwFlags, void *lpOverlapped, void *lpCompletionRoutine)');
export const WSARecv = declare<
  (s: Sock, buffers: Uint8Array, count: number, received: Uint32Array | null, flags: Uint32Array, overlapped: Uint8Array, completion: null) => number
>(ws2_32, 'int __stdcall WSARecv(uintptr_t s, void *lpBuffers, uint32_t dwBufferCount, _Out_ uint32_t *lpNumberOfBytesRecvd, _Inout_ uint32_t *lpFlags, void *lpOverlapped, void *lpCompletionRoutine)');
export const MSG_PEEK = 0x2;
export const WSA_IO_PENDING = 997;

export const recvfrom = declare<(s: Sock, buf: Uint8Array, len: number, flags: number, from: Uint8Array, fromlen: Int32Array) => number>(
  ws2_32, 'int __stdcall recvfrom(uintptr_t s, _Out_ void *buf, int len, int flags, _Out_ void *from, _Inout_ int *fromlen)');

/**
 * `fdArray` is an array of WSAPOLLFD (structs.ts); `revents` is rewritten in each entry, `fd` and
 * `events` are left as they were. A negative timeout blocks; `fds` 0 fails with WSAEINVAL at
 * once (measured under Wine), and so does an array without one valid socket (documented).
 */
export const WSAPoll = declare<(fdArray: Uint8Array, fds: number, timeout: number) => number>(
  ws2_32, 'int __stdcall WSAPoll(_Inout_ void *fdArray, uint32_t fds, int timeout)');
/** WSAPOLLFD `events`/`revents` bits (winsock2.h). POLLIN is RDNORM|RDBAND, POLLOUT is WRNORM. */
export const POLLRDNORM = 0x0100;
export const POLLRDBAND = 0x0200;
export const POLLWRNORM = 0x0010;
/** `revents` only: reported whatever `events` asked for. */
export const POLLERR = 0x0001;
export const POLLHUP = 0x0002;
export const POLLNVAL = 0x0004;
