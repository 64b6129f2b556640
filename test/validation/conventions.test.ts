// Node's conventions on every resource: `for await` where a resource yields a sequence (pipe
// servers their clients, pipes their bytes), `using` where `close()` is synchronous, `await using`
// everywhere, and `signal` on the calls that take time (and on those that do not: a signal
// already aborted still stops them).
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { File, NamedPipe, NamedPipeServer, Reactor, RemoteWaker, WinEvent } from '../../lib/index.ts';
import { checkResourcesReleased } from '../helpers/resources.ts';

checkResourcesReleased();

const tmp = mkdtempSync(path.join(tmpdir(), 'winmux-conventions-'));
let reactor: Reactor;
afterEach(async () => {
  await reactor?.close();
});

const pipeName = (tag: string): string => `winmux-conventions-${tag}-${process.pid}`;

describe('async iteration', () => {
  test('NamedPipeServer yields each client as it connects; closing the server ends the loop', async () => {
    reactor = new Reactor();
    await reactor.run(async () => {
      using server = new NamedPipeServer(reactor, pipeName('server'));
      // The second client waits (ERROR_PIPE_BUSY, retried) until the first accept makes the next instance.
      const connecting = Promise.all([NamedPipe.connect(reactor, pipeName('server')), NamedPipe.connect(reactor, pipeName('server'))]);
      const accepted: NamedPipe[] = [];
      for await (const pipe of server) {
        accepted.push(pipe);
        if (accepted.length === 2) reactor.callSoon(() => server.close());
      }
      expect(accepted).toHaveLength(2);
      const clients = await connecting;
      // Each accepted end is a different client's: what a client writes arrives on one of them.
      await clients[1]!.write(new Uint8Array([2]));
      await clients[0]!.write(new Uint8Array([1]));
      const got = await Promise.all(accepted.map(async (pipe) => {
        const buffer = new Uint8Array(1);
        expect(await pipe.read(buffer)).toBe(1);
        return buffer[0];
      }));
      expect(got.sort()).toEqual([1, 2]);
      for (const pipe of [...clients, ...accepted]) pipe.close();
    });
  });

  test('NamedPipe yields its bytes as chunks until the peer closes', async () => {
    reactor = new Reactor();
    await reactor.run(async () => {
      using server = new NamedPipeServer(reactor, pipeName('chunks'));
      const accepting = server.accept();
      using client = await NamedPipe.connect(reactor, pipeName('chunks'));
      using conn = await accepting;
      const sent = new TextEncoder().encode('chunks until end of stream');
      const writing = (async () => {
        await client.write(sent.subarray(0, 6));
        await client.write(sent.subarray(6));
        client.close();
      })();
      const received: number[] = [];
      for await (const chunk of conn) received.push(...chunk);
      await writing;
      expect(new TextDecoder().decode(new Uint8Array(received))).toBe('chunks until end of stream');
    });
  });
});

describe('dispose symbols', () => {
  test('using closes files, pipes, pipe servers, events, channels and wakers at the end of the block', async () => {
    reactor = new Reactor();
    await reactor.run(async () => {
      const kept: { closed?: boolean }[] = [];
      let eventRef: WinEvent | undefined;
      {
        using file = File.open(reactor, path.join(tmp, 'using.bin'), { mode: 'write', disposition: 'create' });
        using server = new NamedPipeServer(reactor, pipeName('using'));
        using event = WinEvent.create();
        eventRef = event;
        using channel = reactor.openChannel();
        using waker = new RemoteWaker(channel.handle);
        using monitor = reactor.monitorCompletionKey();
        kept.push(file);
        expect(file.closed).toBe(false);
        expect([server, channel, waker, monitor].every((r) => typeof r[Symbol.dispose] === 'function')).toBe(true);
      }
      expect(kept[0]!.closed).toBe(true);
      expect(() => eventRef!.set()).toThrow(/closed/);
      // The pipe server's name is free again: a new first instance can take it.
      new NamedPipeServer(reactor, pipeName('using')).close();
    });
  });

  test('await using closes a WinEvent (it has no asynchronous work, but takes part like the rest)', async () => {
    let event: WinEvent;
    {
      await using e = WinEvent.create({ signaled: true });
      event = e;
      event.set();
    }
    expect(() => event.set()).toThrow(/closed/);
  });
});

describe('signal on calls that cannot wait', () => {
  test('File.open with an aborted signal throws its reason and opens (creates) nothing', () => {
    reactor = new Reactor();
    const reason = new Error('stop');
    const target = path.join(tmp, 'never-created.bin');
    expect(() => File.open(reactor, target, { mode: 'write', disposition: 'create', signal: AbortSignal.abort(reason) })).toThrow(reason);
    expect(existsSync(target)).toBe(false);
    expect(() => File.open(reactor, target, { signal: 'x' as unknown as AbortSignal })).toThrow(TypeError);
  });
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));
