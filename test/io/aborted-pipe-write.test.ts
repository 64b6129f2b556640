// An aborted NamedPipe.write tells the caller how much went out (WriteAbortedError.bytesWritten),
// as TcpStream.write's does, and exactly that much reaches the peer: never a silent partial write.
// Where the count comes from: the WriteFile packet, which the cancel may race — a cancelled
// packet that reports bytes moved gives them, not the abort (checked with a packet made to say so).
// Where the count is short: under Wine 8 the packet of a cancelled write says 0 even when the peer
// had read part of it, so the peer holds more than bytesWritten (test/helpers/aborted-writes.ts).
import { describe, expect, test } from 'vitest';
import { NamedPipe, Reactor, WriteAbortedError, wineVersion } from '../../lib/index.ts';
import { addressOf, declare, loadLibrary } from '../../lib/win32/ffi.ts';
import { KEY_OVERLAPPED } from '../../lib/loop/reserved-keys.ts';
import { checkResourcesReleased } from '../helpers/resources.ts';
import { LOOP_MODES } from '../helpers/modes.ts';
import { abortedPipeWriteCountsPeerReads, expectPipeWriteAbortConsistent, expectResumedAtBytesWritten } from '../helpers/aborted-writes.ts';
import { loopUntil } from '../helpers/loop.ts';
import { closedAfterEach } from '../helpers/closers.ts';
import { connectedPipePair } from '../helpers/pipes.ts';

checkResourcesReleased();

/** Queues a completion packet with any status (PostQueuedCompletionStatus can only say success). */
const NtSetIoCompletion = declare<(port: number, key: number, apcContext: bigint, status: number, information: number) => number>(
  loadLibrary('ntdll.dll'),
  'uint32_t __stdcall NtSetIoCompletion(void *IoCompletionHandle, uintptr_t KeyContext, uintptr_t ApcContext, uint32_t IoStatus, uintptr_t IoStatusInformation)',
);
const STATUS_CANCELLED = 0xc0000120;

const TRAILER = Buffer.from('END!');
/** 16 times the pipe's 64 KiB buffer: a write a peer that does not read leaves pending. */
const SIZE = 1024 * 1024;
const patternAt = (i: number): number => (i * 7 + (i >>> 11)) & 0xff;

describe.each(LOOP_MODES)('aborted pipe writes (waiting in $name)', ({ mode }) => {
  let reactor: Reactor | undefined;
  const later = closedAfterEach(() => reactor);

  /** Inside `run`: a connected pair, the writer the client end, closed after the test. */
  async function pipePair(r: Reactor): Promise<[NamedPipe, NamedPipe]> {
    const { client, server } = await connectedPipePair(r, later);
    return [client, server];
  }

  /** Reads to end of stream. */
  async function readAll(reader: NamedPipe): Promise<Buffer> {
    const chunks: Buffer[] = [];
    const buffer = Buffer.alloc(65536);
    for (let n; (n = await reader.read(buffer)) > 0; ) chunks.push(Buffer.from(buffer.subarray(0, n)));
    return Buffer.concat(chunks);
  }

  test('an abort while the peer reads nothing: WriteAbortedError; the peer receives exactly bytesWritten bytes, then what follows', async () => {
    const r = (reactor = new Reactor(mode));
    const payload = new Uint8Array(SIZE).map((_, i) => patternAt(i));
    const reason = new Error('enough');
    const { error, received } = await r.run(async () => {
      const [writer, reader] = await pipePair(r);
      const controller = new AbortController();
      const writing = writer.write(payload, { signal: controller.signal }).catch((e: unknown) => e);
      // The write is pending in the kernel: the pipe's buffer is full and nobody reads.
      expect(await loopUntil(r, () => r.stats().overlappedWaiters === 1)).toBe(true);
      await r.sleep(20); // and stays so: nothing completes it
      expect(r.stats().overlappedWaiters).toBe(1);
      controller.abort(reason);
      const error = await writing;
      // What follows on the pipe must come right after the bytes reported sent.
      await writer.write(TRAILER);
      writer.close();
      return { error, received: await readAll(reader) };
    });
    expect(error).toMatchObject({ code: 'ERR_WRITE_ABORTED', cause: reason });
    expectResumedAtBytesWritten(error, received, payload, TRAILER);
  });

  test('regression: an abort after the peer read part of the write: the peer holds a prefix at least bytesWritten long — exactly that long only where the system counts what the peer read (not Wine 8: resuming at bytesWritten would send those bytes twice)', async () => {
    const r = (reactor = new Reactor(mode));
    const payload = new Uint8Array(SIZE).map((_, i) => patternAt(i));
    const readBefore = 150_000;
    const { error, received } = await r.run(async () => {
      const [writer, reader] = await pipePair(r);
      const controller = new AbortController();
      const writing = writer.write(payload, { signal: controller.signal }).catch((e: unknown) => e);
      // The peer reads part of the pending write, then stops; only then the abort.
      const head = Buffer.alloc(readBefore);
      for (let got = 0; got < readBefore; ) got += await reader.read(head.subarray(got));
      controller.abort(new Error('enough'));
      const error = await writing;
      await writer.write(TRAILER);
      writer.close();
      return { error, received: Buffer.concat([head, await readAll(reader)]) };
    });
    const got = expectPipeWriteAbortConsistent(error, received, payload, TRAILER);
    expect(got).toBeGreaterThanOrEqual(readBefore);
    const { bytesWritten } = error as WriteAbortedError;
    if (abortedPipeWriteCountsPeerReads()) {
      expect(bytesWritten).toBe(got);
    } else {
      // Measured under Wine 8: the cancelled packet says 0 and the unread rest is dropped whole.
      expect({ bytesWritten, got }).toEqual({ bytesWritten: 0, got: readBefore });
    }
    if (wineVersion()?.startsWith('8.')) expect(abortedPipeWriteCountsPeerReads()).toBe(false);
  });

  test('a signal already aborted: WriteAbortedError with bytesWritten 0, and nothing goes out', async () => {
    const r = (reactor = new Reactor(mode));
    const reason = new Error('before it started');
    const { error, received } = await r.run(async () => {
      const [writer, reader] = await pipePair(r);
      const error = await writer.write(Buffer.from('never sent'), { signal: AbortSignal.abort(reason) }).catch((e: unknown) => e);
      await writer.write(TRAILER);
      writer.close();
      return { error, received: await readAll(reader) };
    });
    expect(error).toBeInstanceOf(WriteAbortedError);
    expect(error).toMatchObject({ code: 'ERR_WRITE_ABORTED', bytesWritten: 0, cause: reason });
    expect(received.equals(TRAILER)).toBe(true);
  });

  test('a cancel that races a partial completion: the cancelled packet reports bytes, and the operation gives them', async () => {
    const r = (reactor = new Reactor(mode));
    const result = await r.run(async () => {
      const [writer] = await pipePair(r);
      const { port } = r.completionTarget();
      const controller = new AbortController();
      // An operation whose only packet is the one made here: STATUS_CANCELLED with 5 bytes, as
      // a write that moved 5 bytes before CancelIoEx reached it completes.
      const operation = r.submitOverlapped(writer.handle, 'WriteFile', (overlapped) => {
        const status = NtSetIoCompletion(port, KEY_OVERLAPPED, addressOf(overlapped), STATUS_CANCELLED, 5);
        return status === 0 ? 0 : 31; // ERROR_GEN_FAILURE if the packet could not be queued
      }, { signal: controller.signal });
      controller.abort(new Error('abort'));
      return operation.catch((e: unknown) => e);
    });
    expect(result).toBe(5);
  });
});
