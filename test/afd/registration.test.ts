// AFD state belongs to a socket's registration, not to its interest (issue 22, item 4; wepoll's
// sock.c and port.c are the model): the state, its base socket (SIO_BASE_HANDLE) and its place in
// a poll group are taken once, when a socket is first waited on, and given back once, when it is
// forgotten (notifyClosing, release) or found closed; a poll's packet only records what happened
// and queues an update. The checks: the group places add up to the registered sockets and each
// group stays within its limit after every step, and nothing is left in flight at the end.
import { afterEach, describe, expect, test } from 'vitest';
import { AfdBackend, READABLE, Reactor, WRITABLE, WinError, winsock, type ReactorOptions, type ReadinessSink } from '../../lib/index.ts';
import { kCompletionPort } from '../../lib/scheduler/reactor.ts';
import type { CompletionPort } from '../../lib/iocp-worker/completion-port.ts';
import { KEY_OVERLAPPED } from '../../lib/loop/reserved-keys.ts';
import { MAX_GROUP_SIZE } from '../../lib/afd/poll-group.ts';
import { addressOf } from '../../lib/win32/ffi.ts';
import { AFD_POLL_INFO } from '../../lib/win32/structs.ts';
import * as ntdll from '../../lib/win32/ntdll.ts';
import { checkResourcesReleased } from '../helpers/resources.ts';
import { SocketJar } from '../helpers/sockets.ts';
import { track, type Tracked } from '../helpers/track.ts';
import { loopUntil } from '../helpers/loop.ts';

checkResourcesReleased();

/** The figures of one backend's stats() these tests read. */
interface GroupFigures {
  groupSizes: readonly number[];
  registeredSockets: number;
  pollsInFlight: number;
}

/** What is wrong with the poll groups now, or undefined: every size in [0, MAX_GROUP_SIZE], summing to the registered sockets. */
function groupsWrong(figures: GroupFigures): string | undefined {
  const sizes = figures.groupSizes;
  const sum = sizes.reduce((a, b) => a + b, 0);
  if (sizes.some((size) => size < 0 || size > MAX_GROUP_SIZE) || sum !== figures.registeredSockets) {
    return `group sizes [${sizes.join(', ')}] (sum ${sum}) for ${figures.registeredSockets} registered sockets`;
  }
  return undefined;
}

/** A seeded xorshift32: `next(n)` is in [0, n). A failure replays with the same seed. */
function seeded(seed: number): (n: number) => number {
  let x = seed | 0 || 1;
  return (n) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
}

describe.each([
  { name: 'port', options: { readiness: 'afd' } as ReactorOptions },
  { name: 'select', options: { readiness: 'afd', waitIn: 'select' } as ReactorOptions },
])('AFD registrations, waiting in $name', ({ name, options }) => {
  const jar = new SocketJar();
  let reactor: Reactor;
  afterEach(async () => {
    await reactor?.close();
    jar.closeAll();
  });

  const figures = (): GroupFigures => reactor.stats().readiness as unknown as GroupFigures;

  test('ctl_fuzz (wepoll): 200 UDP sockets armed, disarmed and re-armed at random keep the groups balanced at every step, and leave no poll in flight', async () => {
    reactor = new Reactor(options);
    const sockets = Array.from({ length: 200 }, () => jar.udp());
    const ports = sockets.map((s) => winsock.localAddress(s).port);
    const sender = jar.udp();
    const random = seeded(0x5eed_0afd);
    /** Per socket, per direction (0 read, 1 write): the wait in progress and its abort. */
    const waits: ({ abort: AbortController; wait: Tracked<void> } | undefined)[][] = sockets.map(() => [undefined, undefined]);
    const buffer = new Uint8Array(64);
    let wrong: string | undefined;
    const check = (step: string): void => {
      const problem = wrong === undefined ? groupsWrong(figures()) : undefined;
      if (problem !== undefined) wrong = `${step}: ${problem}`;
    };
    let settledWaits = 0;
    await reactor.run(async () => {
      for (let iteration = 0; iteration < 40; iteration++) {
        for (let i = 0; i < sockets.length; i++) {
          const wanted = random(4); // bit 0: readable, bit 1: writable
          for (const d of [0, 1] as const) {
            let entry = waits[i]![d];
            if (entry?.wait.settled) {
              settledWaits++;
              if (d === 0) while (winsock.recvSome(sockets[i]!, buffer) !== null); // drain what woke it
              waits[i]![d] = entry = undefined;
            }
            if (wanted & (1 << d) && entry === undefined) {
              const abort = new AbortController();
              const wait = d === 0 ? reactor.waitReadable(sockets[i]!, { signal: abort.signal }) : reactor.waitWritable(sockets[i]!, { signal: abort.signal });
              waits[i]![d] = { abort, wait: track(wait) };
            } else if (!(wanted & (1 << d)) && entry !== undefined) {
              entry.abort.abort(); // disarms now (settle runs in the abort listener)
              waits[i]![d] = undefined;
            }
            check(`iteration ${iteration}, socket ${i}, direction ${d}`);
          }
          if (random(8) === 0) winsock.sendTo(sender, new Uint8Array([iteration]), '127.0.0.1', ports[i]!);
        }
        await reactor.checkpoint(); // one poll: packets come, waits settle, polls restart
        check(`after the poll of iteration ${iteration}`);
      }
      expect(wrong).toBeUndefined();
      for (const entry of waits.flat()) entry?.abort.abort();
      await Promise.allSettled(waits.flat().map((entry) => entry?.wait.promise));
      // Aborted read waits left their polls armed. A last round wants every socket writable (UDP
      // always is): each poll is cancelled or served, and once every wait has ended none is left.
      await Promise.all(sockets.map((s) => reactor.waitWritable(s)));
      check('after the last round');
      expect(await loopUntil(reactor, () => figures().pollsInFlight === 0)).toBe(true);
      expect(figures()).toMatchObject({ registeredSockets: 200, readArmed: name === 'select' ? 1 : 0, writeArmed: 0 });
      for (const s of sockets) reactor.notifyClosing(s);
      check('after notifyClosing');
      expect(await loopUntil(reactor, () => figures().pollsInFlight === 0)).toBe(true);
    });
    expect(wrong).toBeUndefined();
    // The seed made real traffic: writable waits end at once on UDP, readable ones on datagrams. A
    // wait is counted when the next iteration finds it settled, and the one poll per iteration
    // sees only the completions already queued: alone 2,000–2,700, in a loaded full Wine 10 run 753.
    expect(settledWaits).toBeGreaterThan(200);
    expect(figures()).toMatchObject({ pollsInFlight: 0, registeredSockets: 0 });
    expect(figures().groupSizes.every((size) => size === 0)).toBe(true);
  });

  test('readable waits under traffic keep the groups balanced: 40 connections, 20 rounds each, at most 32 on a handle', async () => {
    reactor = new Reactor(options);
    const pairs = Array.from({ length: 40 }, () => jar.pair());
    const buffer = new Uint8Array(8);
    const seen: string[] = [];
    await reactor.run(async () => {
      for (let round = 0; round < 20; round++) {
        const waits = pairs.map(([a]) => reactor.waitReadable(a));
        seen.push(groupsWrong(figures()) ?? 'ok');
        for (const [, peer] of pairs) winsock.sendSome(peer, new Uint8Array([round]));
        await Promise.all(waits);
        for (const [a] of pairs) expect(winsock.recvSome(a, buffer)).toBe(1);
        seen.push(groupsWrong(figures()) ?? 'ok');
      }
      // Registered once each, 32 on the first handle and 8 on the second, from the first round to the last.
      expect(figures()).toMatchObject({ registeredSockets: 40, groupSizes: [32, 8], pollGroups: 2 });
      for (const [a] of pairs) reactor.notifyClosing(a);
      expect(await loopUntil(reactor, () => figures().pollsInFlight === 0)).toBe(true);
    });
    expect(seen.filter((what) => what !== 'ok')).toEqual([]);
    expect(figures()).toMatchObject({ registeredSockets: 0, groupSizes: [0, 0] });
  });

  test('the base socket (SIO_BASE_HANDLE) is looked up once per registration, not once per wait', async () => {
    reactor = new Reactor(options);
    const [a, peer] = jar.pair();
    const buffer = new Uint8Array(8);
    const readOnce = async (round: number): Promise<void> => {
      const wait = reactor.waitReadable(a);
      winsock.sendSome(peer, new Uint8Array([round]));
      await wait;
      expect(winsock.recvSome(a, buffer)).toBe(1);
    };
    await reactor.run(async () => {
      for (let round = 0; round < 10; round++) await readOnce(round);
      expect(figures()).toMatchObject({ registeredSockets: 1, baseHandleLookups: 1 });
      // Forgotten (as before a close), then waited on again: a new registration, a new lookup.
      reactor.notifyClosing(a);
      await readOnce(10);
      expect(figures()).toMatchObject({ registeredSockets: 1, baseHandleLookups: 2 });
      reactor.notifyClosing(a);
      expect(await loopUntil(reactor, () => figures().pollsInFlight === 0)).toBe(true);
    });
  });

  test('release() hands a socket on: its registration ends, and the poll an aborted wait left armed is cancelled', async () => {
    reactor = new Reactor(options);
    const [a] = jar.pair();
    await reactor.run(async () => {
      const abort = new AbortController();
      const wait = reactor.waitReadable(a, { signal: abort.signal }).catch(() => 'aborted');
      abort.abort();
      expect(await wait).toBe('aborted');
      expect(figures()).toMatchObject({ registeredSockets: 1, pollsInFlight: 1 });
      expect(reactor.release(a)).toBe(a);
      expect(await loopUntil(reactor, () => figures().pollsInFlight === 0)).toBe(true);
      expect(figures()).toMatchObject({ registeredSockets: 0, groupSizes: [0] });
    });
  });

  test('a socket closed while its poll is in flight: its registration ends once, the other sockets keep theirs', async () => {
    reactor = new Reactor(options);
    const [a] = jar.pair();
    const [b] = jar.pair();
    const [c, peerC] = jar.pair();
    await reactor.run(async () => {
      const onA = reactor.waitReadable(a).catch((e: unknown) => e);
      const onB = reactor.waitReadable(b).catch((e: unknown) => e);
      const onC = track(reactor.waitReadable(c));
      expect(figures()).toMatchObject({ registeredSockets: 3, pollsInFlight: 3, groupSizes: [3] });
      // Behind the loop's back: the poll reports AFD_POLL_LOCAL_CLOSE.
      jar.closeNow(a);
      expect(await onA).toMatchObject({ winCode: 'WSAENOTSOCK' });
      expect(figures()).toMatchObject({ registeredSockets: 2, groupSizes: [2] });
      // Through the reactor: the poll is cancelled; its place is held until its packet comes.
      reactor.notifyClosing(b);
      jar.closeNow(b);
      expect((await onB as Error).name).toBe('ClosedResourceError');
      expect(groupsWrong(figures())).toBeUndefined();
      expect(await loopUntil(reactor, () => figures().pollsInFlight === 1)).toBe(true);
      expect(figures()).toMatchObject({ registeredSockets: 1, groupSizes: [1] });
      expect(onC.settled).toBe(false);
      winsock.sendSome(peerC, new Uint8Array([1]));
      await onC.promise;
      expect(figures()).toMatchObject({ registeredSockets: 1, groupSizes: [1], pollsInFlight: 0 });
    });
  });
});

describe.each([
  { name: 'port', options: { readiness: 'afd' } as ReactorOptions },
  { name: 'select', options: { readiness: 'afd', waitIn: 'select' } as ReactorOptions },
])('an AfdBackend on a reactor\'s completion port (the reactor waiting in $name)', ({ options }) => {
  const jar = new SocketJar();
  let reactor: Reactor;
  let backend: AfdBackend | undefined;
  afterEach(async () => {
    backend?.close();
    backend = undefined;
    await reactor?.close();
    jar.closeAll();
  });

  test('a cancelled poll whose packet reports bytes is a cancel (STATUS_CANCELLED first), not events read from its untouched AFD_POLL_INFO', async () => {
    reactor = new Reactor(options);
    const port = reactor[kCompletionPort];
    // The one poll the test answers itself: reported started (as if the driver took it), never
    // sent to the driver, so no kernel I/O ever touches its memory. Every other call is the port's.
    let answered: Uint8Array | undefined;
    let answerNext = true;
    const spied = {
      register: (handle: number) => port.register(handle),
      release: (handle: number) => port.release(handle),
      cancel: (...args: Parameters<CompletionPort['cancel']>) => port.cancel(...args),
      start: (...args: Parameters<CompletionPort['start']>) => {
        const [handle, syscall, offset, pinned, issue, done, startOptions] = args;
        return port.start(handle, syscall, offset, pinned, (overlapped) => {
          if (!answerNext) return issue(overlapped);
          answerNext = false;
          answered = overlapped;
          return 0;
        }, done, startOptions);
      },
    } as unknown as CompletionPort;
    const reports: string[] = [];
    const sink: ReadinessSink = {
      ready: (socket, direction) => reports.push(`ready ${direction === READABLE ? 'readable' : 'writable'}`),
      failed: (socket, error: WinError) => reports.push(`failed ${error.winCode}`),
    };
    backend = new AfdBackend(spied, sink);
    // A listener: never writable, and readable only if someone connects — nothing else ends a poll.
    const listener = jar.listening();
    await reactor.run(async () => {
      backend!.arm(listener, READABLE);
      expect(answered).toBeDefined();
      // Interest the poll does not cover: the backend cancels it (CancelIoEx finds nothing to cancel).
      backend!.arm(listener, WRITABLE);
      expect(backend!.stats()).toMatchObject({ pollsInFlight: 1, pollsCancelled: 1 });
      // Its packet, as a driver may report a cancelled poll: STATUS_CANCELLED with a byte count.
      // The AFD_POLL_INFO still holds what was asked (AFD_POLL_LOCAL_CLOSE among it), as Wine leaves it.
      expect(ntdll.NtSetIoCompletion(port.port, KEY_OVERLAPPED, addressOf(answered!), ntdll.STATUS_CANCELLED, AFD_POLL_INFO.SIZE)).toBe(0);
      // The packet ends the cancelled poll, and a poll for both directions starts (a real one);
      // nothing is reported (read as a result, the AFD_POLL_INFO says AFD_POLL_LOCAL_CLOSE).
      expect(await loopUntil(reactor, () => reports.length > 0 || backend!.stats().pollsStarted === 2)).toBe(true);
      expect(reports).toEqual([]);
      expect(backend!.stats()).toMatchObject({ pollsStarted: 2, pollsInFlight: 1, registeredSockets: 1 });
      backend!.forget(listener);
      expect(await loopUntil(reactor, () => backend!.stats().pollsInFlight === 0)).toBe(true);
      expect(reports).toEqual([]);
    });
  });
});
