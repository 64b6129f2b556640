// A TcpStream write that is waiting for room, made the same way under every Winsock. How much one
// non-blocking `send` takes while the peer reads nothing differs: under Wine 8 (Linux's buffers)
// a 16 MiB send takes ~4 MiB and the write waits for the rest; under Wine 10 it takes all 16 MiB
// though SO_SNDBUF is 16 KiB, and the *next* send fails with WSAEWOULDBLOCK (docs/wine.md); the
// documentation allows both ("between 1 and the requested length"). So this writes `chunk` until
// a write waits, which the reactor shows as a write waiter.
import { expect } from 'vitest';
import type { IoOptions, Reactor, TcpStream } from '../../lib/index.ts';
import { loopUntil } from './loop.ts';
import { track, type Tracked } from './track.ts';

/** Enough for any buffer seen so far: Wine 10 takes one whole write, Wine 8 ~4 MiB of it. */
const MAX_WRITES = 8;

/**
 * Writes `chunk` on `stream` (inside `reactor.run`, each write with `options`) until one write
 * waits; returns that write and every buffer written, the waiting one last (what the peer will
 * receive, in order).
 */
export async function writeUntilOneWaits(reactor: Reactor, stream: TcpStream, chunk: Uint8Array, options: IoOptions = {}): Promise<{ waiting: Tracked<void>; written: Uint8Array[] }> {
  const written: Uint8Array[] = [];
  for (let i = 0; i < MAX_WRITES; i++) {
    const writing = track(stream.write(chunk, options));
    written.push(chunk);
    expect(await loopUntil(reactor, () => writing.settled || reactor.stats().writeWaiters > 0), 'a write neither completed nor waited').toBe(true);
    if (!writing.settled) return { waiting: writing, written };
    if (writing.error !== undefined) throw writing.error;
  }
  throw new Error(`${MAX_WRITES} writes of ${chunk.length} bytes all completed with nobody reading`);
}
