// lib/'s folders are layers and imports only go down (issue #27): the order is written once, in
// LAYERS of scripts/layers.mjs; this reads the real import graph and fails on an upward or
// sideways import, or on files that import each other in a circle — and on a docs/design.md
// whose layer diagram is not what `npm run layers` makes of the code now. Pure TypeScript, no
// Windows call; it runs in the suite like every other file.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { checkResourcesReleased } from '../helpers/resources.ts';
import { BEGIN, DESIGN_PATH, END, LAYERS, fileCycles, importGraph, layerProblems, renderDiagram, withDiagram } from '../../scripts/layers.mjs';

checkResourcesReleased();

/** A graph from `file: [imports]` pairs (paths relative to lib/). */
const graphOf = (edges: Record<string, string[]>): Map<string, string[]> => new Map(Object.entries(edges));

describe('lib/ is layered', () => {
  test('the graph is lib/ as it is: every folder, the worker entry files, index.ts', () => {
    const graph = importGraph();
    expect(graph.size).toBeGreaterThan(80);
    for (const file of ['index.ts', 'scheduler/reactor.ts', 'iocp-worker/worker/entry.ts', 'core/errors.ts', 'win32/kernel32.ts']) {
      expect(graph.has(file), file).toBe(true);
    }
    expect(graph.get('scheduler/reactor.ts')).toContain('loop/fair-share.ts');
  });

  test('no upward or sideways import, no cycle, every file in a layer', () => {
    expect(layerProblems(importGraph())).toEqual([]);
  });

  test('docs/design.md draws the layers as the imports are now (npm run layers)', () => {
    const doc = readFileSync(DESIGN_PATH, 'utf8').replaceAll('\r\n', '\n');
    expect(doc).toBe(withDiagram(doc, renderDiagram(importGraph())));
  });

  test('each unit is in one row only', () => {
    const units = LAYERS.flatMap((row) => Object.keys(row));
    expect(new Set(units).size).toBe(units.length);
  });
});

describe('the check finds what it is for (synthetic graphs)', () => {
  test('an upward import: a wake that imports the completion family (the cycle issue #27 found)', () => {
    const problems = layerProblems(graphOf({
      'wakeup/wake.ts': ['iocp-worker/protocol.ts'],
      'iocp-worker/protocol.ts': ['wakeup/protocol.ts'],
      'wakeup/protocol.ts': [],
    }));
    expect(problems).toEqual(['lib/wakeup/wake.ts imports lib/iocp-worker/protocol.ts: upward (wakeup → iocp-worker)']);
  });

  test('win32/ importing from above it', () => {
    expect(layerProblems(graphOf({ 'win32/winsock.ts': ['loop/readiness.ts'], 'loop/readiness.ts': [] }))).toEqual([
      'lib/win32/winsock.ts imports lib/loop/readiness.ts: upward (win32 → loop)',
    ]);
  });

  test('a sideways import between two units of one row', () => {
    expect(layerProblems(graphOf({ 'afd/afd-backend.ts': ['guest/guest-loop.ts'], 'guest/guest-loop.ts': [] }))).toEqual([
      'lib/afd/afd-backend.ts imports lib/guest/guest-loop.ts: sideways, to a unit of its own row (afd → guest)',
    ]);
  });

  test('a cycle inside one folder', () => {
    const graph = graphOf({
      'scheduler/a.ts': ['scheduler/b.ts'],
      'scheduler/b.ts': ['scheduler/c.ts', 'core/errors.ts'],
      'scheduler/c.ts': ['scheduler/a.ts'],
      'core/errors.ts': [],
    });
    expect(fileCycles(graph)).toEqual([['scheduler/a.ts', 'scheduler/b.ts', 'scheduler/c.ts']]);
    expect(layerProblems(graph)).toEqual(['a cycle among lib/scheduler/a.ts, lib/scheduler/b.ts, lib/scheduler/c.ts']);
  });

  test('a folder in no layer', () => {
    expect(layerProblems(graphOf({ 'misc/thing.ts': [] }))).toEqual([
      'lib/misc/thing.ts: misc is in no layer (add it to LAYERS in scripts/layers.mjs)',
    ]);
  });

  test('downward imports and imports within a folder pass', () => {
    expect(layerProblems(graphOf({
      'index.ts': ['scheduler/reactor.ts', 'core/errors.ts'],
      'scheduler/reactor.ts': ['scheduler/timer-heap.ts', 'iocp-worker/completion-port.ts'],
      'scheduler/timer-heap.ts': [],
      'iocp-worker/completion-port.ts': ['iocp-worker/worker/completion-worker.ts', 'wakeup/protocol.ts'],
      'iocp-worker/worker/completion-worker.ts': ['threads/worker-thread.ts'],
      'threads/worker-thread.ts': ['win32/kernel32.ts'],
      'win32/kernel32.ts': ['core/errors.ts'],
      'wakeup/protocol.ts': [],
      'core/errors.ts': [],
    }))).toEqual([]);
  });

  test('a stale diagram differs from the generated one', () => {
    const graph = importGraph();
    const doc = withDiagram(`before\n${BEGIN}\n${END}\nafter\n`, 'lib/old/  hand-drawn');
    expect(doc).toContain('lib/old/  hand-drawn');
    expect(withDiagram(doc, renderDiagram(graph))).not.toBe(doc);
    expect(withDiagram(doc, renderDiagram(graph))).toContain('lib/core/');
  });
});
