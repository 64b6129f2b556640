// \Device\Afd: the kernel driver behind Winsock. IOCTL_AFD_POLL asks it to complete an I/O
// request when any of a set of events happens on a socket — readiness delivered as a completion,
// which is how wepoll, libuv's uv_poll and Trio's Windows backend poll sockets without select.
// Undocumented but stable since Windows XP; Wine implements it (see docs/wine.md).
import { addressOf } from './ffi.ts';
import * as ntdll from './ntdll.ts';
import * as ws from './ws2_32.ts';
import { WinError } from '../core/windows-errors.ts';
import { AFD_POLL_INFO, IO_STATUS_BLOCK, OBJECT_ATTRIBUTES, UNICODE_STRING } from './structs.ts';

export const IOCTL_AFD_POLL = 0x0001_2024;

export const AFD_POLL_RECEIVE = 0x0001;
export const AFD_POLL_RECEIVE_EXPEDITED = 0x0002;
export const AFD_POLL_SEND = 0x0004;
export const AFD_POLL_DISCONNECT = 0x0008;
export const AFD_POLL_ABORT = 0x0010;
export const AFD_POLL_LOCAL_CLOSE = 0x0020;
export const AFD_POLL_ACCEPT = 0x0080;
export const AFD_POLL_CONNECT_FAIL = 0x0100;

/** Opens a handle to the AFD driver (`\Device\Afd\Winmux`; the part after `Afd` is free text). */
export function openAfd(): number {
  const name = Buffer.from('\\Device\\Afd\\Winmux', 'utf16le');
  const unicode = new Uint8Array(UNICODE_STRING.SIZE);
  const u = new DataView(unicode.buffer);
  u.setUint16(UNICODE_STRING.LENGTH, name.length, true);
  u.setUint16(UNICODE_STRING.MAXIMUM_LENGTH, name.length, true);
  u.setBigUint64(UNICODE_STRING.BUFFER, addressOf(name), true);
  const attributes = new Uint8Array(OBJECT_ATTRIBUTES.SIZE);
  const a = new DataView(attributes.buffer);
  a.setUint32(OBJECT_ATTRIBUTES.LENGTH, OBJECT_ATTRIBUTES.SIZE, true);
  a.setBigUint64(OBJECT_ATTRIBUTES.OBJECT_NAME, addressOf(unicode), true);
  const handle = new BigUint64Array(1);
  const status = ntdll.NtCreateFile(handle, ntdll.SYNCHRONIZE, attributes, new Uint8Array(IO_STATUS_BLOCK.SIZE), null, 0, 0x3, ntdll.FILE_OPEN, 0, null, 0);
  if (status !== ntdll.STATUS_SUCCESS) {
    throw new WinError('NtCreateFile', ntdll.RtlNtStatusToDosError(status), { detail: `\\Device\\Afd (NTSTATUS 0x${status.toString(16)})` });
  }
  return Number(handle[0]);
}

/** The base socket under any layered service providers (SIO_BASE_HANDLE); AFD polls need it. */
export function baseSocket(s: number): number {
  const out = new BigUint64Array(1);
  const returned = new Uint32Array(1);
  if (ws.WSAIoctl(s, ws.SIO_BASE_HANDLE, null, 0, new Uint8Array(out.buffer), 8, returned, null, null) !== 0) {
    throw new WinError('WSAIoctl', ws.WSAGetLastError(), { detail: 'SIO_BASE_HANDLE' });
  }
  return Number(out[0]);
}

/**
 * Starts IOCTL_AFD_POLL with `pollInfo` as input and output; `ioStatus` doubles as the packet's
 * OVERLAPPED address (ApcContext). Returns 0 when a completion packet will come, else the Win32 error.
 */
export function startAfdPoll(afd: number, ioStatus: Uint8Array, pollInfo: Uint8Array): number {
  const status = ntdll.NtDeviceIoControlFile(afd, null, null, ioStatus, ioStatus, IOCTL_AFD_POLL, pollInfo, pollInfo.length, pollInfo, pollInfo.length);
  if (status === ntdll.STATUS_PENDING || status === ntdll.STATUS_SUCCESS) return 0;
  return ntdll.RtlNtStatusToDosError(status);
}

/**
 * A typed view of one AFD_POLL_INFO with a single handle (afd.h, as wepoll and libuv use it), over
 * memory that must not move while a poll is in flight (the driver writes the result into it).
 */
export class AfdPollInfo {
  readonly #view: DataView;

  constructor(memory: Uint8Array) {
    this.#view = new DataView(memory.buffer, memory.byteOffset, AFD_POLL_INFO.SIZE);
  }

  /** Prepares a poll of `base` (the base socket) for `events`, with no timeout. */
  prepare(base: number, events: number): void {
    this.#view.setBigInt64(AFD_POLL_INFO.TIMEOUT, 0x7fff_ffff_ffff_ffffn, true);
    this.#view.setUint32(AFD_POLL_INFO.NUMBER_OF_HANDLES, 1, true);
    this.#view.setUint32(AFD_POLL_INFO.EXCLUSIVE, 0, true);
    this.#view.setBigUint64(AFD_POLL_INFO.HANDLE, BigInt(base), true);
    this.#view.setUint32(AFD_POLL_INFO.EVENTS, events, true);
  }

  /** The events the completed poll reported (0 when it reports no handle). */
  get events(): number {
    return this.#view.getUint32(AFD_POLL_INFO.NUMBER_OF_HANDLES, true) > 0 ? this.#view.getUint32(AFD_POLL_INFO.EVENTS, true) : 0;
  }
}
