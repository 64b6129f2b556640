import { describe, expect, test } from 'vitest';
import { TimerHeap, type Timer } from '../../lib/scheduler/timer-heap.ts';
import { checkResourcesReleased } from '../helpers/resources.ts';

checkResourcesReleased();

function timer(deadline: number, log: number[], tag = deadline): Timer {
  return { deadline, fire: () => log.push(tag), fail: () => {} };
}

function fireAll(heap: TimerHeap, now: number): void {
  for (let t = heap.popExpired(now); t !== undefined; t = heap.popExpired(now)) t.fire();
}

describe('TimerHeap', () => {
  test('fires in deadline order, ties in insertion order, only when due', () => {
    const heap = new TimerHeap();
    const log: number[] = [];
    heap.insert(timer(30, log));
    heap.insert(timer(10, log, 1));
    heap.insert(timer(20, log));
    heap.insert(timer(10, log, 2));
    expect(heap.nextDeadline()).toBe(10);
    fireAll(heap, 15);
    expect(log).toEqual([1, 2]);
    fireAll(heap, 100);
    expect(log).toEqual([1, 2, 20, 30]);
    expect(heap.size).toBe(0);
    expect(heap.nextDeadline()).toBe(Infinity);
  });

  test('remove works anywhere in the heap and only once', () => {
    const heap = new TimerHeap();
    const log: number[] = [];
    const timers = [50, 40, 30, 20, 10, 60, 70].map((d) => heap.insert(timer(d, log)));
    expect(heap.remove(timers[2]!)).toBe(true);
    expect(heap.remove(timers[2]!)).toBe(false);
    expect(heap.remove(timers[4]!)).toBe(true);
    fireAll(heap, 1000);
    expect(log).toEqual([20, 40, 50, 60, 70]);
    expect(heap.remove(timers[0]!)).toBe(false);
  });

  test('random inserts and removals keep heap order', () => {
    const heap = new TimerHeap();
    const log: number[] = [];
    const live = new Map<Timer, number>();
    let seed = 7;
    const random = (): number => (seed = (seed * 48271) % 2147483647) / 2147483647;
    for (let i = 0; i < 2000; i++) {
      const t = heap.insert(timer(Math.floor(random() * 1000), log));
      live.set(t, t.deadline);
      if (random() < 0.3) {
        const victim = [...live.keys()][Math.floor(random() * live.size)]!;
        heap.remove(victim);
        live.delete(victim);
      }
    }
    fireAll(heap, Infinity);
    expect(log).toEqual([...live.values()].sort((a, b) => a - b));
  });

  test('drain empties the heap and returns every timer', () => {
    const heap = new TimerHeap();
    const log: number[] = [];
    const a = heap.insert(timer(1, log));
    heap.insert(timer(2, log));
    expect(heap.drain()).toHaveLength(2);
    expect(heap.size).toBe(0);
    expect(heap.remove(a)).toBe(false);
  });
});
