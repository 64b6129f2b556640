// DirectoryWatcher under Wine/Windows: ReadDirectoryChangesW on the reactor's completion port —
// the four kinds of change, recursive or not, filters, overflow as 'rescan', abort, close, and a
// watcher handed to another reactor (emulated mode where the OS cannot move the handle).
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ClosedResourceError, DirectoryWatcher, Reactor, WinError, processHandleCount, replaceCompletionSupported, wineVersion,
  type DirectoryChange,
} from '../../lib/index.ts';
import { parseNotifications } from '../../lib/io/directory-changes.ts';
import { checkResourcesReleased } from '../helpers/resources.ts';
import { LOOP_MODES } from '../helpers/modes.ts';
import { handleCountBackTo, loopUntil, settled } from '../helpers/loop.ts';
import { allowLeft } from '../helpers/loop-empty.ts';

checkResourcesReleased();

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'winmux-watch-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let dirCounter = 0;
/** A fresh, empty directory for one test. */
const freshDir = (): string => fs.mkdtempSync(path.join(root, `t${++dirCounter}-`));

/**
 * The process's handle count once `reactor` has started what it keeps for its life (the IOCP
 * worker thread starts with the first handle bound): a watcher opened and closed first.
 */
async function handlesAfterWarmUp(reactor: Reactor, dir: string): Promise<number> {
  await DirectoryWatcher.open(reactor, dir).close();
  return settled(reactor, processHandleCount);
}

/** Takes changes from `watcher` in the background, into `seen`, until it ends. */
function collect(watcher: DirectoryWatcher): { seen: DirectoryChange[]; ended: Promise<unknown> } {
  const seen: DirectoryChange[] = [];
  const ended = (async () => {
    for (;;) {
      const result = await watcher.next();
      if (result.done) return 'done';
      seen.push(result.value);
    }
  })().catch((error: unknown) => error);
  return { seen, ended };
}

const has = (seen: DirectoryChange[], action: string, name: string): boolean =>
  seen.some((change) => change.action === action && 'path' in change && change.path === name);
const indexOf = (seen: DirectoryChange[], action: string, name: string): number =>
  seen.findIndex((change) => change.action === action && 'path' in change && change.path === name);

describe.each(LOOP_MODES)('DirectoryWatcher (waiting in $name)', ({ mode }) => {
  let reactor: Reactor;
  const reactors: Reactor[] = [];
  const make = (): Reactor => {
    const r = new Reactor(mode);
    reactors.push(r);
    return r;
  };

  afterEach(async () => {
    for (const r of reactors.splice(0)) await r.close();
  });

  test('create, modify, rename and delete are seen, in order, with paths relative to the directory', async () => {
    reactor = make();
    const dir = freshDir();
    await reactor.run(async () => {
      const watcher = DirectoryWatcher.open(reactor, dir);
      const { seen } = collect(watcher);
      const file = path.join(dir, 'a.txt');
      fs.writeFileSync(file, 'one');
      fs.appendFileSync(file, 'two');
      fs.renameSync(file, path.join(dir, 'b.txt'));
      fs.unlinkSync(path.join(dir, 'b.txt'));
      expect(await loopUntil(reactor, () => has(seen, 'removed', 'b.txt'))).toBe(true);
      const order = [
        indexOf(seen, 'added', 'a.txt'), indexOf(seen, 'modified', 'a.txt'),
        indexOf(seen, 'renamedFrom', 'a.txt'), indexOf(seen, 'renamedTo', 'b.txt'), indexOf(seen, 'removed', 'b.txt'),
      ];
      expect(order.every((i) => i >= 0), JSON.stringify(seen)).toBe(true);
      expect([...order].sort((x, y) => x - y)).toEqual(order);
      expect(seen.some((change) => change.action === 'rescan')).toBe(false);
      await watcher.close();
    });
  });

  test('recursive reports entries in subdirectories; non-recursive only the directory\'s own', async () => {
    reactor = make();
    const dir = freshDir();
    await reactor.run(async () => {
      const deep = DirectoryWatcher.open(reactor, dir, { recursive: true });
      const flat = DirectoryWatcher.open(reactor, dir);
      expect([deep.recursive, flat.recursive]).toEqual([true, false]);
      const d = collect(deep);
      const f = collect(flat);
      // The subdirectory is made after the watch starts: Wine 8 watches only those (see below).
      fs.mkdirSync(path.join(dir, 'sub'));
      expect(await loopUntil(reactor, () => has(d.seen, 'added', 'sub'))).toBe(true);
      fs.writeFileSync(path.join(dir, 'sub', 'inner.txt'), 'x');
      fs.writeFileSync(path.join(dir, 'marker.txt'), 'x'); // after inner.txt: seen later by both
      expect(await loopUntil(reactor, () => has(d.seen, 'added', 'marker.txt') && has(f.seen, 'added', 'marker.txt'))).toBe(true);
      expect(indexOf(d.seen, 'added', 'sub\\inner.txt'), JSON.stringify(d.seen)).toBeGreaterThanOrEqual(0);
      expect(f.seen.some((change) => 'path' in change && change.path.includes('inner.txt')), JSON.stringify(f.seen)).toBe(false);
      expect(has(f.seen, 'added', 'sub')).toBe(true);
      await Promise.all([deep.close(), flat.close()]);
    });
  });

  test('a subdirectory that existed before a recursive watch: Windows reports it, Wine 8 does not', async () => {
    reactor = make();
    const dir = freshDir();
    fs.mkdirSync(path.join(dir, 'old'));
    await reactor.run(async () => {
      const watcher = DirectoryWatcher.open(reactor, dir, { recursive: true });
      const { seen } = collect(watcher);
      fs.writeFileSync(path.join(dir, 'old', 'inner.txt'), 'x');
      fs.writeFileSync(path.join(dir, 'marker.txt'), 'x');
      expect(await loopUntil(reactor, () => has(seen, 'added', 'marker.txt'))).toBe(true);
      // Windows (the contract): the whole subtree. Wine 8 adds a watch for a subdirectory only
      // when it sees it created, so changes in older ones are missed.
      expect(has(seen, 'added', 'old\\inner.txt')).toBe(wineVersion() === null);
      await watcher.close();
    });
  });

  test('filter: only the kinds of change asked for', async () => {
    reactor = make();
    const dir = freshDir();
    await reactor.run(async () => {
      const watcher = DirectoryWatcher.open(reactor, dir, { filter: ['dirName'] });
      const { seen } = collect(watcher);
      fs.writeFileSync(path.join(dir, 'file.txt'), 'x');
      fs.mkdirSync(path.join(dir, 'folder'));
      expect(await loopUntil(reactor, () => has(seen, 'added', 'folder'))).toBe(true);
      expect(seen.some((change) => 'path' in change && change.path === 'file.txt'), JSON.stringify(seen)).toBe(false);
      await watcher.close();
    });
  });

  test('an overflow is reported as a rescan, never dropped: a record larger than the buffer, and a burst between reads', async () => {
    reactor = make();
    const dir = freshDir();
    await reactor.run(async () => {
      // 16 bytes hold a record header and 2 UTF-16 units: a longer name cannot fit.
      const tiny = DirectoryWatcher.open(reactor, dir, { bufferSize: 16 });
      const t = collect(tiny);
      fs.writeFileSync(path.join(dir, 'a-name-longer-than-the-buffer.txt'), 'x');
      expect(await loopUntil(reactor, () => t.seen.length > 0)).toBe(true);
      expect(t.seen[0]).toEqual({ action: 'rescan' });
      await tiny.close();

      // 300 creates while the watcher's task does not take changes: the 256-byte kernel buffer
      // overflows (the records of one read are parsed and the read re-issued, but the burst is
      // made synchronously, so most of it lands while only the kernel can hold it).
      const small = DirectoryWatcher.open(reactor, dir, { bufferSize: 256 });
      for (let i = 0; i < 300; i++) fs.writeFileSync(path.join(dir, `burst-${i}.txt`), 'x');
      const s = collect(small);
      expect(await loopUntil(reactor, () => s.seen.some((change) => change.action === 'rescan'))).toBe(true);
      await small.close();
    });
  });

  test('the watcher\'s signal closes it: pending and later next() reject with the reason, the handle is closed', async () => {
    reactor = make();
    const dir = freshDir();
    let handlesBefore = 0;
    await reactor.run(async () => {
      handlesBefore = await handlesAfterWarmUp(reactor, dir);
      const controller = new AbortController();
      const watcher = DirectoryWatcher.open(reactor, dir, { signal: controller.signal });
      const pending = watcher.next();
      await reactor.sleep(5);
      const reason = new Error('stop watching');
      controller.abort(reason);
      await expect(pending).rejects.toBe(reason);
      await expect(watcher.next()).rejects.toBe(reason);
      expect(watcher.closed).toBe(true);
      await watcher.close(); // waits for the same shutdown
      expect(reactor.stats().overlappedWaiters).toBe(0);
      // Counted inside run, where the baseline was. (This count was once 76 against 75 in full
      // Wine 10 runs: the IOCP worker's first wake byte made Wine's per-thread socket event late;
      // it is made at the worker's start now, test/wakeup/waker-handles.test.ts.)
      expect(await handleCountBackTo(handlesBefore, () => reactor.sleep(10))).toBe(handlesBefore);
    });
  });

  test('a signal on one next() abandons that call only: the change comes to the next call', async () => {
    reactor = make();
    const dir = freshDir();
    await reactor.run(async () => {
      const watcher = DirectoryWatcher.open(reactor, dir);
      const controller = new AbortController();
      const first = watcher.next({ signal: controller.signal });
      const reason = new Error('not this one');
      controller.abort(reason);
      await expect(first).rejects.toBe(reason);
      await expect(watcher.next({ signal: controller.signal })).rejects.toBe(reason); // already aborted
      fs.writeFileSync(path.join(dir, 'kept.txt'), 'x');
      const next = await watcher.next();
      expect(next).toEqual({ done: false, value: { action: 'added', path: 'kept.txt' } });
      await watcher.close();
    });
  });

  test('close() cancels the pending read, ends iteration and closes the handle; break in for await closes too', async () => {
    reactor = make();
    const dir = freshDir();
    let handlesBefore = 0;
    await reactor.run(async () => {
      handlesBefore = await handlesAfterWarmUp(reactor, dir);
      const watcher = DirectoryWatcher.open(reactor, dir);
      expect(processHandleCount()).toBeGreaterThan(handlesBefore);
      const pending = watcher.next();
      await reactor.sleep(5);
      expect(reactor.stats().overlappedWaiters).toBe(1);
      const closing = watcher.close();
      expect(watcher.close()).toBe(closing); // idempotent
      await closing;
      await expect(pending).resolves.toEqual({ done: true, value: undefined });
      await expect(watcher.next()).resolves.toEqual({ done: true, value: undefined });
      expect(reactor.stats().overlappedWaiters).toBe(0);
      expect(await handleCountBackTo(handlesBefore, () => reactor.sleep(10))).toBe(handlesBefore);

      const iterated = DirectoryWatcher.open(reactor, dir);
      fs.writeFileSync(path.join(dir, 'one.txt'), 'x');
      for await (const change of iterated) {
        expect(change).toEqual({ action: 'added', path: 'one.txt' });
        break;
      }
      expect(iterated.closed).toBe(true);
      await iterated[Symbol.asyncDispose]();
      expect(reactor.stats().overlappedWaiters).toBe(0);
      expect(await handleCountBackTo(handlesBefore, () => reactor.sleep(10))).toBe(handlesBefore); // inside run, as above
    });
  });

  test('closing the reactor fails the watcher with ClosedResourceError and closes its handle', async () => {
    reactor = make();
    const dir = freshDir();
    const handlesBefore = processHandleCount();
    let pending: Promise<unknown> | undefined;
    let watcher: DirectoryWatcher | undefined;
    await reactor.run(async () => {
      watcher = DirectoryWatcher.open(reactor, dir);
      pending = watcher.next().catch((error: unknown) => error);
      await reactor.sleep(5);
    });
    allowLeft(reactor, { overlappedOperations: 1 }); // the watcher's read
    await reactor.close();
    expect(await pending).toBeInstanceOf(ClosedResourceError);
    await expect(watcher!.next()).rejects.toBeInstanceOf(ClosedResourceError);
    // The reactor's port and threads are gone too, so the count is compared with the start.
    expect(processHandleCount()).toBeLessThanOrEqual(handlesBefore);
  });

  test('a watcher handed to another reactor goes on there (emulated where the handle cannot move), changes kept', async () => {
    const a = make();
    const b = make();
    const dir = freshDir();
    let transfer: Awaited<ReturnType<DirectoryWatcher['transfer']>> | undefined;
    await a.run(async () => {
      const watcher = DirectoryWatcher.open(a, dir);
      fs.writeFileSync(path.join(dir, 'before.txt'), 'x');
      // Taken by A's read, not by a task: it travels in the transfer's queue.
      expect(await loopUntil(a, () => a.stats().completions > 0)).toBe(true);
      transfer = await watcher.transfer(b.completionTarget());
      await expect(watcher.next()).resolves.toEqual({ done: true, value: undefined });
    });
    expect(transfer!.handle.mode).toBe(replaceCompletionSupported() ? 'native' : 'emulated');
    // Made while no read is pending: the kernel keeps it for the handle.
    fs.writeFileSync(path.join(dir, 'between.txt'), 'x');
    await b.run(async () => {
      const watcher = DirectoryWatcher.adopt(b, transfer!);
      expect(watcher.mode).toBe(transfer!.handle.mode);
      const { seen } = collect(watcher);
      fs.writeFileSync(path.join(dir, 'after.txt'), 'x');
      expect(await loopUntil(b, () => has(seen, 'added', 'after.txt'))).toBe(true);
      expect(indexOf(seen, 'added', 'before.txt'), JSON.stringify(seen)).toBe(0);
      expect(has(seen, 'added', 'between.txt'), JSON.stringify(seen)).toBe(true);
      if (watcher.mode === 'emulated') expect(b.stats().emulatedOperations).toBeGreaterThan(0);
      await watcher.close();
    });
    expect(a.stats().overlappedWaiters + b.stats().overlappedWaiters).toBe(0);
  });
});

describe('DirectoryWatcher arguments and paths', () => {
  let reactor: Reactor;
  // Made in a hook, after the file's handle baseline (test/helpers/resources.ts), never at collection.
  beforeAll(() => {
    reactor = new Reactor();
  });
  afterAll(() => reactor.close());

  test('a missing path fails with ERROR_FILE_NOT_FOUND or ERROR_PATH_NOT_FOUND; a file with ERROR_DIRECTORY', () => {
    const handlesBefore = processHandleCount();
    const missing = (() => {
      try {
        DirectoryWatcher.open(reactor, path.join(root, 'no-such-dir'));
      } catch (error) {
        return error;
      }
    })();
    expect(missing).toBeInstanceOf(WinError);
    expect(['ERROR_FILE_NOT_FOUND', 'ERROR_PATH_NOT_FOUND']).toContain((missing as WinError).winCode);
    expect(() => DirectoryWatcher.open(reactor, path.join(root, 'no', 'such', 'dir'))).toThrow(/ERROR_PATH_NOT_FOUND|ERROR_FILE_NOT_FOUND/);
    const file = path.join(freshDir(), 'plain.txt');
    fs.writeFileSync(file, 'x');
    expect(() => DirectoryWatcher.open(reactor, file)).toThrow(expect.objectContaining({ name: 'WinError', winCode: 'ERROR_DIRECTORY' }));
    expect(processHandleCount()).toBe(handlesBefore); // nothing left open by the failures
  });

  test('bad arguments are TypeError or RangeError at the call, before anything is opened', () => {
    const dir = freshDir();
    const handlesBefore = processHandleCount();
    const open = (p: unknown, options?: unknown) => () => DirectoryWatcher.open(reactor, p as string, options as never);
    expect(open(5)).toThrow(TypeError);
    expect(open('')).toThrow(TypeError);
    expect(open(dir, 5)).toThrow(TypeError);
    expect(open(dir, [])).toThrow(TypeError);
    expect(open(dir, { recursive: 'yes' })).toThrow(TypeError);
    expect(open(dir, { filter: 'fileName' })).toThrow(TypeError);
    expect(open(dir, { filter: [] })).toThrow(RangeError);
    expect(open(dir, { filter: ['fileName', 'everything'] })).toThrow(RangeError);
    expect(open(dir, { bufferSize: '4096' })).toThrow(TypeError);
    expect(open(dir, { bufferSize: 4098 })).toThrow(RangeError); // not DWORD-aligned
    expect(open(dir, { bufferSize: 8 })).toThrow(RangeError);
    expect(open(dir, { bufferSize: 65540 })).toThrow(RangeError);
    expect(open(dir, { bufferSize: NaN })).toThrow(RangeError);
    expect(open(dir, { signal: 'stop' })).toThrow(TypeError);
    const reason = new Error('already');
    expect(open(dir, { signal: AbortSignal.abort(reason) })).toThrow(reason);
    expect(processHandleCount()).toBe(handlesBefore);
  });

  test("null options are the defaults, as in Node's fs.watch: a null bag or field in open, next and adopt", async () => {
    const dir = freshDir();
    const other = new Reactor();
    try {
      let transfer: Awaited<ReturnType<DirectoryWatcher['transfer']>> | undefined;
      await reactor.run(async () => {
        const bare = DirectoryWatcher.open(reactor, dir, null);
        const nulls = DirectoryWatcher.open(reactor, dir, { recursive: null, filter: null, bufferSize: null, signal: null });
        expect(nulls.recursive).toBe(false);
        fs.mkdirSync(path.join(dir, 'one')); // the default filter has dirName
        expect(await bare.next(null)).toEqual({ done: false, value: { action: 'added', path: 'one' } });
        expect(await nulls.next({ signal: null })).toEqual({ done: false, value: { action: 'added', path: 'one' } });
        await bare.close();
        transfer = await nulls.transfer(other.completionTarget());
      });
      await other.run(async () => {
        const adopted = DirectoryWatcher.adopt(other, transfer!, null);
        const { seen } = collect(adopted);
        fs.mkdirSync(path.join(dir, 'two'));
        expect(await loopUntil(other, () => has(seen, 'added', 'two')), JSON.stringify(seen)).toBe(true);
        await adopted.close();
      });
    } finally {
      await other.close();
    }
  });

  test('next() with a bad signal rejects with TypeError; transfer and adopt check their arguments', async () => {
    const dir = freshDir();
    const watcher = DirectoryWatcher.open(reactor, dir);
    await expect(watcher.next({ signal: 'x' as never })).rejects.toThrow(TypeError);
    await expect(watcher.transfer(null as never)).rejects.toThrow(TypeError);
    await expect(watcher.transfer({ port: 'x' } as never)).rejects.toThrow(TypeError);
    expect(watcher.closed).toBe(false); // a bad target leaves the watcher running
    expect(() => DirectoryWatcher.adopt(reactor, {} as never)).toThrow(TypeError);
    const fake = { handle: { handle: 12345, port: 1, mode: 'emulated' }, path: dir, recursive: false, filter: 1, bufferSize: 4096, queued: 'x' };
    expect(() => DirectoryWatcher.adopt(reactor, fake as never)).toThrow(TypeError);
    expect(() => DirectoryWatcher.adopt(reactor, { ...fake, queued: [], bufferSize: 10 } as never)).toThrow(RangeError);
    expect(reactor.stats().emulatedHandles).toBe(0); // nothing adopted by the refused calls
    await watcher.close();
    expect(await reactor.run(() => loopUntil(reactor, () => reactor.stats().overlappedWaiters === 0))).toBe(true); // the cancelled read's packet, which only the loop takes
    await expect(watcher.transfer(reactor.completionTarget())).rejects.toThrow(ClosedResourceError);
  });

  test('records are parsed as Windows aligns them and as Wine 8 packs them; unreadable ones become a rescan', () => {
    const record = (name: string, action: number, next: number): Uint8Array => {
      const bytes = new Uint8Array(12 + name.length * 2);
      const view = new DataView(bytes.buffer);
      view.setUint32(0, next, true);
      view.setUint32(4, action, true);
      view.setUint32(8, name.length * 2, true);
      for (let i = 0; i < name.length; i++) view.setUint16(12 + i * 2, name.charCodeAt(i), true);
      return bytes;
    };
    const join = (parts: [Uint8Array, number][]): Uint8Array => {
      const total = parts.reduce((n, [, size]) => n + size, 0);
      const out = new Uint8Array(total);
      let at = 0;
      for (const [part, size] of parts) {
        out.set(part, at);
        at += size;
      }
      return out;
    };
    // Windows: DWORD-aligned (a 3-letter name: 18 bytes, padded to 20).
    const aligned = join([[record('abc', 1, 20), 20], [record('é\\x', 5, 0), 18]]);
    expect(parseNotifications(aligned, aligned.length)).toEqual([{ action: 'added', path: 'abc' }, { action: 'renamedTo', path: 'é\\x' }]);
    // Wine 8: packed (next = 18).
    const packed = join([[record('abc', 2, 18), 18], [record('d', 3, 0), 14]]);
    expect(parseNotifications(packed, packed.length)).toEqual([{ action: 'removed', path: 'abc' }, { action: 'modified', path: 'd' }]);
    // An unknown action, or a name past the end: what it said is lost, so the caller must rescan.
    const unknown = record('abc', 9, 0);
    expect(parseNotifications(unknown, unknown.length)).toEqual([{ action: 'rescan' }]);
    const cut = record('abcdef', 1, 0);
    expect(parseNotifications(cut, 16)).toEqual([{ action: 'rescan' }]);
  });
});
