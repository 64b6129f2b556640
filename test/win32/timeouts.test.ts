// The one rule for turning the loop's wait (ms, a float or Infinity) into each blocking call's
// timeout: select's timeval, GetQueuedCompletionStatusEx's and WaitFor*'s DWORD, WSAPoll's int.
import { expect, test } from 'vitest';
import { MAX_WAIT_MS, dwordTimeout, pollTimeout, wholeMs } from '../../lib/win32/timeouts.ts';
import { Timeval } from '../../lib/win32/timeval.ts';
import { INFINITE } from '../../lib/win32/kernel32.ts';
import { checkResourcesReleased } from '../helpers/resources.ts';

checkResourcesReleased();

test('Infinity blocks; a fraction rounds up (no spinning on a sub-millisecond wait); negative is 0; more than a day is a day', () => {
  expect([dwordTimeout(Infinity), pollTimeout(Infinity), new Timeval().of(Infinity)]).toEqual([INFINITE, -1, null]);
  for (const [ms, whole] of [[0, 0], [0.2, 1], [1, 1], [1.0001, 2], [-5, 0], [-0.5, 0], [1e12, MAX_WAIT_MS], [2 ** 32, MAX_WAIT_MS]] as const) {
    expect([wholeMs(ms), dwordTimeout(ms), pollTimeout(ms)], `${ms} ms`).toEqual([whole, whole, whole]);
    const timeval = new Timeval().of(ms)!;
    expect(timeval[0]! * 1000 + timeval[1]! / 1000, `${ms} ms as a timeval`).toBe(whole);
  }
  // The longest wait fits every call's type: below INFINITE for a DWORD, an INT for WSAPoll.
  expect(MAX_WAIT_MS).toBeLessThan(0x7fff_ffff);
});
