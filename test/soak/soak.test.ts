// The soak, short (6 s a mode; `npm run soak -- --seconds 60` is the long one, and the fuzzer
// (test/fuzz/) mixes the families at random in every mode): a mixed load of all three
// families with random aborts, until every kind of work has been done at least once. After close, the process holds no more kernel handles or OS threads
// than before, no object-wait signal was lost, and every echo and every aborted write checked out.
import { expect, test } from 'vitest';
import { soak } from '../../bench/soak-load.ts';
import { LOOP_MODES } from '../helpers/modes.ts';

for (const { name, mode } of LOOP_MODES.filter((m) => m.name === 'select' || m.name === 'port')) {
  test(`6 s of mixed load (waiting in ${name}): no handle, thread or event lost`, async () => {
    const result = await soak({ seconds: 6, untilEveryKindSeconds: 60, reactor: mode, log: () => {} });
    expect(result.errors).toEqual([]);
    expect(result.lostEvents).toBe(0);
    expect({ deltaHandles: result.deltaHandles, deltaThreads: result.deltaThreads }).toEqual({ deltaHandles: 0, deltaThreads: 0 });
    // Every kind of work happened (a family that silently stalled would leave its count at 0).
    for (const [what, count] of Object.entries(result.counts)) {
      if (what !== 'abortedWriteBytes') expect(count, what).toBeGreaterThan(0);
    }
  }, 120_000);
}
