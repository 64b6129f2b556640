// The completion family under Wine/Windows: the IOCP worker, its ring, key monitors and posts,
// cancellation, waitOverlapped, and failure of the worker itself. Files and named pipes as
// resources: test/io/files-and-pipes.test.ts.
import { afterAll, describe, expect, test } from 'vitest';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ClosedResourceError, File, HandleStateError, Reactor, WinError, postCompletion } from '../../lib/index.ts';
import { kCompletionPort } from '../../lib/scheduler/reactor.ts';
import { createFile, closeHandle } from '../../lib/io/handles.ts';
import * as kernel32 from '../../lib/win32/kernel32.ts';
import { SUCCEEDED_AT_ONCE, readFileOverlapped } from '../../lib/win32/overlapped-calls.ts';
import { addressOf } from '../../lib/win32/ffi.ts';
import { KEY_OVERLAPPED } from '../../lib/loop/reserved-keys.ts';
import { checkResourcesReleased } from '../helpers/resources.ts';
import { LOOP_MODES, runsOnce } from '../helpers/modes.ts';
import { track } from '../helpers/track.ts';
import { loopUntil } from '../helpers/loop.ts';
import { allowLeft } from '../helpers/loop-empty.ts';
import { connectedPipePair } from '../helpers/pipes.ts';
import { closedAfterEach } from '../helpers/closers.ts';

checkResourcesReleased();

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'winmux-iocp-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Blocks this thread (no yield) until `check()` holds or 5 s pass: to observe the worker alone. */
function spinUntil(check: () => boolean): boolean {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const until = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > until) return false;
    Atomics.wait(flag, 0, 0, 1);
  }
  return true;
}

describe.each(LOOP_MODES)('IOCP (waiting in $name)', ({ name, mode, inPort }) => {
  let reactor: Reactor;
  const later = closedAfterEach(() => reactor);

  const pipePair = (): ReturnType<typeof connectedPipePair> => connectedPipePair(reactor, later);

  test('ten user posts on a monitored key arrive in order', async () => {
    reactor = new Reactor(mode);
    const received = await reactor.run(async () => {
      const monitor = reactor.monitorCompletionKey();
      for (let i = 0; i < 10; i++) reactor.postCompletion(monitor.key, 100 + i);
      const got: number[] = [];
      for await (const completion of monitor) {
        got.push(completion.bytes);
        if (got.length === 10) break;
      }
      return got;
    });
    expect(received).toEqual(Array.from({ length: 10 }, (_, i) => 100 + i));
    expect(reactor.stats()).toMatchObject({ completions: 10, strayCompletions: 0, iocpWorker: inPort ? 'none (port mode)' : 'running' });
  });

  /**
   * PostQueuedCompletionStatus with any lpOverlapped (winmux's own postCompletion always passes
   * NULL): what a job object associated with the port posts — its key, and a process id there.
   */
  function postRaw(key: number, bytes: number, overlapped: number): void {
    expect(kernel32.PostQueuedCompletionStatus(reactor.completionTarget().port, bytes, key, overlapped)).not.toBe(0);
  }

  test('regression: a packet on a monitored key that carries an lpOverlapped reaches the monitor with it, not the operation table as stray', async () => {
    reactor = new Reactor(mode);
    const got = await reactor.run(async () => {
      const monitor = reactor.monitorCompletionKey();
      postRaw(monitor.key, 1, 12345); // queued before anyone waits
      const first = track(monitor.next());
      // Bounded by iterations (the default 1000): in select mode the IOCP worker thread starts
      // with the first monitor, which takes up to a second or more under Wine on a busy machine.
      await loopUntil(reactor, () => first.settled);
      // Posted from a Node timer while next() waits and the loop is idle: in guest port mode the
      // helper thread dequeues it and hands it over. An lpOverlapped above 32 bits (an address).
      const second = track(monitor.next());
      const posted = new Promise((resolve) => setTimeout(() => resolve(postRaw(monitor.key, 2, 0x1_2345_6789)), 20));
      await loopUntil(reactor, () => second.settled);
      await posted;
      monitor.close();
      return [first.value, second.value];
    });
    expect({ got, stats: reactor.stats() }).toMatchObject({
      got: [{ bytes: 1, overlapped: 12345, status: 0 }, { bytes: 2, overlapped: 0x1_2345_6789, status: 0 }],
      stats: { completions: 2, strayCompletions: 0 },
    });
  });

  test('the key decides: a monitored key\'s packet naming a pending operation\'s OVERLAPPED goes to the monitor, and the operation is untouched', async () => {
    reactor = new Reactor(mode);
    await reactor.run(async () => {
      const { server, client } = await pipePair();
      const monitor = reactor.monitorCompletionKey();
      // A read the test issues with its own OVERLAPPED, pending: nothing has been written yet.
      const overlapped = new Uint8Array(new ArrayBuffer(4096), 0, 32);
      const buffer = Buffer.alloc(16);
      expect(readFileOverlapped(server.handle, buffer, overlapped)).toBe(0);
      const reading = track(reactor.waitOverlapped(server.handle, overlapped));
      const address = Number(addressOf(overlapped));
      postRaw(monitor.key, 99, address);
      const next = track(monitor.next());
      expect(await loopUntil(reactor, () => next.settled || reading.settled)).toBe(true);
      await reactor.sleep(20);
      expect({ read: reading.settled ? reading.value ?? reading.error : 'pending', next: next.value }).toEqual({
        read: 'pending', next: { bytes: 99, overlapped: address, status: 0 },
      });
      expect(reactor.stats().overlappedWaiters).toBe(1);
      await client.write(Buffer.from('the real data'));
      expect(await reading.promise).toBe(13);
      expect(buffer.subarray(0, 13).toString()).toBe('the real data');
    });
    expect(reactor.stats().strayCompletions).toBe(0);
  });

  test('packets that match nothing are counted stray and dropped: an unmonitored key (with or without an lpOverlapped), a closed monitor\'s key, an unknown OVERLAPPED', async () => {
    reactor = new Reactor(mode);
    await reactor.run(async () => {
      const closed = reactor.monitorCompletionKey();
      closed.close();
      const live = reactor.monitorCompletionKey();
      postRaw(0x7000_0000, 1, 0);
      postRaw(0x7000_0000, 2, 12345);
      postRaw(closed.key, 3, 12345);
      postRaw(KEY_OVERLAPPED, 4, 12345);
      postRaw(live.key, 5, 0); // after the others: once it is in, they are too (one FIFO port)
      expect(await live.next()).toMatchObject({ bytes: 5 });
    });
    expect(reactor.stats()).toMatchObject({ completions: 5, strayCompletions: 4 });
  });

  test('KeyMonitor.next with an already-aborted signal rejects with its reason and takes nothing; an abort while waiting leaves the next completion for the next call', async () => {
    reactor = new Reactor(mode);
    await reactor.run(async () => {
      const monitor = reactor.monitorCompletionKey();
      reactor.postCompletion(monitor.key, 1);
      expect(await loopUntil(reactor, () => reactor.stats().completions === 1)).toBe(true);
      const reason = new Error('not now');
      await expect(monitor.next({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
      expect(await monitor.next()).toMatchObject({ bytes: 1 }); // still queued
      const controller = new AbortController();
      const waiting = monitor.next({ signal: controller.signal });
      await reactor.sleep(10);
      controller.abort(reason);
      await expect(waiting).rejects.toBe(reason);
      expect(reactor.stats().overlappedWaiters).toBe(0);
      reactor.postCompletion(monitor.key, 2);
      expect(await monitor.next()).toMatchObject({ bytes: 2 });
      await expect(monitor.next({ signal: 'no' as never })).rejects.toBeInstanceOf(TypeError);
      monitor.close();
    });
  });

  test('20,000 completions posted from another thread: none lost, none duplicated, in order', async () => {
    reactor = new Reactor(mode);
    const count = 20_000;
    const monitor = reactor.monitorCompletionKey();
    const poster = new Worker(new URL('../fixtures/completion-poster.ts', import.meta.url), {
      workerData: { target: reactor.completionTarget(), key: monitor.key, count },
    });
    const exited = once(poster, 'exit');
    const received = await reactor.run(async () => {
      const got: number[] = [];
      for await (const completion of monitor) {
        got.push(completion.bytes);
        if (got.length === count) break;
      }
      return got;
    });
    expect(received).toEqual(Array.from({ length: count }, (_, i) => i));
    expect(reactor.stats()).toMatchObject({ completions: count, strayCompletions: 0, iocpBacklog: 0 });
    expect(await exited).toEqual([0]);
  });

  test('a cancel that arrives after the operation completed returns the data', async () => {
    reactor = new Reactor(mode);
    await reactor.run(async () => {
      const { server, client } = await pipePair();
      const buffer = Buffer.alloc(32);
      const controller = new AbortController();
      if (inPort) {
        // The packets stay in the kernel's port until the loop dequeues them, so the test makes
        // the read complete at once instead: the data is in the pipe before ReadFile is called
        // (no packet is queued: winmux's pipe handles skip it on success, and the abort finds
        // nothing to cancel).
        await client.write(Buffer.from('just in time'));
        const read = server.read(buffer, { signal: controller.signal });
        controller.abort(new Error('too late'));
        expect(await read).toBe(12);
        expect(buffer.subarray(0, 12).toString()).toBe('just in time');
        return;
      }
      const read = server.read(buffer, { signal: controller.signal });
      await reactor.sleep(20);
      const atOnce = reactor.stats().completedAtOnce;
      const written = client.write(Buffer.from('just in time'));
      // The write has a packet unless it succeeded at once (the pipe took it before WriteFile
      // returned: winmux's pipe handles skip that packet); the read's packet comes either way.
      const packets = 2 - (reactor.stats().completedAtOnce - atOnce);
      // Without yielding: wait until the worker has put those packets in the ring, then abort.
      // The read is no longer cancellable; its data must not be lost.
      expect(spinUntil(() => reactor.stats().iocpBacklog >= packets)).toBe(true);
      controller.abort(new Error('too late'));
      expect(await read).toBe(12);
      expect(buffer.subarray(0, 12).toString()).toBe('just in time');
      await written;
    });
  });

  test('waitOverlapped: a call issued with a caller-owned OVERLAPPED is matched by its address', async () => {
    reactor = new Reactor(mode);
    const filePath = path.join(tmp, 'own-overlapped.bin');
    fs.writeFileSync(filePath, 'abcdefghij');
    const file = later(File.open(reactor, filePath));
    // The caller's OVERLAPPED must not move: a slice of a large (off-heap) ArrayBuffer.
    const overlapped = new Uint8Array(new ArrayBuffer(4096), 0, 32);
    new DataView(overlapped.buffer).setUint32(16, 3, true); // Offset = 3
    const buffer = Buffer.alloc(4);
    const issued = readFileOverlapped(file.handle, buffer, overlapped);
    // File's handle is in skip-on-success mode: a read Windows serves from its cache completes
    // before ReadFile returns and posts no packet, so there is nothing to wait for (waitOverlapped
    // must not be given it). Under Wine a file read always pends (docs/wine.md).
    if (issued !== SUCCEEDED_AT_ONCE) {
      expect(issued).toBe(0);
      expect(await reactor.run(() => reactor.waitOverlapped(file.handle, overlapped))).toBe(4);
    }
    expect(buffer.toString()).toBe('defg');
  });

  test('the IOCP worker thread dying rejects pending operations instead of hanging', async () => {
    reactor = new Reactor(mode);
    if (inPort) {
      // The reactor thread dequeues itself: there is no worker thread to die.
      expect(reactor[kCompletionPort].worker).toBeUndefined();
      return;
    }
    await reactor.run(async () => {
      const { server } = await pipePair();
      const read = track(server.read(Buffer.alloc(16)));
      await reactor.sleep(20);
      const worker = reactor[kCompletionPort].worker!;
      const exited = once(worker, 'exit');
      void worker.terminate();
      // terminate() takes effect when the worker's JS runs again: give GetQueuedCompletionStatusEx a packet.
      reactor.postCompletion(reactor.monitorCompletionKey().key);
      await exited;
      await expect(read.promise).rejects.toThrow(/IOCP worker thread exited unexpectedly/);
      expect(reactor.stats().iocpWorker).toBe('failed');
      expect(() => reactor.postCompletion(0x2000)).toThrow(/IOCP worker thread exited unexpectedly/);
    });
  });

  test('regression: close() with more posted completions queued than the ring holds does not hang', async () => {
    reactor = new Reactor(mode);
    const monitor = reactor.monitorCompletionKey();
    // 3 × the ring: in select mode the worker fills the ring, then waits for room that only the
    // loop (not running) would make, with the stop key queued behind the rest.
    for (let i = 0; i < 3 * 4096; i++) reactor.postCompletion(monitor.key, i);
    await reactor.close();
    expect(reactor.stats()).toMatchObject({ closed: true, iocpWorker: 'stopped' });
  });

  test('a CompletionTarget kept after its reactor closed refuses to post: no packet reaches a port that reuses the handle value', async () => {
    const old = new Reactor(mode);
    const stale = old.completionTarget();
    await old.close();
    reactor = new Reactor(mode);
    const monitor = reactor.monitorCompletionKey();
    // Handle values are reused at once (seen under Wine): the new port may well have the old value.
    expect(() => postCompletion(stale, monitor.key, 7)).toThrow(ClosedResourceError);
    expect(() => postCompletion({ port: stale.port } as never, monitor.key)).toThrow(TypeError);
    postCompletion(reactor.completionTarget(), monitor.key, 8);
    expect(await reactor.run(() => monitor.next())).toMatchObject({ bytes: 8 });
    expect(reactor.stats()).toMatchObject({ completions: 1, strayCompletions: 0 });
    monitor.close();
  });

  test('close() cancels pending operations, joins the worker and closes the port', async () => {
    reactor = new Reactor(mode);
    const outcome = await reactor.run(async () => {
      const { server } = await pipePair();
      const read = server.read(Buffer.alloc(16)).catch((e: unknown) => e);
      await reactor.sleep(20);
      allowLeft(reactor, { overlappedOperations: 1 }); // the read
      await reactor.close();
      return read;
    });
    expect(outcome).toBeInstanceOf(ClosedResourceError);
    expect(reactor.stats()).toMatchObject({ overlappedWaiters: 0, iocpWorker: 'stopped', closed: true });
  });

  // Mode-independent (test/helpers/modes.ts): these calls fail at the call, or decide there
  // (a transfer checked against the table), before any
  // operation reaches the port or the loop, the same in every mode.
  if (runsOnce(name)) {
    test('forgetting registerWithIocp gives a clear error, not a hang', async () => {
      reactor = new Reactor(mode);
      const filePath = path.join(tmp, 'unregistered.bin');
      fs.writeFileSync(filePath, 'data');
      const handle = createFile(filePath, kernel32.GENERIC_READ, kernel32.FILE_SHARE_READ, kernel32.OPEN_EXISTING, kernel32.FILE_FLAG_OVERLAPPED);
      later({ close: () => closeHandle(handle) });
      const controller = new AbortController();
      await expect(reactor.readOverlapped(handle, Buffer.alloc(4), 0, { signal: controller.signal })).rejects.toThrow(/not registered.*registerWithIocp/);
      await expect(reactor.waitOverlapped(handle, new Uint8Array(32))).rejects.toThrow(/not registered/);
      expect(reactor.stats().overlappedWaiters).toBe(0);
    });

    test('regression: releaseHandle of a handle never registered here, or released already, is a HandleStateError', async () => {
      reactor = new Reactor(mode);
      const filePath = path.join(tmp, 'release.bin');
      fs.writeFileSync(filePath, 'data');
      const handle = createFile(filePath, kernel32.GENERIC_READ, kernel32.FILE_SHARE_READ, kernel32.OPEN_EXISTING, kernel32.FILE_FLAG_OVERLAPPED);
      later({ close: () => closeHandle(handle) });
      expect(() => reactor.releaseHandle(handle)).toThrow(HandleStateError);
      expect(() => reactor.releaseHandle(handle)).toThrow(/releaseHandle: handle \d+ is not registered with this reactor/);
      reactor.registerWithIocp(handle);
      reactor.releaseHandle(handle);
      expect(() => reactor.releaseHandle(handle)).toThrow(HandleStateError);
    });

    test('regression: transferHandle takes a new handle whose value a closed handle\'s pending read still names (its packet not yet dispatched)', async () => {
      reactor = new Reactor(mode);
      const filePath = path.join(tmp, 'reused.bin');
      fs.writeFileSync(filePath, 'reused');
      await reactor.run(async () => {
        const { server } = await pipePair();
        const oldValue = server.handle;
        const read = server.read(Buffer.alloc(16)).catch((e: unknown) => e);
        // Closed with the read in flight: its packet comes, but only the loop's next turn dispatches it.
        server.close();
        // Windows and Wine hand a freed handle value out again at once; open files until one has it.
        let reused: File | undefined;
        for (let i = 0; i < 64 && reused === undefined; i++) {
          const file = later(File.open(reactor, filePath));
          if (file.handle === oldValue) reused = file;
        }
        expect(reused, `no new handle took the closed pipe's value ${oldValue}`).toBeDefined();
        expect(reactor.stats().overlappedWaiters).toBe(1); // the closed pipe's read
        expect(reactor.adoptHandle(reactor.transferHandle(reused!.handle, reactor.completionTarget()))).toMatch(/^(native|emulated)$/);
        expect(await read).toBeInstanceOf(ClosedResourceError);
        const buffer = Buffer.alloc(16);
        expect(buffer.subarray(0, await reused!.read(buffer, 0)).toString()).toBe('reused');
      });
    });

    test('a handle binds to one port: binding it twice, or to a second reactor, is a WinError that says so', async () => {
      reactor = new Reactor(mode);
      const other = new Reactor(mode);
      try {
        const filePath = path.join(tmp, 'bound.bin');
        fs.writeFileSync(filePath, 'x');
        const file = later(File.open(reactor, filePath));
        expect(() => reactor.registerWithIocp(file.handle)).toThrow(/ERROR_INVALID_PARAMETER \(87\): .*already bound to this reactor/);
        expect(() => other.registerWithIocp(file.handle)).toThrow(
          expect.objectContaining({ name: 'WinError', winCode: 'ERROR_INVALID_PARAMETER', message: expect.stringMatching(/already bound to a completion port/) }),
        );
      } finally {
        await other.close();
      }
    });
  }
});
