// Faults the loop must survive or report, never stall on: close() with work pending in every
// family, the wakeup socket closed behind the loop's back, a child killed from outside while a
// task awaits it, a peer reset while a large write waits for buffer space. (Threads killed
// natively: killed-threads.test.ts.)
import { afterEach, describe, expect, test } from 'vitest';
import { ClosedResourceError, InternalStateError, NamedPipe, NamedPipeServer, Reactor, WinError, WinEvent, spawnProcess, winsock, type ReactorOptions } from '../../lib/index.ts';
import { kWakeupEnd } from '../../lib/scheduler/reactor.ts';
import { checkResourcesReleased } from '../helpers/resources.ts';
import { Closers } from '../helpers/closers.ts';
import { LOOP_MODES } from '../helpers/modes.ts';
import { loopUntil } from '../helpers/loop.ts';
import { track, type Tracked } from '../helpers/track.ts';
import { allowLeft } from '../helpers/loop-empty.ts';
import { writeUntilOneWaits } from '../helpers/waiting-write.ts';
import { connectedTcpPair, listeningTcpPair } from '../helpers/tcp.ts';

checkResourcesReleased();

let reactor: Reactor | undefined;
const closers = new Closers();
const { own } = closers;
afterEach(async () => {
  await reactor?.close();
  reactor = undefined;
  closers.closeAll();
});

let pipes = 0;

describe.each(LOOP_MODES)('close() with work pending in every family (waiting in $name)', ({ mode }) => {
  test('socket waits, sleeps, pipe reads, object waits, channel receives and key monitors all reject with ClosedResourceError', async () => {
    const r = (reactor = new Reactor(mode));
    const [a, b] = winsock.loopbackPair();
    own({ close: () => winsock.closeQuietly(a, b) });
    const event = own(WinEvent.create());
    const name = `winmux-faults-${process.pid}-${++pipes}`;
    const pending: Record<string, Tracked<unknown>> = await r.run(async () => {
      const listener = own(new NamedPipeServer(r, name));
      const accepted = listener.accept();
      const client = own(await NamedPipe.connect(r, name));
      const server = own(await accepted);
      const channel = r.openChannel();
      const work = {
        socketWait: track(r.waitReadable(a)),
        sleep: track(r.sleep(60_000)),
        pipeRead: track(server.read(Buffer.alloc(16))),
        objectWait: track(r.waitForObject(event.handle)),
        channelReceive: track(channel.receive()),
        keyMonitor: track(r.monitorCompletionKey().next()),
      };
      // Every wait has reached its family (a waiter thread holds the event, the read is issued).
      expect(await loopUntil(r, () => r.stats().objectWaits === 1 && r.stats().overlappedWaiters >= 1)).toBe(true);
      expect(Object.values(work).filter((w) => w.settled)).toEqual([]);
      void client;
      return work;
    });
    allowLeft(r, { readWaiters: 1, overlappedOperations: 1, objectWaits: 1, sleeps: 1, channelReceivers: 1, keyMonitorWaiters: 1 }); // the work above
    await r.close();
    for (const [what, work] of Object.entries(pending)) {
      expect(work.settled, what).toBe(true);
      expect(work.error, what).toBeInstanceOf(ClosedResourceError);
    }
    expect(r.stats()).toMatchObject({
      closed: true, readWaiters: 0, writeWaiters: 0, timers: 0, overlappedWaiters: 0, objectWaits: 0, waiterThreads: 0, channels: 0,
    });
  });
});

// Every mode with a wakeup socket, i.e. every mode that sleeps in select or WSAPoll, whatever its
// readiness backend; port modes have none (wakes are packets on the port).
const WAKEUP_SOCKET_MODES: { name: string; mode: ReactorOptions }[] = [
  ...LOOP_MODES.filter((m) => !m.inPort),
  { name: 'afd-select', mode: { readiness: 'afd', waitIn: 'select' } },
  { name: 'guest afd-select', mode: { guest: true, readiness: 'afd', waitIn: 'select' } },
  { name: 'wsapoll', mode: { readiness: 'wsapoll' } },
];

describe.each(WAKEUP_SOCKET_MODES)('the wakeup socket (waiting in $name)', ({ mode }) => {
  test('closed behind the loop\'s back: the loop fails, naming it, and every wait rejects with that as the cause', async () => {
    const r = (reactor = new Reactor(mode));
    const event = own(WinEvent.create());
    let waits: Tracked<unknown>[] = [];
    const outcome = await r
      .run(async () => {
        waits = [track(r.sleep(60_000)), track(r.waitForObject(event.handle)), track(r.openChannel().receive())];
        allowLeft(r, { sleeps: 1, objectWaits: 1, channelReceivers: 1 }); // the failing loop closes the reactor with these pending
        expect(await loopUntil(r, () => r.stats().objectWaits === 1)).toBe(true);
        winsock.closeSocket(r[kWakeupEnd]!);
        await Promise.allSettled(waits.map((w) => w.promise));
        return 'the task ended';
      })
      .catch((error: unknown) => error);
    const cause = (waits[0]!.error as Error).cause;
    expect(cause).toBeInstanceOf(InternalStateError);
    expect((cause as Error).message).toMatch(/wakeup socket \(\d+\) is no longer a socket/);
    // Host mode: run() itself fails with it. Guest mode: run() only started the task, which ended.
    expect(outcome).toBe(r.guest ? 'the task ended' : cause);
    expect(r.stats().closed).toBe(true);
    for (const wait of waits) {
      expect(wait.error).toBeInstanceOf(ClosedResourceError);
      expect((wait.error as Error).cause).toBe(cause);
    }
    await expect(r.sleep(1)).rejects.toThrow(expect.objectContaining({ cause }));
  });
});

describe.each(LOOP_MODES)('outside events (waiting in $name)', ({ mode }) => {
  test('a child killed from outside while a task awaits it: wait() resolves with the exit code', async () => {
    const r = (reactor = new Reactor(mode));
    const child = own(spawnProcess(r, process.execPath, ['-e', 'setInterval(() => {}, 1000)']));
    const code = await r.run(async () => {
      const exit = track(child.wait());
      expect(await loopUntil(r, () => r.stats().objectWaits === 1)).toBe(true);
      // Not through winmux's handle: libuv opens the process by pid and calls TerminateProcess (exit code 1).
      process.kill(child.pid);
      return exit.promise;
    });
    expect(code).toBe(1);
  });

  test('a peer reset while a 16 MiB write waits: the write rejects with WSAECONNRESET or WSAECONNABORTED, the loop goes on', async () => {
    const r = (reactor = new Reactor(mode));
    const result = await r.run(async () => {
      const { listener, client, server } = await listeningTcpPair(r, own);
      // The peer reads nothing: writes fill both buffers until one waits for room.
      const { waiting: write } = await writeUntilOneWaits(r, client, new Uint8Array(16 * 1024 * 1024));
      winsock.setLinger(server.socket, true, 0); // SO_LINGER {1, 0}: closesocket resets (RST)
      server.close();
      expect(await loopUntil(r, () => write.settled)).toBe(true);
      // The loop goes on: a new connection still echoes.
      const { client: c2, server: s2 } = await connectedTcpPair(r, listener, own);
      await c2.write(Buffer.from('still here'));
      const buffer = Buffer.alloc(32);
      return { error: write.error, echoed: buffer.subarray(0, await s2.read(buffer)).toString() };
    });
    expect(result.error).toBeInstanceOf(WinError);
    expect(['WSAECONNRESET', 'WSAECONNABORTED']).toContain((result.error as WinError).winCode);
    expect(result.echoed).toBe('still here');
  });
});
