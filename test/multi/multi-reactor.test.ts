// Several reactors in one process: an acceptor handing sockets to reactors on other threads, a
// handle moving from one reactor's port to another's (natively or emulated), and reactors
// closing while others keep serving.
import { afterEach, describe, expect, test } from 'vitest';
import { randomBytes } from 'node:crypto';
import {
  BusyResourceError, NamedPipe, NamedPipeServer, Reactor, WinError, replaceCompletionSupported, wineVersion, winsock,
} from '../../lib/index.ts';
import {
  acceptAndHandOff, connect, listen, roundTrip, startServingReactors, stopServingReactors,
} from '../../examples/multi-reactor-echo.ts';
import { checkResourcesReleased } from '../helpers/resources.ts';
import { LOOP_MODES, runsOnce } from '../helpers/modes.ts';

checkResourcesReleased();

// The test's own reactors (the acceptor, both sides of each transfer) run in both loop modes; the
// serving reactors on worker threads are examples/echo-reactor-worker.ts's own (select mode).
describe.each(LOOP_MODES)('several reactors (waiting in $name)', ({ name, mode }) => {
  const reactors: Reactor[] = [];
  const cleanups: (() => void)[] = [];
  const make = (): Reactor => {
    const r = new Reactor(mode);
    reactors.push(r);
    return r;
  };

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) cleanup();
    for (const r of reactors.splice(0)) await r.close();
  });

  /** Echoes one random payload per socket through the serving reactors; resolves when all match. */
  async function echoAll(reactor: Reactor, port: number, listener: number, count: number, wakers: Parameters<typeof acceptAndHandOff>[3]): Promise<void> {
    await reactor.run(async () => {
      const accepting = acceptAndHandOff(reactor, listener, count, wakers);
      await Promise.all(Array.from({ length: count }, async () => {
        const socket = await connect(reactor, port);
        try {
          const payload = randomBytes(2048);
          const reply = new Uint8Array(payload.length);
          await roundTrip(reactor, socket, payload, reply);
          expect(Buffer.from(reply).equals(payload)).toBe(true);
        } finally {
          reactor.notifyClosing(socket);
          winsock.closeQuietly(socket);
        }
      }));
      await accepting;
    });
  }

  // The serving reactors run in select mode whatever the block's (examples/echo-reactor-worker.ts),
  // and the acceptor's part is connects and round trips that net.test.ts runs in every mode: these
  // two run once (test/helpers/modes.ts). Each starts 2–4 threads that load all of winmux.
  if (runsOnce(name)) {
    test('four reactors on four threads serve 200 connections handed out round-robin, byte-exact', async () => {
      const reactor = make();
      const { listener, port } = listen();
      cleanups.push(() => winsock.closeQuietly(listener));
      const { workers, wakers } = await startServingReactors(4);
      await echoAll(reactor, port, listener, 200, wakers);
      const reports = await stopServingReactors(workers, wakers);
      expect(reports.map((r) => r.connections)).toEqual([50, 50, 50, 50]);
      expect(reports.every((r) => r.bytes === 50 * 2048)).toBe(true);
      expect(new Set(reports.map((r) => r.threadId)).size).toBe(4);
    });

    test('closing one serving reactor releases its thread while the others keep serving', async () => {
      const reactor = make();
      const { listener, port } = listen();
      cleanups.push(() => winsock.closeQuietly(listener));
      const { workers, wakers } = await startServingReactors(2);
      await echoAll(reactor, port, listener, 4, wakers);
      const [first] = await stopServingReactors(workers.slice(0, 1), wakers.slice(0, 1));
      expect(first!.connections).toBe(2);
      expect(workers[0]!.threadId).toBe(-1); // exited
      await echoAll(reactor, port, listener, 6, wakers.slice(1));
      const [second] = await stopServingReactors(workers.slice(1), wakers.slice(1));
      expect(second!.connections).toBe(2 + 6);
    });
  }

  /** A connected pipe pair whose ends are registered with `owner`. */
  async function pipePairOn(owner: Reactor): Promise<{ server: NamedPipe; client: NamedPipe }> {
    const name = `winmux-multi-${process.pid}-${Math.random().toString(36).slice(2)}`;
    return owner.run(async () => {
      const listener = new NamedPipeServer(owner, name);
      const accepted = listener.accept();
      const client = await NamedPipe.connect(owner, name);
      const server = await accepted;
      listener.close();
      return { server, client };
    });
  }

  test('a pipe bound to reactor A is served by reactor B in emulated mode, like native mode', async () => {
    const a = make();
    const b = make();
    const { server, client } = await pipePairOn(a);
    cleanups.push(() => client.close());
    // B adopts a handle still bound to A's port: B does not own that port, so it must emulate.
    a.releaseHandle(server.handle);
    expect(b.adoptHandle({ handle: server.handle })).toBe('emulated');
    // Released (and closed) at the end of the test; this only covers a test that failed before.
    let released = false;
    cleanups.push(() => {
      if (!released) b.releaseHandle(server.handle);
    });
    const h = server.handle;
    await b.run(async () => {
      const buffer = new Uint8Array(64);
      // read
      const reading = b.readOverlapped(h, buffer);
      await a.run(() => client.write(new TextEncoder().encode('to B')));
      const n = await reading;
      expect(new TextDecoder().decode(buffer.subarray(0, n))).toBe('to B');
      // write
      expect(await b.writeOverlapped(h, new TextEncoder().encode('from B'))).toBe(6);
      const back = new Uint8Array(64);
      const m = await a.run(() => client.read(back));
      expect(new TextDecoder().decode(back.subarray(0, m))).toBe('from B');
      // cancel
      const controller = new AbortController();
      const cancelled = b.readOverlapped(h, buffer, 0, { signal: controller.signal });
      await b.sleep(20);
      const reason = new Error('cancelled in emulated mode');
      controller.abort(reason);
      await expect(cancelled).rejects.toBe(reason);
      // broken pipe: the peer closes → end of stream, then writes fail
      client.close();
      expect(await b.readOverlapped(h, buffer)).toBe(0);
      const error = await b.writeOverlapped(h, new Uint8Array(1)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WinError);
    });
    expect(b.stats()).toMatchObject({ emulatedHandles: 1, overlappedWaiters: 0 });
    expect(b.stats().emulatedOperations).toBeGreaterThanOrEqual(5);
    b.releaseHandle(h);
    released = true;
    const kernel32 = await import('../../lib/win32/kernel32.ts');
    kernel32.CloseHandle(h);
  });

  test('transferHandle moves a handle natively where the OS can detach it, else emulated (Wine 8)', async () => {
    const a = make();
    const b = make();
    const { server, client } = await pipePairOn(a);
    cleanups.push(() => client.close());
    const transfer = a.transferHandle(server.handle, b.completionTarget());
    const supported = replaceCompletionSupported();
    if (wineVersion()?.startsWith('8.')) expect(supported).toBe(false); // Wine 8: STATUS_NOT_IMPLEMENTED
    expect(transfer.mode).toBe(supported ? 'native' : 'emulated');
    expect(b.adoptHandle(transfer)).toBe(transfer.mode);
    await b.run(async () => {
      const buffer = new Uint8Array(16);
      const reading = b.readOverlapped(server.handle, buffer);
      await a.run(() => client.write(new TextEncoder().encode('moved')));
      expect(await reading).toBe(5);
    });
    expect(b.stats().emulatedHandles).toBe(transfer.mode === 'emulated' ? 1 : 0);
    expect(a.stats().overlappedWaiters).toBe(0);
    // A no longer accepts operations on it.
    await expect(a.readOverlapped(server.handle, new Uint8Array(1))).rejects.toThrow(/not registered/);
    b.releaseHandle(server.handle);
    const kernel32 = await import('../../lib/win32/kernel32.ts');
    kernel32.CloseHandle(server.handle);
  });

  // Mode-independent (test/helpers/modes.ts): a refusal at the call, checked against the
  // reactor's own tables before anything moves, the same in every mode.
  if (runsOnce(name)) {
    test('release() refuses a socket that still has waiters here', async () => {
      const reactor = make();
      const [a, b] = winsock.loopbackPair();
      cleanups.push(() => winsock.closeQuietly(a, b));
      await reactor.run(async () => {
        const waiting = reactor.waitReadable(a).catch((e: unknown) => e);
        expect(() => reactor.release(a)).toThrow(BusyResourceError);
        reactor.notifyClosing(a);
        await waiting;
        expect(reactor.release(a)).toBe(a);
      });
    });

    test('transferHandle refuses a handle with pending operations', async () => {
      const a = make();
      const b = make();
      const { server, client } = await pipePairOn(a);
      cleanups.push(() => client.close(), () => server.close());
      await a.run(async () => {
        const reading = server.read(new Uint8Array(8)).catch((e: unknown) => e);
        await a.sleep(10);
        expect(() => a.transferHandle(server.handle, b.completionTarget())).toThrow(BusyResourceError);
        await client.write(new Uint8Array([1]));
        expect(await reading).toBe(1);
      });
    });
  }
});
