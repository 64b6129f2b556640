// Files and named pipes as resources on the completion port, in every loop mode: concurrent reads
// at offsets, a file's end, pipes streaming both ways, several clients on one server, an aborted
// read, the peer closing, and a handle closed under a pending read. (The completion family's own
// machinery — the worker, the ring, key monitors, cancellation races — is in
// test/iocp-worker/iocp.test.ts.)
import { afterAll, describe, expect, test } from 'vitest';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ClosedResourceError, File, NamedPipe, NamedPipeServer, Reactor, WinError } from '../../lib/index.ts';
import { checkResourcesReleased } from '../helpers/resources.ts';
import { LOOP_MODES, runsOnce } from '../helpers/modes.ts';
import { connectedPipePair, freshPipeName } from '../helpers/pipes.ts';
import { closedAfterEach } from '../helpers/closers.ts';

checkResourcesReleased();

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'winmux-io-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe.each(LOOP_MODES)('files and pipes (waiting in $name)', ({ name: modeName, mode }) => {
  let reactor: Reactor;
  const later = closedAfterEach(() => reactor);

  const pipePair = (): ReturnType<typeof connectedPipePair> => connectedPipePair(reactor, later);

  test('eight concurrent reads of one file at different offsets return the right bytes', async () => {
    reactor = new Reactor(mode);
    const filePath = path.join(tmp, 'eight.bin');
    const region = 65536;
    const content = randomBytes(8 * region);
    fs.writeFileSync(filePath, content);
    const file = later(File.open(reactor, filePath));
    const buffers = Array.from({ length: 8 }, () => Buffer.alloc(region));
    const counts = await reactor.run(() => Promise.all(buffers.map((b, i) => file.read(b, (7 - i) * region))));
    expect(counts).toEqual(Array(8).fill(region));
    buffers.forEach((b, i) => expect(b.equals(content.subarray((7 - i) * region, (8 - i) * region))).toBe(true));
  });

  test('write then read back 1 MiB through a file; reads past the end return 0', async () => {
    reactor = new Reactor(mode);
    const data = randomBytes(1 << 20);
    const file = later(File.open(reactor, path.join(tmp, 'mib.bin'), { mode: 'readwrite', disposition: 'create' }));
    const back = Buffer.alloc(data.length);
    await reactor.run(async () => {
      expect(await file.write(data, 0)).toBe(data.length);
      let offset = 0;
      while (offset < back.length) offset += await file.read(back.subarray(offset), offset);
      expect(await file.read(Buffer.alloc(10), data.length + 100)).toBe(0);
    });
    expect(back.equals(data)).toBe(true);
  });

  test('a named pipe streams 3 MiB each way with 5000-byte reads, byte-exact', async () => {
    reactor = new Reactor(mode);
    const size = 3 << 20;
    const payloads = [randomBytes(size), randomBytes(size)];
    const drain = async (pipe: NamedPipe): Promise<Buffer> => {
      const out = Buffer.alloc(size);
      const chunk = Buffer.alloc(5000);
      let offset = 0;
      while (offset < size) {
        const n = await pipe.read(chunk);
        if (n === 0) throw new Error(`end of stream after ${offset} bytes`);
        chunk.copy(out, offset, 0, n);
        offset += n;
      }
      return out;
    };
    const pump = async (pipe: NamedPipe, data: Buffer): Promise<void> => {
      for (let offset = 0; offset < data.length; offset += 65536) await pipe.write(data.subarray(offset, offset + 65536));
    };
    const [atServer, atClient] = await reactor.run(async () => {
      const { server, client } = await pipePair();
      const [, , s, c] = await Promise.all([pump(client, payloads[0]!), pump(server, payloads[1]!), drain(server), drain(client)]);
      return [s, c];
    });
    expect(atServer.equals(payloads[0]!)).toBe(true);
    expect(atClient.equals(payloads[1]!)).toBe(true);
  });

  test('several clients on one pipe server, each served on its own instance', async () => {
    reactor = new Reactor(mode);
    const name = freshPipeName();
    const replies = await reactor.run(async () => {
      const listener = later(new NamedPipeServer(reactor, name));
      // Each instance is served by its own task; all are awaited, since a client can read the
      // reply before the server's WriteFile completion has been dequeued.
      const served: Promise<void>[] = [];
      const serve = async (): Promise<void> => {
        for (let i = 0; i < 4; i++) {
          const pipe = later(await listener.accept());
          served.push(
            (async () => {
              const buffer = Buffer.alloc(64);
              const n = await pipe.read(buffer);
              await pipe.write(Buffer.concat([Buffer.from('echo:'), buffer.subarray(0, n)]));
            })(),
          );
        }
      };
      const client = async (id: number): Promise<string> => {
        const pipe = later(await NamedPipe.connect(reactor, name));
        await pipe.write(Buffer.from(`client ${id}`));
        const buffer = Buffer.alloc(64);
        let text = '';
        while (!text.endsWith(`client ${id}`)) {
          const n = await pipe.read(buffer);
          if (n === 0) break;
          text += buffer.subarray(0, n).toString();
        }
        return text;
      };
      const [, ...texts] = await Promise.all([serve(), client(1), client(2), client(3), client(4)]);
      await Promise.all(served);
      return texts;
    });
    expect(replies).toEqual(['echo:client 1', 'echo:client 2', 'echo:client 3', 'echo:client 4']);
  });

  test('abort of a pending pipe read rejects with the reason; its buffer is not written afterwards', async () => {
    reactor = new Reactor(mode);
    await reactor.run(async () => {
      const { server, client } = await pipePair();
      const buffer = Buffer.alloc(32, 0xaa);
      const controller = new AbortController();
      const read = server.read(buffer, { signal: controller.signal });
      await reactor.sleep(20);
      expect(reactor.stats().overlappedWaiters).toBe(1);
      const reason = new Error('no longer needed');
      controller.abort(reason);
      await expect(read).rejects.toBe(reason);
      expect(reactor.stats().overlappedWaiters).toBe(0);
      await client.write(Buffer.from('after the abort'));
      const next = Buffer.alloc(32);
      const n = await server.read(next);
      expect(next.subarray(0, n).toString()).toBe('after the abort');
      expect(buffer.every((b) => b === 0xaa)).toBe(true);
    });
  });

  test('the client closes: the server reads end of stream; a write to it fails with a WinError', async () => {
    reactor = new Reactor(mode);
    await reactor.run(async () => {
      const { server, client } = await pipePair();
      await client.write(Buffer.from('bye'));
      client.close();
      const buffer = Buffer.alloc(16);
      expect(await server.read(buffer)).toBe(3);
      expect(await server.read(buffer)).toBe(0);
      const error = await server.write(Buffer.from('anyone?')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WinError);
      expect(['ERROR_NO_DATA', 'ERROR_BROKEN_PIPE']).toContain((error as WinError).winCode);
    });
  });

  test('closing a handle with a read pending rejects it with ClosedResourceError', async () => {
    reactor = new Reactor(mode);
    await reactor.run(async () => {
      const { server } = await pipePair();
      const read = server.read(Buffer.alloc(16));
      await reactor.sleep(20);
      server.close();
      await expect(read).rejects.toBeInstanceOf(ClosedResourceError);
    });
  });

  // Mode-independent (test/helpers/modes.ts): the accept decides at the call (ConnectNamedPipe
  // fails ERROR_NO_DATA at once), before anything reaches the port or the loop.
  if (runsOnce(modeName)) {
    test('regression: a client that connected and hung up before accept() does not leave the server stuck; accept gives its pipe (end of stream), the next client is served', async () => {
      reactor = new Reactor(mode);
      const name = freshPipeName();
      await reactor.run(async () => {
        const listener = later(new NamedPipeServer(reactor, name));
        // The client connects to the listening instance and closes before any ConnectNamedPipe:
        // the call then fails ERROR_NO_DATA at once (the instance is connected to nobody now).
        (await NamedPipe.connect(reactor, name)).close();
        const early = later(await listener.accept());
        expect(await early.read(Buffer.alloc(8))).toBe(0);
        // The server made a fresh instance: the next client gets it, and is accepted.
        const accepting = listener.accept();
        const client = later(await NamedPipe.connect(reactor, name, { timeoutMs: 2000 }));
        const served = later(await accepting);
        await client.write(Buffer.from('hello'));
        const buffer = Buffer.alloc(8);
        expect(buffer.subarray(0, await served.read(buffer)).toString()).toBe('hello');
      });
    });
  }
});
