// Native calls per echo round trip at one connection, per loop mode: counts, not times (host mode's
// do not depend on load; the guest modes' depend on whether the client answered in time). A bound per mode fails the suite when a change adds calls to the
// one-connection path (bench/echo-calls.ts does the counting; `npm run bench -- echo-calls` prints
// the calls by function). The host-mode bounds leave a quarter of a call of slack for a wait that
// times out (maxBlockMs) while a loaded machine delays the client.
import { expect, test } from 'vitest';
import { COUNT_MODES, countEchoCalls } from '../../bench/echo-calls.ts';
import { WinEvent } from '../../lib/index.ts';
import * as kernel32 from '../../lib/win32/kernel32.ts';
import { nativeCallTimes, setNativeCallTiming } from '../../lib/win32/ffi.ts';
import { checkResourcesReleased } from '../helpers/resources.ts';

checkResourcesReleased();

/**
 * Calls on the reactor's thread per round trip. select: select, recv, send (the C select
 * server's 3). port: the AFD poll, GetQueuedCompletionStatusEx, recv, send — 4 when it waits for
 * readiness, but with AFD it tries recv an iteration after a short read first, as the guest modes
 * do (TcpStream.read: a readiness packet would wait behind any flood of completions on the port),
 * so 4–5 with this client. The guest modes try
 * recv an iteration after a short read until that finds the peer slower than an iteration, then
 * wait for readiness for 8 reads (TcpStream.read): measured 4.3 (select) and 5.0-5.3 (port) with
 * this client, and the bounds leave three quarters of a call for the peer's timing. The helper
 * thread's calls are its own, not counted here.
 */
const BOUNDS: Record<string, number> = {
  select: 3.25,
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
