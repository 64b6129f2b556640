// Native calls per echo round trip at one connection, per loop mode: counts, not times (they depend
// on whether the client has answered in time, not on how long anything took). A bound per mode
// fails the suite when a change adds calls to the one-connection path (bench/echo-calls.ts does
// the counting; `npm run bench -- echo-calls` prints the calls by function).
import { expect, test } from 'vitest';
import { COUNT_MODES, countEchoCalls } from '../../bench/echo-calls.ts';
import { WinEvent } from '../../lib/index.ts';
import * as kernel32 from '../../lib/win32/kernel32.ts';
import { nativeCallTimes, setNativeCallTiming } from '../../lib/win32/ffi.ts';
import { checkResourcesReleased } from '../helpers/resources.ts';

checkResourcesReleased();

/**
 * Calls on the reactor's thread per round trip. Every mode reads at once after a short read
 * (TcpStream.read): when the client has answered by then, a round trip is recv and send, 2 calls,
 * plus a poll once the fair share's slice has passed (2.08 in select mode with the Linux-native
 * client of `npm run bench -- round-trip`, which answers within the server's send under Wine).
 * This client, Node `net` on a worker thread under Wine, has rarely answered by then: that recv
 * and its WSAGetLastError then come on top of what the mode does when it waits first, for 1 read
 * in 9 (0.1 WSAGetLastError per round trip). Waiting first: select, recv, send in select mode (3,
 * the C select server's 3; 3.22 with the failed tries); with AFD, and in the guest modes, an
 * iteration and then recv, or readiness once that recv too found nothing (the AFD poll,
 * GetQueuedCompletionStatusEx, recv, send). Measured 2026-12-07, Wine 8: select 3.19, port 4.52,
 * guest select 3.57, guest port 5.24. The bounds leave room for the client's timing (a wait that
 * times out on a loaded machine, a try that finds the answer); the helper thread's calls are its
 * own, not counted here.
 */
const BOUNDS: Record<string, number> = {
  select: 3.5,
  port: 5,
  'guest select': 5,
  'guest port': 6,
};

test.each(COUNT_MODES)('one connection, 200 echo round trips in $name: native calls per round trip stay within the bound', async ({ name, mode }) => {
  const counts = await countEchoCalls(mode, 200);
  expect(counts.byFunction.send).toBe(1); // one send per round trip: the counting itself is right
  expect(counts.byFunction.recv).toBeGreaterThanOrEqual(1);
  expect(counts.callsPerRoundTrip, JSON.stringify(counts.byFunction)).toBeLessThanOrEqual(BOUNDS[name]!);
});

test('timing native calls (bench/round-trip.ts): off, no time is kept; on, a call adds its time to its function', () => {
  const event = WinEvent.create({ manualReset: true, signaled: false });
  try {
    const before = nativeCallTimes().WaitForSingleObject ?? 0;
    expect(kernel32.WaitForSingleObject(event.handle, 20)).toBe(kernel32.WAIT_TIMEOUT);
    expect(nativeCallTimes().WaitForSingleObject ?? 0).toBe(before);
    setNativeCallTiming(true);
    try {
      expect(kernel32.WaitForSingleObject(event.handle, 20)).toBe(kernel32.WAIT_TIMEOUT);
    } finally {
      setNativeCallTiming(false);
    }
    // A 20 ms wait that timed out took at least about that long (timer granularity aside).
    expect((nativeCallTimes().WaitForSingleObject ?? 0) - before).toBeGreaterThanOrEqual(10);
  } finally {
    event.close();
  }
});
