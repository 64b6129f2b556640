// The loop-empty check itself (test/helpers/loop-empty.ts): it finds what a test left at close
// and names it, holds a test to what it said it leaves, and fails a reactor never closed. Each
// test here takes its findings out of the record, so that the check's own afterEach passes.
import { afterEach, describe, expect, test } from 'vitest';
import { Reactor, winsock } from '../../lib/index.ts';
import { checkResourcesReleased } from '../helpers/resources.ts';
import { allowLeft, finishReactors, trackedOf } from '../helpers/loop-empty.ts';

checkResourcesReleased();

/** What the check recorded for `reactor` once its close (and the check after it) is done; taken out of the record. */
async function findingsOf(reactor: Reactor): Promise<string[]> {
  const entry = trackedOf(reactor)!;
  await entry.closing;
  return entry.findings.splice(0);
}

describe('the loop-empty check', () => {
  const sockets: number[] = [];
  afterEach(() => {
    winsock.closeQuietly(...sockets.splice(0));
  });

  test('a sleep and a socket wait left at close are found, and named', async () => {
    const reactor = new Reactor();
    const [a, b] = winsock.loopbackPair();
    sockets.push(a, b);
    const sleeping = reactor.sleep(60_000).catch((e: unknown) => e);
    const reading = reactor.waitReadable(a).catch((e: unknown) => e);
    await reactor.close();
    await Promise.all([sleeping, reading]);
    expect(await findingsOf(reactor)).toEqual([expect.stringMatching(/^reactor \d+ \(select\) left at close: readWaiters 1, sleeps 1$/)]);
  });

  test('call-soon work and a channel receive left at close are found', async () => {
    const reactor = new Reactor();
    reactor.callSoon(() => {});
    const channel = reactor.openChannel();
    const receiving = channel.receive().catch((e: unknown) => e);
    await reactor.close();
    await receiving;
    expect(await findingsOf(reactor)).toEqual([expect.stringMatching(/left at close: callbacks 1, channelReceivers 1$/)]);
  });

  test('what a test allows must be exactly what is left', async () => {
    const reactor = new Reactor();
    const sleeping = reactor.sleep(60_000).catch((e: unknown) => e);
    allowLeft(reactor, { sleeps: 1, readWaiters: 1 });
    await reactor.close();
    await sleeping;
    expect(await findingsOf(reactor)).toEqual([expect.stringMatching(/left at close: readWaiters 0 \(the test allowed 1\)$/)]);
  });

  test('an empty loop, and one that left only what it allowed, pass', async () => {
    const empty = new Reactor();
    await empty.run(() => empty.sleep(1));
    await empty.close();
    expect(await findingsOf(empty)).toEqual([]);
    const allowed = new Reactor();
    const sleeping = allowed.sleep(60_000).catch((e: unknown) => e);
    allowLeft(allowed, { sleeps: 1 });
    await allowed.close();
    await sleeping;
    expect(await findingsOf(allowed)).toEqual([]);
  });

  test('a reactor never closed fails, and is closed', async () => {
    const reactor = new Reactor();
    expect(reactor.stats().closed).toBe(false);
    await expect(finishReactors([reactor])).rejects.toThrow(/reactor \d+ \(select\) was never closed/);
    expect(reactor.stats().closed).toBe(true);
  });
});
