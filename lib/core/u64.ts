// A 64-bit value (a handle, an address, a file offset, a completion key) as two little-endian
// 32-bit words, the one place the split is written. Values are JS numbers: safe integers
// (< 2^53), which every handle, user-space address and file offset winmux handles is.

const HIGH = 2 ** 32;

/** Writes `value` into `words[at]` (low) and `words[at + 1]` (high). */
export function writeU64(words: Uint32Array | Int32Array, at: number, value: number): void {
  words[at] = value >>> 0;
  words[at + 1] = Math.floor(value / HIGH);
}

/** Reads the value `writeU64` wrote (an Int32Array's words are read as unsigned). */
export function readU64(words: Uint32Array | Int32Array, at: number): number {
  return (words[at]! >>> 0) + (words[at + 1]! >>> 0) * HIGH;
}

/** Writes `value` at `offset` of `view` as a little-endian 64-bit field (an OVERLAPPED's, say). */
export function setU64(view: DataView, offset: number, value: number): void {
  view.setUint32(offset, value >>> 0, true);
  view.setUint32(offset + 4, Math.floor(value / HIGH), true);
}
