// lib/'s layers: the order written once (LAYERS), the real import graph read from the sources,
// the check that every import goes down and no files import each other in a circle, and the
// layer diagram of docs/design.md, generated from that graph between its two markers.
//
//   npm run layers            rewrite the diagram in docs/design.md from the code as it is now
//   npm run layers -- --check fail (exit 1) on an upward import, a cycle, or a stale diagram
//
// test/validation/layers.test.ts runs the same check in the suite. Plain JavaScript with no
// dependency, so it runs on any Node (the Linux one too): it only reads files.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const LIB_DIR = path.join(ROOT, 'lib');
export const DESIGN_PATH = path.join(ROOT, 'docs', 'design.md');

/**
 * The layers, top first. A unit is a folder of lib/ (its sub-folders included) or a file at lib/'s
 * root. A file may import its own unit and any unit of a row below its own; units of one row do
 * not import each other. Each unit's line in the diagram says what it holds.
 */
export const LAYERS = [
  { 'index.ts': 'the public API' },
  { objects: 'WinEvent, ChildProcess (its stdio pipes, argv quoting, program search, STARTUPINFOEX), JobObject, console input' },
  {
    io: 'File, NamedPipeServer, NamedPipe, DirectoryWatcher: overlapped handles on the reactor',
    net: 'TcpListener, TcpStream, UdpSocket, WinmuxSocket (toNodeDuplex), lookupHost, connectNode',
  },
  { scheduler: 'Reactor (the loop: phases, timers, the two loop modes), how its parts are made, SocketWaits, TimerHeap' },
  {
    afd: 'AfdBackend + PollGroups: readiness from \\Device\\Afd polls on the completion port',
    guest: 'GuestLoop (guest mode: the loop inside Node\'s) and its helper thread',
  },
  {
    select: 'SelectBackend: readiness from select; select\'s guest wait',
    wsapoll: 'WsaPollBackend + PollSet: readiness from WSAPoll',
    'iocp-worker': 'CompletionPort (operations, key table, handle registry, key monitors), CompletionRing, PortDequeue, the port\'s guest wait; worker/: the IOCP worker thread (select mode)',
    waits: 'WaitPool (the object-wait part) and its waiter threads',
  },
  { wakeup: 'WakeupSocket, PortWakeup, channels, RemoteWaker, the wake protocol' },
  { loop: 'contracts of the loop\'s parts: LoopPart, ReadinessBackend, GuestWait, the fairness rule, the reserved completion keys' },
  { threads: 'startWorkerThread: start, exit hook, liveness and join of every worker thread' },
  { win32: 'koffi declarations (the only koffi import), structs, fd_set (SelectSet) and timeval, checked Winsock calls, AFD, diagnostics' },
  { core: 'pure TypeScript: error classes and the Windows error table, argument checks, durations, abort, u64, buffers' },
];

/** The row of each unit: 0 is the bottom. */
const RANK = new Map(LAYERS.flatMap((row, i) => Object.keys(row).map((unit) => [unit, LAYERS.length - 1 - i])));

/** The unit of a file given relative to lib/ with '/' separators: its first folder, or itself at the root. */
export function unitOf(file) {
  const slash = file.indexOf('/');
  return slash === -1 ? file : file.slice(0, slash);
}

/** Every .ts file under `dir`, relative to it, with '/' separators, sorted. */
function tsFiles(dir, prefix = '') {
  return fs
    .readdirSync(path.join(dir, prefix), { withFileTypes: true })
    .flatMap((entry) => {
      const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory()) return tsFiles(dir, rel);
      return entry.name.endsWith('.ts') ? [rel] : [];
    })
    .sort();
}

/** The source without its comments (block comments, and line comments that start a line). */
function withoutComments(source) {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

/** Relative specifiers of `import … from`, `export … from`, `import '…'` and `import('…')`. */
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]+)\1/g;

/**
 * lib/'s import graph: each file (relative to lib/) and the lib files it imports, type-only
 * imports included (a layer must not even know the types of one above it).
 */
export function importGraph(libDir = LIB_DIR) {
  const graph = new Map();
  for (const file of tsFiles(libDir)) {
    const source = withoutComments(fs.readFileSync(path.join(libDir, file), 'utf8'));
    const targets = new Set();
    for (const match of source.matchAll(SPECIFIER)) {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), match[2]));
      if (!target.startsWith('../')) targets.add(target);
    }
    graph.set(file, [...targets].sort());
  }
  return graph;
}

/** The cycles among files: each strongly connected component of more than one file, or a file importing itself. */
export function fileCycles(graph) {
  // Tarjan's algorithm, iterative so a deep graph cannot overflow the stack.
  const index = new Map();
  const low = new Map();
  const onStack = new Set();
  const stack = [];
  const cycles = [];
  let next = 0;
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    const work = [[start, 0]];
    index.set(start, next);
    low.set(start, next++);
    stack.push(start);
    onStack.add(start);
    // ends: each file is pushed once (index is set before it is pushed), each edge looked at once
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const [file, edge] = frame;
      const targets = graph.get(file) ?? [];
      if (edge < targets.length) {
        frame[1]++;
        const target = targets[edge];
        if (!graph.has(target)) continue;
        if (!index.has(target)) {
          index.set(target, next);
          low.set(target, next++);
          stack.push(target);
          onStack.add(target);
          work.push([target, 0]);
        } else if (onStack.has(target)) {
          low.set(file, Math.min(low.get(file), index.get(target)));
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1][0];
        low.set(parent, Math.min(low.get(parent), low.get(file)));
      }
      if (low.get(file) !== index.get(file)) continue;
      const component = [];
      let member;
      do {
        member = stack.pop();
        onStack.delete(member);
        component.push(member);
      } while (member !== file);
      if (component.length > 1 || targets.includes(file)) cycles.push(component.sort());
    }
  }
  return cycles;
}

/**
 * What breaks the layering: a file in no layer, an import of a unit in the same row or above, a
 * cycle among files. Empty when lib/ is layered as LAYERS says.
 */
export function layerProblems(graph) {
  const problems = [];
  for (const [file, targets] of graph) {
    const unit = unitOf(file);
    if (!RANK.has(unit)) {
      problems.push(`lib/${file}: ${unit} is in no layer (add it to LAYERS in scripts/layers.mjs)`);
      continue;
    }
    for (const target of targets) {
      const to = unitOf(target);
      if (to === unit || !RANK.has(to)) continue;
      if (RANK.get(to) >= RANK.get(unit)) {
        const how = RANK.get(to) === RANK.get(unit) ? 'sideways, to a unit of its own row' : 'upward';
        problems.push(`lib/${file} imports lib/${target}: ${how} (${unit} → ${to})`);
      }
    }
  }
  for (const cycle of fileCycles(graph)) problems.push(`a cycle among ${cycle.map((f) => `lib/${f}`).join(', ')}`);
  return problems;
}

/** The unit-level edges: each unit and the other units it imports, sorted from the nearest row down. */
function unitEdges(graph) {
  const edges = new Map();
  for (const [file, targets] of graph) {
    const unit = unitOf(file);
    if (!edges.has(unit)) edges.set(unit, new Set());
    for (const target of targets) if (unitOf(target) !== unit) edges.get(unit).add(unitOf(target));
  }
  const byRank = (a, b) => (RANK.get(b) ?? -1) - (RANK.get(a) ?? -1) || a.localeCompare(b);
  return new Map([...edges].map(([unit, to]) => [unit, [...to].sort(byRank)]));
}

const label = (unit) => (unit.endsWith('.ts') ? `lib/${unit}` : `lib/${unit}/`);

/** The diagram: every row top first, each unit with what it holds and the units it imports. */
export function renderDiagram(graph) {
  const edges = unitEdges(graph);
  const lines = [];
  for (const row of LAYERS) {
    for (const [unit, holds] of Object.entries(row)) {
      const files = [...graph.keys()].filter((f) => unitOf(f) === unit).length;
      lines.push(`${label(unit).padEnd(18)} ${holds} (${files} file${files === 1 ? '' : 's'})`);
      const imports = edges.get(unit) ?? [];
      lines.push(`${''.padEnd(18)}   imports: ${imports.length === 0 ? 'nothing of lib/' : imports.join(', ')}`);
    }
    lines.push('');
  }
  lines.pop();
  return lines.join('\n');
}

export const BEGIN = '<!-- layers: generated by scripts/layers.mjs from lib/\'s imports (npm run layers); edit LAYERS there, not here -->';
export const END = '<!-- layers: end -->';

/** `doc` with the text between the markers replaced by the diagram in a code block. */
export function withDiagram(doc, diagram) {
  const begin = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  if (begin === -1 || end < begin) throw new Error(`layers: ${DESIGN_PATH} has no ${BEGIN} … ${END} markers`);
  return `${doc.slice(0, begin + BEGIN.length)}\n\`\`\`\n${diagram}\n\`\`\`\n${doc.slice(end)}`;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const graph = importGraph();
  const problems = layerProblems(graph);
  for (const problem of problems) console.error(`layers: ${problem}`);
  const doc = fs.readFileSync(DESIGN_PATH, 'utf8');
  const updated = withDiagram(doc, renderDiagram(graph));
  if (process.argv.includes('--check')) {
    if (updated !== doc) console.error('layers: the diagram in docs/design.md is stale: run npm run layers');
    process.exitCode = problems.length > 0 || updated !== doc ? 1 : 0;
  } else {
    if (updated !== doc) fs.writeFileSync(DESIGN_PATH, updated);
    console.log(`layers: ${graph.size} files, ${problems.length} problem(s); docs/design.md ${updated === doc ? 'unchanged' : 'updated'}`);
    process.exitCode = problems.length > 0 ? 1 : 0;
  }
}
