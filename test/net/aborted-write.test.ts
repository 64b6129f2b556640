// An aborted TcpStream.write tells the caller how much went out (WriteAbortedError.bytesWritten),
// and exactly that much reaches the peer: never a silent partial write.
import { afterEach, describe, expect, test } from 'vitest';
import { Reactor, TcpStream, WriteAbortedError } from '../../lib/index.ts';
import { checkResourcesReleased } from '../helpers/resources.ts';
import { LOOP_MODES } from '../helpers/modes.ts';
import { SocketJar } from '../helpers/sockets.ts';
import { expectResumedAtBytesWritten } from '../helpers/aborted-writes.ts';
import { writeUntilOneWaits } from '../helpers/waiting-write.ts';

checkResourcesReleased();

const TRAILER = Buffer.from('END!');
const SIZE = 4 * 1024 * 1024;
/** The byte at offset i of the payload: a pattern the reader can check without keeping a copy. */
const patternAt = (i: number): number => (i * 7 + (i >>> 11)) & 0xff;

describe.each(LOOP_MODES)('aborted TCP writes (waiting in $name)', ({ mode }) => {
  let reactor: Reactor | undefined;
  const streams: TcpStream[] = [];
  afterEach(async () => {
    for (const s of streams.splice(0)) s.close();
    await reactor?.close();
    reactor = undefined;
  });

  /** A connected pair whose writer can be filled (SocketJar.fillablePair; the streams own the sockets). */
  function fillableStreams(r: Reactor): [TcpStream, TcpStream] {
    const [a, b] = new SocketJar().fillablePair();
    const pair: [TcpStream, TcpStream] = [new TcpStream(r, a), new TcpStream(r, b)];
    streams.push(...pair);
    return pair;
  }

  /** Reads to end of stream, slowly (one 4 KiB read per loop iteration); calls `onProgress` with the total. */
  async function readAllSlowly(r: Reactor, reader: TcpStream, onProgress: (total: number) => void = () => {}): Promise<Buffer[]> {
    const chunks: Buffer[] = [];
    const buffer = Buffer.alloc(4096);
    let total = 0;
    for (let n; (n = await reader.read(buffer)) > 0; ) {
      chunks.push(Buffer.from(buffer.subarray(0, n)));
      total += n;
      onProgress(total);
      await r.checkpoint();
    }
    return chunks;
  }

  test('an abort while a write waits rejects with WriteAbortedError; the peer receives exactly bytesWritten bytes of it', async () => {
    const r = (reactor = new Reactor(mode));
    const payload = new Uint8Array(SIZE).map((_, i) => patternAt(i));
    const { error, received, before, seenAtAbort } = await r.run(async () => {
      const [writer, reader] = fillableStreams(r);
      const controller = new AbortController();
      const reason = new Error('enough');
      // The payload, written until a write waits for room: under Wine 8 the first, with part of it
      // taken; under Wine 10 the second, none of it taken yet (helpers/waiting-write.ts).
      const { waiting, written } = await writeUntilOneWaits(r, writer, payload, { signal: controller.signal });
      // Abort once the slow reader has seen 256 KiB: where a send takes part of a write (Wine 8),
      // the waiting write is then well under way.
      let seenAtAbort = 0;
      const reading = readAllSlowly(r, reader, (total) => {
        if (total >= 256 * 1024 && !controller.signal.aborted) {
          seenAtAbort = total;
          controller.abort(reason);
        }
      });
      await waiting.promise.catch(() => {});
      expect((waiting.error as Error).cause).toBe(reason);
      // What follows on the stream must come right after the bytes reported sent.
      await writer.write(TRAILER);
      writer.shutdownWrite();
      return { error: waiting.error, received: Buffer.concat(await reading), before: (written.length - 1) * SIZE, seenAtAbort };
    });
    // The writes that completed before the waiting one arrive first, whole.
    for (let offset = 0; offset < before; offset += SIZE) expect(received.subarray(offset, offset + SIZE).equals(payload)).toBe(true);
    // Every byte the reader had seen beyond those came from the aborted write, so it counts them.
    expect(expectResumedAtBytesWritten(error, received.subarray(before), payload, TRAILER)).toBeGreaterThanOrEqual(seenAtAbort - before);
  });

  test('a signal already aborted: WriteAbortedError with bytesWritten 0, and nothing goes out', async () => {
    const r = (reactor = new Reactor(mode));
    const reason = new Error('before it started');
    const { error, received } = await r.run(async () => {
      const [writer, reader] = fillableStreams(r);
      const error = await writer.write(Buffer.from('never sent'), { signal: AbortSignal.abort(reason) }).catch((e: unknown) => e);
      await writer.write(TRAILER);
      writer.shutdownWrite();
      return { error, received: Buffer.concat(await readAllSlowly(r, reader)) };
    });
    expect(error).toBeInstanceOf(WriteAbortedError);
    expect(error).toMatchObject({ code: 'ERR_WRITE_ABORTED', bytesWritten: 0, cause: reason });
    expect(received.equals(TRAILER)).toBe(true);
  });
});
