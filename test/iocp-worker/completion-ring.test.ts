// CompletionRing is shared-memory logic: tested here without Windows, single-threaded, by playing
// both the producer and the consumer.
import { describe, expect, test } from 'vitest';
import { CompletionRing, type Completion } from '../../lib/iocp-worker/completion-ring.ts';
import { checkResourcesReleased } from '../helpers/resources.ts';

checkResourcesReleased();

function produce(ring: CompletionRing, entries: Completion[]): number {
  let written = 0;
  while (written < entries.length) {
    const { slot, count } = ring.reserve(entries.length - written);
    if (count === 0) break;
    for (let i = 0; i < count; i++) ring.writeEntry(slot + i, entries[written + i]!);
    ring.publish(count);
    written += count;
  }
  return written;
}

const entry = (i: number): Completion => ({ key: 0x1000 + (i % 3), overlapped: 0x7ff0_0000_0000 + i * 32, status: i % 5 === 0 ? 0xc0000120 : 0, bytes: i });

describe('CompletionRing', () => {
  test('delivers entries in order across wrap-around, each once', () => {
    const ring = new CompletionRing(undefined, undefined, 8);
    const seen: Completion[] = [];
    let next = 0;
    for (let round = 0; round < 50; round++) {
      const batch = Array.from({ length: 1 + (round % 7) }, () => entry(next++));
      expect(produce(ring, batch)).toBe(batch.length);
      expect(ring.backlog()).toBe(batch.length);
      ring.drain((e) => seen.push({ ...e }));
      expect(ring.backlog()).toBe(0);
    }
    expect(seen).toEqual(Array.from({ length: next }, (_, i) => entry(i)));
  });

  test('a full ring reserves nothing (backpressure) until the consumer drains', () => {
    const ring = new CompletionRing(undefined, undefined, 4);
    expect(produce(ring, [0, 1, 2, 3, 4, 5].map(entry))).toBe(4);
    expect(ring.reserve(10).count).toBe(0);
    const seen: number[] = [];
    ring.drain((e) => seen.push(e.bytes));
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(ring.reserve(10)).toEqual({ slot: 0, count: 4 });
  });

  test('reserve never hands out more than the contiguous run up to the end of the buffer', () => {
    const ring = new CompletionRing(undefined, undefined, 8);
    produce(ring, [0, 1, 2, 3, 4, 5].map(entry));
    ring.drain(() => {});
    expect(ring.reserve(100)).toEqual({ slot: 6, count: 2 });
  });

  test('findKey finds the stop key in a batch', () => {
    const ring = new CompletionRing(undefined, undefined, 8);
    [entry(0), { ...entry(1), key: 2 }, entry(2)].forEach((e, i) => ring.writeEntry(i, e));
    expect(ring.findKey(0, 3, 2)).toBe(1);
    expect(ring.findKey(0, 3, 99)).toBe(-1);
  });
});
