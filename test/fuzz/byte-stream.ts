// One direction of a byte stream (a TCP connection's or a named pipe's), as the fuzzer checks it.
//
// Every byte's value is a hash of its position in the stream (and the stream's tag), so the writer
// never keeps what it sent and the reader checks each byte where it lands: a lost, duplicated,
// reordered or foreign byte shows up at its position. The writer's side is `committed` (bytes the
// library said went out) plus the one write in flight; the reader's side is `position` (bytes
// verified so far).
//
// The one tolerated anomaly (docs/wine.md, issue #22 item 7): under Wine a cancelled pipe write
// reports 0 bytes even when the peer had already read part of it, so the writer resumes at an
// offset the reader has passed and the reader sees those bytes again. That is allowed only on a
// pipe, only under Wine, only inside the window of an aborted write ([resumed at, end of the
// aborted write]) — each window once — and each use is counted.

/** The byte at `position` of the stream tagged `tag` (a 32-bit mix: neighbours differ unpredictably). */
export function patternByte(tag: number, position: number): number {
  let x = (Math.imul(position, 0x9e3779b1) ^ Math.imul(tag + 1, 0x85ebca77)) >>> 0;
  x ^= x >>> 15;
  x = Math.imul(x, 0x2c1b3c6d);
  x ^= x >>> 12;
  x = Math.imul(x, 0x297a2d39);
  x ^= x >>> 15;
  return x & 0xff;
}

export function patternBytes(tag: number, start: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = patternByte(tag, start + i);
  return out;
}

/** How far back a resumed write's restart is looked for, and how many bytes must confirm it (see `#rewind`). */
const REWIND_LOOKBACK = 16;
const REWIND_CONFIRM = 64;

export class ByteStream {
  readonly tag: number;
  readonly name: string;
  /** A pipe under Wine: the aborted-write duplicate is tolerated (see the header). */
  readonly toleratesResumeDuplicates: boolean;
  /** Bytes the library reported written, in order, from 0. */
  committed = 0;
  /** The write in flight: its first byte's position, its size, and whether its signal has aborted (under Wine a cancelled pipe write's data may never come). */
  inFlight: { start: number; size: number; aborting?: boolean } | undefined;
  /** Bytes the reader has verified, in order, from 0. */
  position = 0;
  /** Something made the written length unknowable (a write failed with an error, an end closed): order is still checked, completeness not. */
  broken = false;
  /** Highest position any byte may have reached the reader from (aborted writes under Wine may have delivered more than `committed`). */
  #ceiling = 0;
  /** Windows [resumedAt, end] of aborted pipe writes the reader may re-read once. */
  readonly #windows: { from: number; to: number }[] = [];
  /** How often the tolerated Wine duplicate happened on this stream. */
  duplicates = 0;
  /** The reader has seen end of stream. */
  sawEnd = false;

  constructor(tag: number, name: string, toleratesResumeDuplicates: boolean) {
    this.tag = tag;
    this.name = name;
    this.toleratesResumeDuplicates = toleratesResumeDuplicates;
  }

  /** The data for a write starting at `committed`; marks it in flight. */
  beginWrite(size: number): Uint8Array {
    this.inFlight = { start: this.committed, size };
    this.#ceiling = Math.max(this.#ceiling, this.committed + size);
    return patternBytes(this.tag, this.committed, size);
  }

  /** The write in flight ended: `sent` bytes of it went out (undefined: unknown, the stream is broken for completeness). */
  endWrite(sent: number | undefined, aborted: boolean): void {
    const write = this.inFlight!;
    this.inFlight = undefined;
    if (sent === undefined) {
      this.broken = true;
      this.committed = write.start + write.size; // an upper bound: order checks stay meaningful
      return;
    }
    this.committed = write.start + sent;
    if (aborted && sent < write.size && this.toleratesResumeDuplicates) {
      this.#windows.push({ from: this.committed, to: write.start + write.size });
    }
  }

  /**
   * Checks bytes the reader received. Returns a description of the first wrong byte, or
   * undefined when all of them are where they belong.
   */
  receive(chunk: Uint8Array): string | undefined {
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (this.position < this.#ceiling && byte === patternByte(this.tag, this.position)) {
        this.position++;
        continue;
      }
      if (this.#rewind(chunk, i)) {
        i--; // byte i again, at the position the resumed write gave it
        continue;
      }
      if (this.position >= this.#ceiling) {
        return `${this.name}: received more than was written: byte ${i} of a ${chunk.length}-byte read is at position ${this.position}, `
          + `but the writer has written ${this.committed} (+${this.inFlight?.size ?? 0} in flight)`;
      }
      return `${this.name}: wrong byte at position ${this.position} (byte ${i} of a ${chunk.length}-byte read): got ${byte}, `
        + `expected ${patternByte(this.tag, this.position)}; the writer has committed ${this.committed}`;
    }
    return undefined;
  }

  /**
   * Byte `i` of `chunk` does not belong at `position`: is this where a resumed pipe write starts
   * again inside a Wine window? The resumed bytes may have matched the old positions for a byte
   * or two by chance (1 in 256 each), so the restart is looked for up to REWIND_LOOKBACK bytes
   * back, and accepted only if the next bytes (up to REWIND_CONFIRM) all fit the window's start.
   */
  #rewind(chunk: Uint8Array, i: number): boolean {
    for (let back = 0; back <= Math.min(i, REWIND_LOOKBACK); back++) {
      const start = i - back;
      const positionAtStart = this.position - back;
      for (let w = 0; w < this.#windows.length; w++) {
        const window = this.#windows[w]!;
        if (!(window.from < positionAtStart && positionAtStart <= window.to)) continue;
        const check = Math.min(chunk.length - start, REWIND_CONFIRM);
        let fits = true;
        for (let j = 0; j < check && fits; j++) fits = chunk[start + j] === patternByte(this.tag, window.from + j);
        if (!fits) continue;
        this.duplicates++;
        this.position = window.from + back;
        this.#windows.splice(0, w + 1); // this window, and older ones, are used up
        return true;
      }
    }
    return false;
  }

  /** All that was written has been read (positions beyond it are allowed only inside a Wine window). */
  get caughtUp(): boolean {
    if (this.position === this.committed) return true;
    return this.position > this.committed && this.#windows.some((w) => w.from <= this.committed && this.position <= w.to);
  }

  /** For a reader that saw end of stream: a description of the bytes it never got, if the stream should have delivered them. */
  endOfStream(): string | undefined {
    if (this.broken || this.caughtUp || this.inFlight !== undefined) return undefined;
    return `${this.name}: end of stream at position ${this.position}, but the writer had committed ${this.committed} bytes`;
  }
}
