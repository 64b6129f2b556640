// The checks the aborted-write suites (TCP and named pipes) make, and what a fuzzer that aborts
// writes at random may assume. An aborted write's WriteAbortedError says how many bytes went
// (`bytesWritten`); what the peer received must agree with it — never a silent partial write.
//
// Where the count is exact, and where it is not:
// - TcpStream.write: always exact (send is non-blocking; bytesWritten is what send took).
// - NamedPipe.write: `bytesWritten` counts whole WriteFile calls that completed plus the byte
//   count in the cancelled call's packet. Under Wine 8 that packet always says 0, even when the
//   peer had already read part of the cancelled write; the unread rest is dropped whole. So with
//   a peer that reads while the write is pending, the peer may hold MORE of the payload than
//   bytesWritten says, and a writer that resumes at bytesWritten sends those bytes twice.
//   `abortedPipeWriteCountsPeerReads()` says which behaviour this system has (a probe, not a
//   version check); `expectPipeWriteAbortConsistent` is the check that holds on both.
import { expect } from 'vitest';
import { WriteAbortedError } from '../../lib/index.ts';
import * as kernel32 from '../../lib/win32/kernel32.ts';
import { declare, loadLibrary } from '../../lib/win32/ffi.ts';
import { closeHandle, createFile, createNamedPipe } from '../../lib/io/handles.ts';

/** Asserts `received` is `payload`'s first `bytesWritten` bytes, then `trailer`; returns `bytesWritten`. */
export function expectResumedAtBytesWritten(error: unknown, received: Uint8Array, payload: Uint8Array, trailer: Uint8Array): number {
  expect(error).toBeInstanceOf(WriteAbortedError);
  const { bytesWritten } = error as WriteAbortedError;
  expect(bytesWritten).toBeGreaterThanOrEqual(0);
  expect(bytesWritten).toBeLessThan(payload.length);
  expect(received.length).toBe(bytesWritten + trailer.length);
  expect(Buffer.from(received.subarray(0, bytesWritten)).equals(payload.subarray(0, bytesWritten))).toBe(true);
  expect(Buffer.from(received.subarray(bytesWritten)).equals(trailer)).toBe(true);
  return bytesWritten;
}

/**
 * The check for an aborted NamedPipe.write whose peer may have read during the write, followed by
 * `trailer` written after the abort. Where `abortedPipeWriteCountsPeerReads()` is true it is
 * `expectResumedAtBytesWritten`; elsewhere (Wine 8) the peer got a prefix of `payload` at least
 * `bytesWritten` long (the extra bytes are what it read of the cancelled WriteFile), then
 * `trailer`. Returns how many payload bytes the peer got.
 */
export function expectPipeWriteAbortConsistent(error: unknown, received: Uint8Array, payload: Uint8Array, trailer: Uint8Array): number {
  if (abortedPipeWriteCountsPeerReads()) return expectResumedAtBytesWritten(error, received, payload, trailer);
  expect(error).toBeInstanceOf(WriteAbortedError);
  const { bytesWritten } = error as WriteAbortedError;
  const got = received.length - trailer.length;
  expect(got).toBeGreaterThanOrEqual(bytesWritten);
  expect(got).toBeLessThanOrEqual(payload.length);
  expect(Buffer.from(received.subarray(0, got)).equals(payload.subarray(0, got))).toBe(true);
  expect(Buffer.from(received.subarray(got)).equals(trailer)).toBe(true);
  return got;
}

const k32 = loadLibrary('kernel32.dll');
/** ReadFile on a handle opened without FILE_FLAG_OVERLAPPED (winmux's own binding is overlapped only). */
const ReadFileSync = declare<(handle: number, buffer: Uint8Array, size: number, read: Uint32Array, overlapped: null) => number>(
  k32, 'int __stdcall ReadFile(void *hFile, _Out_ void *lpBuffer, uint32_t nNumberOfBytesToRead, _Out_ uint32_t *lpNumberOfBytesRead, void *lpOverlapped)');
const WriteFileOverlapped = declare<(handle: number, data: Uint8Array, size: number, written: null, overlapped: Uint8Array) => number>(
  k32, 'int __stdcall WriteFile(void *hFile, void *lpBuffer, uint32_t nNumberOfBytesToWrite, uint32_t *lpNumberOfBytesWritten, void *lpOverlapped)');
const GetOverlappedResult = declare<(handle: number, overlapped: Uint8Array, bytes: Uint32Array, wait: number) => number>(
  k32, 'int __stdcall GetOverlappedResult(void *hFile, void *lpOverlapped, _Out_ uint32_t *lpNumberOfBytesTransferred, int bWait)');

let countsPeerReads: boolean | undefined;

/**
 * Whether a cancelled pipe write's packet counts the bytes the peer had already read of it — i.e.
 * whether resuming an aborted NamedPipe.write at `bytesWritten` is exact even when the peer read
 * during the write. Measured once per process on a private pipe, with plain synchronous calls (no
 * reactor): a 64 KiB overlapped WriteFile into a 4 KiB pipe stays pending, the other end reads
 * 1000 bytes of it, CancelIoEx, and GetOverlappedResult's byte count is compared with 1000.
 * Wine 8: STATUS_CANCELLED with 0 bytes → false. Windows: not measured here.
 */
export function abortedPipeWriteCountsPeerReads(): boolean {
  if (countsPeerReads !== undefined) return countsPeerReads;
  const name = `\\\\.\\pipe\\winmux-cancel-probe-${process.pid}`;
  const size = 65536;
  const read = 1000;
  const writer = createNamedPipe(name, kernel32.PIPE_ACCESS_DUPLEX | kernel32.FILE_FLAG_OVERLAPPED, 0, 4096, 1);
  let reader: number | undefined;
  try {
    reader = createFile(name, kernel32.GENERIC_READ, 0, kernel32.OPEN_EXISTING, 0);
    // Off V8's heap (a slice of a large ArrayBuffer), so the OVERLAPPED cannot move while pending.
    const overlapped = new Uint8Array(new ArrayBuffer(4096), 0, 32);
    const data = new Uint8Array(size);
    if (WriteFileOverlapped(writer, data, size, null, overlapped) || kernel32.GetLastError() !== 997 /* ERROR_IO_PENDING */) {
      throw new Error('probe: the write did not stay pending');
    }
    const buffer = new Uint8Array(read);
    const got = new Uint32Array(1);
    for (let total = 0; total < read; total += got[0]!) {
      if (!ReadFileSync(reader, buffer.subarray(total), read - total, got, null)) throw new Error(`probe: ReadFile failed (${kernel32.GetLastError()})`);
    }
    kernel32.CancelIoEx(writer, overlapped);
    const bytes = new Uint32Array(1);
    GetOverlappedResult(writer, overlapped, bytes, 1); // waits; fails with ERROR_OPERATION_ABORTED when cancelled
    countsPeerReads = bytes[0]! >= read;
    return countsPeerReads;
  } finally {
    if (reader !== undefined) closeHandle(reader);
    closeHandle(writer);
  }
}
