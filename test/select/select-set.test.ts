// SelectSet is pure memory logic: these run without any Windows call.
import { describe, expect, test } from 'vitest';
import { SelectSet } from '../../lib/win32/select-set.ts';
import { checkResourcesReleased } from '../helpers/resources.ts';

checkResourcesReleased();

/** Reads an fd_set the way select does: u32 count at 0, u64 SOCKETs from byte 8. */
function readFdSet(words: Uint32Array): number[] {
  const view = new DataView(words.buffer, words.byteOffset, words.byteLength);
  const count = view.getUint32(0, true);
  return Array.from({ length: count }, (_, i) => Number(view.getBigUint64(8 + 8 * i, true)));
}

describe('SelectSet', () => {
  test('an empty set prepares as null (select takes a null set)', () => {
    const set = new SelectSet();
    expect(set.size).toBe(0);
    expect(set.prepare()).toBeNull();
    expect(set.readyCount()).toBe(0);
  });

  test('the prepared copy is a Win64 fd_set of the interest set', () => {
    const set = new SelectSet();
    for (const s of [100, 204, 0x1_0000_0010, 12]) set.add(s);
    expect(readFdSet(set.prepare()!)).toEqual([100, 204, 0x1_0000_0010, 12]);
  });

  test('add is idempotent; remove swaps the last entry into the hole', () => {
    const set = new SelectSet();
    for (const s of [1, 2, 3, 4, 5]) expect(set.add(s)).toBe(true);
    expect(set.add(3)).toBe(false);
    expect(set.remove(2)).toBe(true);
    expect(set.remove(2)).toBe(false);
    expect([...set.sockets()]).toEqual([1, 5, 3, 4]);
    expect(set.remove(4)).toBe(true); // the last one: nothing moves
    expect([...set.sockets()]).toEqual([1, 5, 3]);
    expect(set.has(5)).toBe(true);
    expect(set.has(4)).toBe(false);
    expect(readFdSet(set.prepare()!)).toEqual([1, 5, 3]);
  });

  test('the kernel rewriting the copy leaves the interest set intact', () => {
    const set = new SelectSet();
    for (const s of [10, 20, 30]) set.add(s);
    const scratch = set.prepare()!;
    // What select does when only 30 is ready: count 1, entry 0 = 30.
    scratch[0] = 1;
    scratch[2] = 30;
    scratch[3] = 0;
    expect(set.readyCount()).toBe(1);
    expect(set.readyAt(0)).toBe(30);
    expect([...set.sockets()]).toEqual([10, 20, 30]);
    expect(readFdSet(set.prepare()!)).toEqual([10, 20, 30]);
  });

  test('grows past FD_SETSIZE and keeps every entry through random churn', () => {
    const set = new SelectSet(4);
    const model = new Set<number>();
    let seed = 12345;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let i = 0; i < 20_000; i++) {
      const s = 4 * (1 + random(3000));
      if (random(3) === 0) expect(set.remove(s)).toBe(model.delete(s));
      else expect(set.add(s)).toBe(!model.has(s) && model.add(s) !== undefined);
    }
    expect(set.size).toBe(model.size);
    expect(new Set(readFdSet(set.prepare()!))).toEqual(model);
    expect(new Set(set.sockets())).toEqual(model);
  });
});
