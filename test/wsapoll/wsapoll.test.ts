// The WSAPoll backend's parts: the WSAPOLLFD array (pure memory), the failed-connect check and the
// backend itself against real sockets. The whole readiness contract runs on it in
// test/select/readiness.test.ts.
import { afterEach, describe, expect, test } from 'vitest';
import { Reactor, WinError, winsock, type ReadinessSink } from '../../lib/index.ts';
import { PollSet } from '../../lib/wsapoll/poll-set.ts';
import { CONNECT_CHECK_MS, ConnectCheck, wsapollMissesFailedConnects } from '../../lib/wsapoll/connect-check.ts';
import { WsaPollBackend } from '../../lib/wsapoll/wsapoll-backend.ts';
import { READABLE, WRITABLE } from '../../lib/loop/readiness.ts';
import * as ws from '../../lib/win32/ws2_32.ts';
import { checkResourcesReleased } from '../helpers/resources.ts';
import { SocketJar, sendSome } from '../helpers/sockets.ts';

checkResourcesReleased();

/** Reads a WSAPOLLFD array the way WSAPoll does: u64 fd at 0, i16 events at 8, 16 bytes an entry. */
function readEntries(set: PollSet): [number, number][] {
  const view = new DataView(set.array.buffer, set.array.byteOffset, set.array.byteLength);
  return Array.from({ length: set.size }, (_, i) => [Number(view.getBigUint64(16 * i, true)), view.getInt16(16 * i + 8, true)]);
}

/** A sink that records what the backend reported, in order. */
function recorder(): ReadinessSink & { log: [string, number, unknown][] } {
  const log: [string, number, unknown][] = [];
  return {
    log,
    ready: (socket, direction) => log.push(['ready', socket, direction]),
    failed: (socket, error) => log.push(['failed', socket, error]),
  };
}

describe('PollSet', () => {
  test('one 16-byte WSAPOLLFD per socket, read and write interest in one entry', () => {
    const set = new PollSet();
    set.add(100, ws.POLLRDNORM);
    set.add(0x1_0000_0010, ws.POLLWRNORM);
    set.add(100, ws.POLLWRNORM);
    expect(set.size).toBe(2);
    expect(readEntries(set)).toEqual([[100, ws.POLLRDNORM | ws.POLLWRNORM], [0x1_0000_0010, ws.POLLWRNORM]]);
    expect(set.eventsOf(100)).toBe(ws.POLLRDNORM | ws.POLLWRNORM);
    expect(set.eventsOf(7)).toBe(0);
  });

  test('removing the last interest of a socket swaps the last entry into its slot', () => {
    const set = new PollSet();
    for (const s of [1, 2, 3, 4]) set.add(s, ws.POLLRDNORM);
    set.add(2, ws.POLLWRNORM);
    set.remove(2, ws.POLLRDNORM); // still wanted for writing: stays
    expect([...set.sockets()]).toEqual([1, 2, 3, 4]);
    set.remove(2, ws.POLLWRNORM);
    expect(readEntries(set)).toEqual([[1, ws.POLLRDNORM], [4, ws.POLLRDNORM], [3, ws.POLLRDNORM]]);
    set.remove(3, ws.POLLRDNORM); // the last one: nothing moves
    set.remove(99, ws.POLLRDNORM); // not there: no effect
    expect(readEntries(set)).toEqual([[1, ws.POLLRDNORM], [4, ws.POLLRDNORM]]);
    set.add(4, ws.POLLWRNORM); // the moved entry is still found through the index
    expect(set.eventsOf(4)).toBe(ws.POLLRDNORM | ws.POLLWRNORM);
  });

  test('grows past its initial capacity keeping every entry', () => {
    const set = new PollSet(2);
    for (let s = 1; s <= 1000; s++) set.add(s * 4, s % 2 ? ws.POLLRDNORM : ws.POLLWRNORM);
    expect(set.size).toBe(1000);
    expect(readEntries(set)[999]).toEqual([4000, ws.POLLWRNORM]);
    for (let s = 1; s <= 1000; s += 2) set.remove(s * 4, ws.POLLRDNORM);
    expect(set.size).toBe(500);
    expect(new Set(set.sockets())).toEqual(new Set(Array.from({ length: 500 }, (_, i) => (2 * i + 2) * 4)));
  });
});

describe('failed connects', () => {
  const jar = new SocketJar();
  afterEach(() => jar.closeAll());

  test('which systems need the check: Windows builds before 19041 (10 version 2004)', () => {
    expect(wsapollMissesFailedConnects('10.0.18362')).toBe(true); // what Wine reports
    expect(wsapollMissesFailedConnects('6.1.7601')).toBe(true);
    expect(wsapollMissesFailedConnects('10.0.19041')).toBe(false);
    expect(wsapollMissesFailedConnects('10.0.26100')).toBe(false);
    expect(wsapollMissesFailedConnects('something else')).toBe(true);
  });

  test('the check finds a refused connect, not a connected socket, and leaves SO_ERROR to the waiter', async () => {
    const check = new ConnectCheck();
    const refused = jar.refusedConnect();
    const [a] = jar.pair();
    check.add(refused);
    check.add(a);
    expect(check.due(0)).toBe(true);
    let found: number[] = [];
    for (let now = 0; found.length === 0 && now < 100 * CONNECT_CHECK_MS; now += CONNECT_CHECK_MS) {
      found = check.run(now);
      if (found.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(found).toEqual([refused]);
    expect(new WinError('connect', winsock.socketError(refused)).winCode).toBe('WSAECONNREFUSED');
  });

  test('the check is paced: due once per CONNECT_CHECK_MS, and caps how long a poll may block', () => {
    const check = new ConnectCheck();
    expect(check.due(0)).toBe(false); // nothing armed for writing
    expect(check.cap(Infinity, 0)).toBe(Infinity);
    const [a] = jar.pair();
    check.add(a);
    check.run(1000);
    expect(check.due(1000 + CONNECT_CHECK_MS - 1)).toBe(false);
    expect(check.due(1000 + CONNECT_CHECK_MS)).toBe(true);
    expect(check.cap(Infinity, 1010)).toBe(CONNECT_CHECK_MS - 10);
    expect(check.cap(5, 1010)).toBe(5);
    check.remove(a);
    expect(check.due(5000)).toBe(false);
    expect(check.runs).toBe(1);
  });
});

describe('WsaPollBackend', () => {
  const jar = new SocketJar();
  afterEach(() => jar.closeAll());

  test('reports read and write readiness per direction, and only what is armed', () => {
    const backend = new WsaPollBackend({ connectCheck: false });
    const [a, b] = jar.pair();
    const sink = recorder();
    backend.arm(a, READABLE);
    backend.arm(b, READABLE);
    backend.arm(b, WRITABLE);
    expect(backend.stats()).toMatchObject({ backend: 'wsapoll', readArmed: 2, writeArmed: 1, pollEntries: 2 });
    expect(backend.wait(0, sink)).toBe(1);
    expect(sink.log).toEqual([['ready', b, WRITABLE]]);
    sendSome(b, new Uint8Array([1]));
    backend.disarm(b, WRITABLE);
    sink.log.length = 0;
    expect(backend.wait(1000, sink)).toBe(1);
    expect(sink.log).toEqual([['ready', a, READABLE]]);
    expect(backend.stats()).toMatchObject({ readArmed: 2, writeArmed: 0, pollEntries: 2, pollCalls: 2, connectChecks: 0 });
    backend.close();
  });

  test('a closed socket fails alone with WSAENOTSOCK (POLLNVAL); the others stay armed', () => {
    const backend = new WsaPollBackend({ connectCheck: false });
    const [a] = jar.pair();
    const [c] = jar.pair();
    backend.arm(a, READABLE);
    backend.arm(c, READABLE);
    backend.arm(c, WRITABLE);
    jar.closeNow(c);
    const sink = recorder();
    backend.wait(0, sink);
    expect(sink.log).toHaveLength(1);
    expect(sink.log[0]).toMatchObject(['failed', c, { winCode: 'WSAENOTSOCK', syscall: 'WSAPoll' }]);
    expect(backend.stats()).toMatchObject({ readArmed: 1, writeArmed: 0, pollEntries: 1 });
    backend.close();
  });

  test('a refused connect wakes the writer with the check on and with it off', async () => {
    for (const connectCheck of [true, false]) {
      const backend = new WsaPollBackend({ connectCheck });
      const s = jar.refusedConnect();
      const sink = recorder();
      backend.arm(s, WRITABLE);
      for (let i = 0; i < 100 && sink.log.length === 0; i++) backend.wait(50, sink);
      expect(sink.log[0]).toEqual(['ready', s, WRITABLE]);
      expect(new WinError('connect', winsock.socketError(s)).winCode).toBe('WSAECONNREFUSED');
      expect(Number(backend.stats().connectChecks) > 0).toBe(connectCheck);
      backend.close();
    }
  });

  test('the reactor takes readiness wsapoll, but not in guest mode', async () => {
    await using reactor = new Reactor({ readiness: 'wsapoll' });
    expect(reactor.stats().readiness).toMatchObject({ backend: 'wsapoll', readArmed: 1, pollEntries: 1 });
    expect(() => new Reactor({ readiness: 'wsapoll', guest: true })).toThrow(/readiness "wsapoll" cannot run as a guest/);
    expect(() => new Reactor({ readiness: 'poll' as never })).toThrow(/expected 'select', 'afd', 'wsapoll'/);
    expect(() => new Reactor({ readiness: 'wsapoll', waitIn: 'port' })).toThrow(TypeError);
  });
});
