// Checked Winsock calls: each reads WSAGetLastError right after a failed call and throws a
// WinError, except the one outcome a non-blocking caller expects (WSAEWOULDBLOCK), which is
// returned as `null`. These are the building blocks for the reactor's wakeup pair, the tests and
// the networking classes; they never block unless the socket is blocking.
import { checkBuffer } from '../core/buffers.ts';
import net from 'node:net';
import * as ws from './ws2_32.ts';
import { ERROR, WinError } from '../core/windows-errors.ts';
import { SOCKADDR_IN, SOCKADDR_IN6, SOCKADDR_STORAGE_SIZE } from './structs.ts';
import type { PointerValue } from './ffi.ts';

/**
 * A Winsock SOCKET as a JS number. Kernel handles are significant in their low 32 bits only
 * (documented for 32/64-bit interoperability), so a number holds every valid SOCKET exactly.
 */
export type Socket = number;

export interface SocketAddress {
  family: 'IPv4' | 'IPv6';
  address: string;
  port: number;
}

/** Validates a user-supplied socket value: a non-negative integer number or BigInt. */
export function toSocket(value: unknown, what = 'socket'): Socket {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === 'bigint' && value >= 0n && value <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(value);
  throw new TypeError(`${what} must be a SOCKET (non-negative integer or BigInt), got ${describe(value)}`);
}

function describe(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

function fromKoffiSocket(value: PointerValue, syscall: string): Socket {
  if (value === ws.INVALID_SOCKET) throw new WinError(syscall, ws.WSAGetLastError());
  return Number(value);
}

function check(result: number, syscall: string, where?: { address: string; port: number }): void {
  if (result === ws.SOCKET_ERROR) throw new WinError(syscall, ws.WSAGetLastError(), where && { ...where, detail: `${where.address}:${where.port}` });
}

export function createSocket(family: number, type: number, protocol: number): Socket {
  ws.ensureWinsock();
  return fromKoffiSocket(ws.socket(family, type, protocol), 'socket');
}

export function closeSocket(s: Socket): void {
  check(ws.closesocket(s), 'closesocket');
}

export function setNonBlocking(s: Socket, nonBlocking = true): void {
  check(ws.ioctlsocket(s, ws.FIONBIO, new Uint32Array([nonBlocking ? 1 : 0])), 'ioctlsocket');
}

export function setIntOption(s: Socket, level: number, option: number, value: number): void {
  const bytes = new Uint8Array(new Int32Array([value]).buffer);
  check(ws.setsockopt(s, level, option, bytes, 4), 'setsockopt');
}

export function getIntOption(s: Socket, level: number, option: number): number {
  const value = new Int32Array(1);
  check(ws.getsockopt(s, level, option, new Uint8Array(value.buffer), new Int32Array([4])), 'getsockopt');
  return value[0]!;
}

/** The pending error of a socket (SO_ERROR), e.g. the outcome of a non-blocking connect; 0 if none. */
export function socketError(s: Socket): number {
  return getIntOption(s, ws.SOL_SOCKET, ws.SO_ERROR);
}

/** Encodes a numeric IPv4/IPv6 address and port as SOCKADDR_IN/SOCKADDR_IN6. */
export function encodeAddress(host: string, port: number): Uint8Array {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`port must be an integer from 0 to 65535, got ${String(port)}`);
  const version = net.isIP(host);
  if (version === 0) throw new TypeError(`host must be a numeric IP address, got ${JSON.stringify(host) ?? String(host)}`);
  const v6 = version === 6;
  const layout = v6 ? SOCKADDR_IN6 : SOCKADDR_IN;
  const bytes = new Uint8Array(layout.SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint16(layout.FAMILY, v6 ? ws.AF_INET6 : ws.AF_INET, true);
  view.setUint16(layout.PORT, port, false);
  ws.ensureWinsock();
  if (ws.inet_pton(v6 ? ws.AF_INET6 : ws.AF_INET, host, bytes.subarray(layout.ADDR)) !== 1) {
    throw new WinError('inet_pton', ws.WSAGetLastError());
  }
  return bytes;
}

/** Decodes a SOCKADDR_IN/SOCKADDR_IN6. */
export function decodeAddress(bytes: Uint8Array): SocketAddress {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const family = view.getUint16(0, true);
  if (family === ws.AF_INET) {
    const a = bytes.subarray(SOCKADDR_IN.ADDR, SOCKADDR_IN.ADDR + 4);
    return { family: 'IPv4', address: a.join('.'), port: view.getUint16(SOCKADDR_IN.PORT, false) };
  }
  if (family === ws.AF_INET6) {
    const groups: string[] = [];
    for (let i = 0; i < 8; i++) groups.push(view.getUint16(SOCKADDR_IN6.ADDR + 2 * i, false).toString(16));
    return { family: 'IPv6', address: compressIPv6(groups), port: view.getUint16(SOCKADDR_IN6.PORT, false) };
  }
  throw new TypeError(`unsupported address family ${family}`);
}

/** RFC 5952 text form: the longest run (≥ 2) of zero groups becomes `::`. */
function compressIPv6(groups: string[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== '0') { i++; continue; }
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > bestLength) { bestStart = i; bestLength = j - i; }
    i = j;
  }
  if (bestStart < 0) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLength).join(':')}`;
}

export function bindSocket(s: Socket, host: string, port: number): void {
  const address = encodeAddress(host, port);
  check(ws.bind(s, address, address.length), 'bind', { address: host, port });
}

export function listenSocket(s: Socket, backlog = 128): void {
  check(ws.listen(s, backlog), 'listen');
}

/** Accepts one connection; `null` when none is waiting on a non-blocking listener. */
export function acceptSocket(s: Socket): Socket | null {
  const result = ws.accept(s, null, null);
  if (result === ws.INVALID_SOCKET) {
    const errno = ws.WSAGetLastError();
    if (errno === ERROR.WSAEWOULDBLOCK) return null;
    throw new WinError('accept', errno);
  }
  return Number(result);
}

/**
 * Starts a connect. Returns true when it completed at once, false when a non-blocking connect is
 * in progress (WSAEWOULDBLOCK): wait for writability, then read `socketError`.
 */
export function connectSocket(s: Socket, host: string, port: number): boolean {
  const address = encodeAddress(host, port);
  if (ws.connect(s, address, address.length) === 0) return true;
  const errno = ws.WSAGetLastError();
  if (errno === ERROR.WSAEWOULDBLOCK) return false;
  throw new WinError('connect', errno, { address: host, port, detail: `${host}:${port}` });
}

/**
 * A send/recv result: the byte count, `null` for WSAEWOULDBLOCK (the expected outcome on a
 * non-blocking socket), or a thrown WinError read right after the failed call.
 */
function bytesOrWouldBlock(result: number, syscall: string): number | null {
  if (result >= 0) return result;
  const errno = ws.WSAGetLastError();
  if (errno === ERROR.WSAEWOULDBLOCK) return null;
  throw new WinError(syscall, errno);
}

/** Sends what the kernel takes now: the byte count, or `null` if the send buffer is full. */
export function sendSome(s: Socket, data: Uint8Array): number | null {
  checkBuffer(data, 'send: data');
  return bytesOrWouldBlock(ws.send(s, data, data.length, 0), 'send');
}

/** Sends one datagram to host:port: the byte count, or `null` if the send buffer is full. */
export function sendTo(s: Socket, data: Uint8Array, host: string, port: number): number | null {
  checkBuffer(data, 'sendto: data');
  const address = encodeAddress(host, port);
  return bytesOrWouldBlock(ws.sendto(s, data, data.length, 0, address, address.length), 'sendto');
}

/** Receives into `buffer`: the byte count (0 at end of stream), or `null` if nothing is there yet. */
export function recvSome(s: Socket, buffer: Uint8Array): number | null {
  checkBuffer(buffer, 'recv: buffer', { forRead: true });
  return bytesOrWouldBlock(ws.recv(s, buffer, buffer.length, 0), 'recv');
}

export function shutdownSocket(s: Socket, how: number): void {
  check(ws.shutdown(s, how), 'shutdown');
}

function nameOf(s: Socket, call: typeof ws.getsockname, syscall: string): SocketAddress {
  const bytes = new Uint8Array(SOCKADDR_STORAGE_SIZE);
  const length = new Int32Array([bytes.length]);
  check(call(s, bytes, length), syscall);
  return decodeAddress(bytes.subarray(0, length[0]));
}

export function localAddress(s: Socket): SocketAddress {
  return nameOf(s, ws.getsockname, 'getsockname');
}

export function remoteAddress(s: Socket): SocketAddress {
  return nameOf(s, ws.getpeername, 'getpeername');
}

/** Closes sockets, ignoring errors: for clean-up paths where an error is already on its way. */
export function closeQuietly(...sockets: (Socket | undefined)[]): void {
  for (const s of sockets) if (s !== undefined) ws.closesocket(s);
}

/**
 * A connected pair of non-blocking TCP sockets over 127.0.0.1, with TCP_NODELAY: Windows has no
 * `socketpair`. Listens on an ephemeral port, connects, accepts, and closes the listener. The
 * accepted peer is checked against the connecting socket's address, so a stray local connection
 * that raced ours is refused rather than paired.
 */
export function loopbackPair(): [Socket, Socket] {
  let listener: Socket | undefined;
  let client: Socket | undefined;
  let server: Socket | undefined;
  try {
    listener = createSocket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP);
    bindSocket(listener, '127.0.0.1', 0);
    listenSocket(listener, 1);
    const { port } = localAddress(listener);
    client = createSocket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP);
    connectSocket(client, '127.0.0.1', port); // blocking: loopback completes at once
    const expected = localAddress(client);
    // ends: our client's connection is queued already (connect returned), and the accept queue, first in first out, holds at most the backlog before it
    for (;;) {
      server = acceptSocket(listener)!; // blocking listener: never null
      const peer = remoteAddress(server);
      if (peer.port === expected.port && peer.address === expected.address) break;
      closeQuietly(server);
      server = undefined;
    }
    for (const s of [client, server]) {
      setNonBlocking(s);
      setIntOption(s, ws.IPPROTO_TCP, ws.TCP_NODELAY, 1);
    }
    const pair: [Socket, Socket] = [client, server];
    client = server = undefined;
    return pair;
  } finally {
    closeQuietly(listener, client, server);
  }
}

/**
 * Checks that `s` is still a socket (getsockopt SO_TYPE): 0 if it is, else the Winsock error,
 * WSAENOTSOCK for a closed or never-valid handle.
 */
export function probeSocket(s: Socket): number {
  const value = new Uint8Array(4);
  if (ws.getsockopt(s, ws.SOL_SOCKET, ws.SO_TYPE, value, new Int32Array([4])) === 0) return 0;
  return ws.WSAGetLastError();
}


export interface Datagram {
  /** Bytes received into the buffer (the datagram's first bytes, if it was truncated). */
  bytes: number;
  /** The datagram was larger than the buffer (WSAEMSGSIZE): the rest is lost. */
  truncated: boolean;
  from: SocketAddress;
}

/** Receives one datagram into `buffer`, or `null` if none is waiting. */
export function recvFrom(s: Socket, buffer: Uint8Array): Datagram | null {
  checkBuffer(buffer, 'recvfrom: buffer', { forRead: true });
  const from = new Uint8Array(SOCKADDR_STORAGE_SIZE);
  const fromLength = new Int32Array([from.length]);
  const result = ws.recvfrom(s, buffer, buffer.length, 0, from, fromLength);
  if (result >= 0) return { bytes: result, truncated: false, from: decodeAddress(from.subarray(0, fromLength[0])) };
  const errno = ws.WSAGetLastError();
  if (errno === ERROR.WSAEWOULDBLOCK) return null;
  // WSAEMSGSIZE: the buffer was filled with the datagram's start, the rest discarded.
  if (errno === 10040) return { bytes: buffer.length, truncated: true, from: decodeAddress(from.subarray(0, fromLength[0])) };
  throw new WinError('recvfrom', errno);
}

/** SO_LINGER {on, seconds}: {true, 0} makes closesocket reset the connection (RST). */
export function setLinger(s: Socket, on: boolean, seconds: number): void {
  const value = new Uint8Array(4);
  const view = new DataView(value.buffer);
  view.setUint16(0, on ? 1 : 0, true);
  view.setUint16(2, seconds, true);
  check(ws.setsockopt(s, ws.SOL_SOCKET, ws.SO_LINGER, value, 4), 'setsockopt');
}
