// Buffers as winmux takes them for I/O: a Uint8Array (a Buffer is one) whose memory is still
// there. A detached buffer, or a string, would reach the kernel as garbage or not at all; a
// zero-length read buffer would "succeed" with 0 bytes, which every reader takes for end of
// stream.

/** `buffer` for I/O: a Uint8Array, not detached; for a read (`forRead`), not empty either. */
export function checkBuffer(buffer: unknown, what: string, { forRead = false } = {}): Uint8Array {
  if (!(buffer instanceof Uint8Array)) {
    throw new TypeError(`${what} must be a Uint8Array (or Buffer), got ${buffer === null ? 'null' : typeof buffer}`);
  }
  if ((buffer.buffer as ArrayBuffer & { detached?: boolean }).detached === true) throw new TypeError(`${what} is detached (its memory was transferred)`);
  if (forRead && buffer.length === 0) throw new RangeError(`${what} is empty: a read of 0 bytes would look like the end of the stream`);
  return buffer;
}

/** A file offset: a safe integer ≥ 0 (an OVERLAPPED holds 64 bits; JS numbers are exact to 2^53). */
export function checkFileOffset(offset: unknown, what: string): number {
  if (typeof offset !== 'number') throw new TypeError(`${what} must be a number, got ${typeof offset}`);
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`${what} must be an integer from 0 to 2^53 - 1, got ${offset}`);
  return offset;
}
