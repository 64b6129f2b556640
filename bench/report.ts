// `npm run bench -- report [from=.cache/bench/results]`: draws the charts docs/benchmarks.md leads
// with, from the JSON the benchmarks left (bench/results.ts), into docs/charts/ — SVG written here
// by hand (bench/svg-chart.ts), with a copy of the data each chart was drawn from beside it, so a
// chart in the docs can always be traced to its figures. Needs the results of
//
//   npm run bench -- readiness [sizes] [seconds] 1     (iteration cost vs idle sockets)
//   npm run bench -- echo [seconds] [connections] [rounds] [servers]   (rate, spread, latency)
//
// and draws what it finds (a missing file is reported, not an error). Charts:
//   readiness-iteration.svg  one loop iteration that finds nothing, p50 ms, vs idle sockets armed,
//                            select / AFD / WSAPoll (log–log);
//   echo-rate.svg            echo round trips/s per server at each connection count (medians);
//   echo-spread.svg          the slowest connection's round trips ÷ the median connection's (1 = even);
//   echo-latency.svg         round-trip latency p50 (bar) and p99 (whisker) per server, log scale.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RESULTS_DIR, type Results } from './results.ts';
import { barChart, lineChart, type Series } from './svg-chart.ts';
import { median } from './stats.ts';

const CHARTS_DIR = fileURLToPath(new URL('../docs/charts/', import.meta.url));

interface IdleFigures {
  iterationMs: number;
  wakeMs: number;
  armMs: number;
}
interface ReadinessData {
  idle?: { sockets: number; select: IdleFigures; afd: IdleFigures; wsapoll: IdleFigures }[];
}
interface EchoRounds {
  rates: number[];
  perConnMin: number[];
  perConnMedian: number[];
  p50: number[];
  p99: number[];
}
interface EchoData {
  seconds: number;
  rounds: number;
  counts: { connections: number; servers: { key: string; name: string; rounds: EchoRounds }[] }[];
}

/** Short names for the legend, by the echo benchmark's server keys. */
const SERVER_NAMES: Record<string, string> = {
  node: 'Node net (libuv)',
  c: 'raw C select',
  floor: 'JavaScript floor (sync select)',
  select: 'winmux select',
  afd: 'winmux afd (port)',
  'afd-select': 'winmux afd (select mode)',
  wsapoll: 'winmux wsapoll',
  guest: 'winmux guest select',
  'guest-afd': 'winmux guest afd',
};

/** The median as the benchmarks print it (bench/stats.ts: of two rounds, the lower), so a chart matches its table; non-finite values left out. */
const finiteMedian = (values: number[]): number => median(values.filter((v) => Number.isFinite(v)));

function load<T>(dir: string, name: string): Results<T> | undefined {
  const file = path.join(dir, `${name}.json`);
  if (!fs.existsSync(file)) {
    console.log(`no ${file}: run \`npm run bench -- ${name}\` first; its charts are not drawn`);
    return undefined;
  }
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Results<T>;
}

const when = (r: Results): string => `${r.date.slice(0, 16).replace('T', ' ')} UTC, ${r.system}, Node ${r.node}`;

function write(name: string, svg: string): void {
  fs.writeFileSync(path.join(CHARTS_DIR, name), svg);
  console.log(`wrote docs/charts/${name}`);
}

function readinessCharts(results: Results<ReadinessData>): void {
  const idle = results.data.idle;
  if (idle === undefined || idle.length === 0) {
    console.log('readiness.json has no idle-socket section (section 1): readiness-iteration.svg not drawn');
    return;
  }
  const series: Series[] = (['select', 'afd', 'wsapoll'] as const).map((backend) => ({
    name: backend === 'afd' ? 'AFD poll' : backend === 'wsapoll' ? 'WSAPoll' : 'select',
    points: idle.map((row) => [row.sockets, row[backend].iterationMs] as [number, number]),
  }));
  write('readiness-iteration.svg', lineChart({
    title: 'Cost of one loop iteration vs idle sockets',
    subtitle: `p50 of an iteration that finds nothing (reactor.sleep(0)) — ${when(results)}`,
    xLabel: 'idle sockets armed for reading (log)',
    yLabel: 'ms per iteration (log)',
    xLog: true,
    yLog: true,
    series,
  }));
}

function echoCharts(results: Results<EchoData>): void {
  const { counts } = results.data;
  if (counts.length === 0) return;
  // Servers in the order the first count ran them; a server missing at some count draws nothing there.
  const keys = [...new Map(counts.flatMap((c) => c.servers.map((s) => [s.key, s.name] as const))).keys()];
  const groups = counts.map((c) => `${c.connections} connection${c.connections === 1 ? '' : 's'}`);
  const pick = (key: string, figure: (r: EchoRounds) => number, whisker?: (r: EchoRounds) => number) => counts.map((c) => {
    const server = c.servers.find((s) => s.key === key);
    return server === undefined ? { value: NaN } : { value: figure(server.rounds), whisker: whisker?.(server.rounds) };
  });
  const name = (key: string): string => SERVER_NAMES[key] ?? key;
  const run = `${results.data.seconds} s per server, ${results.data.rounds} rounds, medians — ${when(results)}`;
  write('echo-rate.svg', barChart({
    title: 'Echo round trips per second (64-byte ping-pong)',
    subtitle: run,
    yLabel: 'round trips/s',
    groups,
    series: keys.map((key) => ({ name: name(key), bars: pick(key, (r) => finiteMedian(r.rates)) })),
  }));
  write('echo-spread.svg', barChart({
    title: 'Fairness: slowest connection ÷ median connection',
    subtitle: `round trips per connection in the measured phase; 1 = every connection served alike — ${run}`,
    yLabel: 'slowest ÷ median connection',
    groups,
    series: keys.map((key) => ({ name: name(key), bars: pick(key, (r) => finiteMedian(r.perConnMin.map((min, k) => min / r.perConnMedian[k]!))) })),
    reference: { value: 1, label: 'even' },
  }));
  write('echo-latency.svg', barChart({
    title: 'Echo round-trip latency',
    subtitle: `p50 (bar) and p99 (whisker), µs, log scale — ${run}`,
    yLabel: 'µs (log)',
    yLog: true,
    groups,
    series: keys.map((key) => ({ name: name(key), bars: pick(key, (r) => finiteMedian(r.p50), (r) => finiteMedian(r.p99)) })),
    whiskerLabel: 'p99',
  }));
}

export async function main(args: string[]): Promise<void> {
  const from = args[0] ?? RESULTS_DIR;
  fs.mkdirSync(path.join(CHARTS_DIR, 'data'), { recursive: true });
  const readiness = load<ReadinessData>(from, 'readiness');
  const echo = load<EchoData>(from, 'echo');
  if (readiness !== undefined) readinessCharts(readiness);
  if (echo !== undefined) echoCharts(echo);
  // The data the charts were drawn from, beside them.
  for (const [name, results] of [['readiness', readiness], ['echo', echo]] as const) {
    if (results !== undefined) fs.writeFileSync(path.join(CHARTS_DIR, 'data', `${name}.json`), `${JSON.stringify(results, null, 1)}\n`);
  }
}
