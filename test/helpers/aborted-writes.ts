// The check both aborted-write suites (TCP and named pipes) make: an aborted write's
// WriteAbortedError says how many bytes went, and the peer got exactly those, then what was
// written after the abort — never a silent partial write.
import { expect } from 'vitest';
import { WriteAbortedError } from '../../lib/index.ts';

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
