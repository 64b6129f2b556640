// InlineBudget: how many loop iterations run between two turns of Node's loop, and how that
// follows what a turn costs (lib/loop/inline-budget.ts). The clock is virtual: a turn "costs"
// whatever an immediate queued before the budget's own moves the clock by, so every figure is exact.
import { describe, expect, test } from 'vitest';
import {
  InlineBudget, MAX_INLINE_ITERATIONS, MAX_INLINE_ITERATIONS_CAP, MAX_INLINE_SLICE_MS,
} from '../../lib/loop/inline-budget.ts';
import { SLICE_MS } from '../../lib/loop/fair-share.ts';

/** A budget on a virtual clock, and a way to take a turn of Node's loop that costs `costMs` of it. */
function budgetOnVirtualClock(): { budget: InlineBudget; turn(costMs: number): Promise<void>; advance(ms: number): void } {
  let now = 1000;
  const budget = new InlineBudget(() => now);
  return {
    budget,
    // Queued before the budget's own immediate, so it runs first in the same turn: the time it
    // adds is between the budget asking for the turn and the turn reaching it.
    async turn(costMs) {
      setImmediate(() => (now += costMs));
      expect(await budget.next(false)).toBe(false);
    },
    advance(ms) {
      now += ms;
    },
  };
}

/** How many inline iterations `take` grants in a row right after a turn, with no time passing. */
function grantedInARow(budget: InlineBudget): number {
  let granted = 0;
  while (budget.take()) granted++;
  return granted;
}

describe('InlineBudget', () => {
  test('cheap turns of Node\'s loop: MAX_INLINE_ITERATIONS per turn, within SLICE_MS', async () => {
    const { budget, turn, advance } = budgetOnVirtualClock();
    await turn(0.01);
    expect(budget.limits).toEqual({ sliceMs: SLICE_MS, iterations: MAX_INLINE_ITERATIONS });
    expect(grantedInARow(budget)).toBe(MAX_INLINE_ITERATIONS);
    await turn(0.01);
    advance(SLICE_MS);
    expect(budget.left()).toBe(0);
    expect(budget.take(), 'no inline iteration once the slice has passed').toBe(false);
  });

  test('costly turns: the slice and the iterations grow in proportion, up to MAX_INLINE_SLICE_MS and MAX_INLINE_ITERATIONS_CAP', async () => {
    const { budget, turn } = budgetOnVirtualClock();
    // 0.125 ms a turn: a turn may cost 1/100 of the slice, so 12.5 ms, and iterations at the rate
    // of MAX_INLINE_ITERATIONS per SLICE_MS. (Binary fractions keep the virtual clock exact.)
    for (let i = 0; i < 3; i++) await turn(0.125);
    expect(budget.limits).toEqual({ sliceMs: 12.5, iterations: 25 });
    expect(grantedInARow(budget)).toBe(25);
    // 0.5 ms a turn would ask for 50 ms: capped.
    for (let i = 0; i < 3; i++) await turn(0.5);
    expect(budget.limits).toEqual({ sliceMs: 12.5, iterations: 25 }); // the cheapest of the last 16 turns still rules
    for (let i = 0; i < 16; i++) await turn(0.5);
    expect(budget.limits).toEqual({ sliceMs: MAX_INLINE_SLICE_MS, iterations: MAX_INLINE_ITERATIONS_CAP });
    expect(grantedInARow(budget)).toBe(MAX_INLINE_ITERATIONS_CAP);
    expect(budget.left()).toBe(MAX_INLINE_SLICE_MS);
  });

  test('one cheap turn brings the budget back at once: a turn\'s cost is the cheapest recent one (Node\'s own callbacks make others dearer)', async () => {
    const { budget, turn } = budgetOnVirtualClock();
    for (let i = 0; i < 16; i++) await turn(1);
    expect(budget.limits.sliceMs).toBe(MAX_INLINE_SLICE_MS);
    await turn(0);
    expect(budget.limits).toEqual({ sliceMs: SLICE_MS, iterations: MAX_INLINE_ITERATIONS });
  });

  test("in a stretched slice, an inline iteration comes only if a step like the last one still ends within it: Node then waits at most the slice, not the slice and a step", async () => {
    const { budget, turn, advance } = budgetOnVirtualClock();
    for (let i = 0; i < 3; i++) await turn(0.5);
    expect(budget.limits.sliceMs).toBe(MAX_INLINE_SLICE_MS);
    // Steps of 6 ms (an iteration and its tasks' work): the first ends at 6 ms, and a second one
    // would end at 12 ms, within the slice; a third would end at 18 ms, past it.
    advance(6);
    expect(await budget.next(true)).toBe(true);
    advance(6);
    setImmediate(() => advance(0.5)); // the turn it takes costs what the others did
    expect(await budget.next(true), 'Node turns instead of a step that would end past the slice').toBe(false);
    // Short steps run on until the slice is used: 0.5 ms each, 31 of them fit in 16 ms.
    let inline = 0;
    for (;;) {
      advance(0.5);
      if (!(await budget.next(true))) break;
      inline++;
    }
    expect(inline).toBe(31);
  });

  test('within SLICE_MS of the turn an inline iteration may come whatever the last step cost (the rule when turns are cheap)', async () => {
    const { budget, turn, advance } = budgetOnVirtualClock();
    await turn(0.01);
    advance(3);
    expect(await budget.next(true)).toBe(true);
    advance(1);
    setImmediate(() => advance(0.01));
    expect(await budget.next(true), 'SLICE_MS has passed').toBe(false);
  });

  test('a turn that was not asked for through next() (a guest loop\'s) leaves the limits alone', async () => {
    const { budget, turn, advance } = budgetOnVirtualClock();
    advance(5);
    budget.nodeTurn();
    expect(budget.limits).toEqual({ sliceMs: SLICE_MS, iterations: MAX_INLINE_ITERATIONS });
    await turn(0.2);
    expect(budget.limits.sliceMs).toBe(MAX_INLINE_SLICE_MS);
  });
});
