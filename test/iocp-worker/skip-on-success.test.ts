// Skip-on-success (FILE_SKIP_COMPLETION_PORT_ON_SUCCESS on the handles winmux opens): a pipe read
// that finds its bytes already there succeeds before ReadFile returns, and no packet is queued.
// Its result must be delivered once, from the OVERLAPPED, with no packet arriving later; its task
// is paced like any operation that completed without waiting; pending, cancelled and closed
// operations on such a handle are as before (their packets come).
import { afterEach, describe, expect, test } from 'vitest';
import { ClosedResourceError, NamedPipe, NamedPipeServer, Reactor } from '../../lib/index.ts';
import * as kernel32 from '../../lib/win32/kernel32.ts';
import { ownHandles } from '../../lib/io/handles.ts';
import { checkResourcesReleased } from '../helpers/resources.ts';
import { LOOP_MODES } from '../helpers/modes.ts';

checkResourcesReleased();

let pipeCounter = 0;
const pipeName = (): string => `winmux-skip-test-${process.pid}-${++pipeCounter}`;
/** Iterations run after an operation settled, in which a stray packet for it would be dispatched. */
const AFTER_ITERATIONS = 20;
/** winmux's own setting, restored after a test that turns it off. */
const OWN_HANDLES_SKIP = ownHandles.skipCompletionOnSuccess;

describe.each(LOOP_MODES)('skip-on-success (waiting in $name)', ({ mode }) => {
  let reactor: Reactor;
  const open: { close(): void }[] = [];

  afterEach(async () => {
    for (const resource of open.splice(0).reverse()) resource.close();
    ownHandles.skipCompletionOnSuccess = OWN_HANDLES_SKIP;
    await reactor?.close();
  });

  async function pipePair(): Promise<{ server: NamedPipe; client: NamedPipe }> {
    const name = pipeName();
    const listener = new NamedPipeServer(reactor, name);
    open.push(listener);
    const accepted = listener.accept();
    const client = await NamedPipe.connect(reactor, name);
    open.push(client);
    const server = await accepted;
    open.push(server);
    listener.close();
    return { server, client };
  }

  /** Runs AFTER_ITERATIONS loop iterations that poll (each sleep ends in a poll). */
  async function iterateOn(r: Reactor): Promise<void> {
    for (let i = 0; i < AFTER_ITERATIONS; i++) await r.sleep(1);
  }
  const iterate = (): Promise<void> => iterateOn(reactor);

  /** Reads 5 bytes already in the pipe; returns what the stats say happened from the read on. */
  async function readWaitingBytes(): Promise<{ got: string; atOnce: number; completions: number; stray: number; waiters: number }> {
    const { server, client } = await pipePair();
    await client.write(new TextEncoder().encode('hello'));
    await iterate(); // the write's packet, if it had one, is in
    const before = reactor.stats();
    const buffer = new Uint8Array(16);
    const n = await server.read(buffer);
    await iterate();
    const after = reactor.stats();
    return {
      got: new TextDecoder().decode(buffer.subarray(0, n)),
      atOnce: after.completedAtOnce - before.completedAtOnce,
      completions: after.completions - before.completions,
      stray: after.strayCompletions - before.strayCompletions,
      waiters: after.overlappedWaiters,
    };
  }

  test('a read that finds its bytes waiting resolves once, from the OVERLAPPED, and no packet comes after it', async () => {
    reactor = new Reactor(mode);
    const result = await reactor.run(readWaitingBytes);
    expect(result).toEqual({ got: 'hello', atOnce: 1, completions: 0, stray: 0, waiters: 0 });
  });

  test('without the mode (the control), the same read is delivered by its packet', async () => {
    reactor = new Reactor(mode);
    ownHandles.skipCompletionOnSuccess = false;
    const result = await reactor.run(readWaitingBytes);
    expect(result).toEqual({ got: 'hello', atOnce: 0, completions: 1, stray: 0, waiters: 0 });
  });

  test('reads that all complete at once still let the loop poll: their tasks are deferred past the fair share', async () => {
    reactor = new Reactor(mode);
    const reads = 2000;
    const result = await reactor.run(async () => {
      const { server, client } = await pipePair();
      await client.write(new Uint8Array(reads).fill(7));
      const before = reactor.stats();
      let ticks = 0;
      let reading = true;
      // A task that only runs when the loop turns: each of its sleeps needs an iteration.
      const ticker = (async () => {
        while (reading) {
          await reactor.sleep(0);
          ticks++;
        }
      })();
      const one = new Uint8Array(1);
      for (let i = 0; i < reads; i++) await server.read(one);
      reading = false;
      await ticker;
      const after = reactor.stats();
      return {
        atOnce: after.completedAtOnce - before.completedAtOnce,
        deferred: after.deferredOperations - before.deferredOperations,
        ticked: ticks > 0,
      };
    });
    // Every read found its byte; 2000 ReadFile calls take longer than one iteration's slice
    // (lib/loop/fair-share.ts, SLICE_MS), so some tasks were deferred and the ticker ran meanwhile.
    expect(result.atOnce).toBe(reads);
    expect(result.deferred).toBeGreaterThan(0);
    expect(result.ticked).toBe(true);
  });

  test('a skip-on-success pipe end handed to another reactor keeps the mode; a read there that finds its bytes is delivered once', async () => {
    reactor = new Reactor(mode);
    const other = new Reactor(mode);
    try {
      const { server, client } = await reactor.run(pipePair);
      await reactor.run(() => client.write(new TextEncoder().encode('moved')));
      open.splice(open.indexOf(server), 1); // the handle is the other reactor's from here on
      const transfer = reactor.transferHandle(server.handle, other.completionTarget());
      expect(transfer.skipOnSuccess).toBe(true);
      expect(other.adoptHandle(transfer)).toBe(transfer.mode);
      const buffer = new Uint8Array(16);
      const n = await other.run(async () => {
        const got = await other.readOverlapped(server.handle, buffer);
        await iterateOn(other);
        return got;
      });
      const stats = other.stats();
      other.releaseHandle(server.handle);
      kernel32.CloseHandle(server.handle);
      // Native (Windows 8.1+): taken at once, no packet. Emulated (Wine): bound to the first
      // reactor's port for life, the operation's event is set (the mode skips only packets and
      // the handle's own event) and the waiter pool reports it.
      expect({ got: new TextDecoder().decode(buffer.subarray(0, n)), stray: stats.strayCompletions, waiters: stats.overlappedWaiters })
        .toEqual({ got: 'moved', stray: 0, waiters: 0 });
      expect(transfer.mode === 'native' ? stats.completedAtOnce : stats.emulatedOperations).toBe(1);
    } finally {
      await other.close();
    }
  });

  test('a read that waits on a skip-on-success handle is delivered by its packet; abort and close end it as before', async () => {
    reactor = new Reactor(mode);
    await reactor.run(async () => {
      const { server, client } = await pipePair();
      const before = reactor.stats();
      const buffer = new Uint8Array(16);
      const waiting = server.read(buffer);
      await reactor.sleep(5);
      await client.write(new TextEncoder().encode('late'));
      expect(await waiting).toBe(4);
      const controller = new AbortController();
      const aborted = server.read(buffer, { signal: controller.signal });
      await reactor.sleep(5);
      controller.abort(new Error('stop'));
      await expect(aborted).rejects.toThrow('stop');
      const closing = server.read(buffer);
      await reactor.sleep(5);
      server.close();
      await expect(closing).rejects.toBeInstanceOf(ClosedResourceError);
      await iterate();
      const after = reactor.stats();
      expect({
        atOnce: after.completedAtOnce - before.completedAtOnce,
        stray: after.strayCompletions - before.strayCompletions,
        waiters: after.overlappedWaiters,
      }).toEqual({ atOnce: 1, stray: 0, waiters: 0 }); // the one at once: the client's write
    });
  });
});
