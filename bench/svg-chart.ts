// Hand-written SVG charts for bench/report.ts: a line chart (linear or log axes) and a grouped bar
// chart (linear or log value axis, an optional whisker per bar). No dependency, no script in the
// output: plain SVG 1.1 that browsers, GitHub and rsvg-convert render alike.

export interface Series {
  name: string;
  /** [x, y] points; a y that is not a positive finite number (log axes) or not finite is left out. */
  points: [number, number][];
}

export interface LineChartSpec {
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  xLog?: boolean;
  yLog?: boolean;
  series: Series[];
}

export interface Bar {
  /** The bar's height; NaN draws nothing (and says "–"). */
  value: number;
  /** A thin line from the bar's top to this value (a p99 over a p50, say); undefined: none. */
  whisker?: number;
}

export interface BarChartSpec {
  title: string;
  subtitle?: string;
  yLabel: string;
  yLog?: boolean;
  /** One group per category (a connection count), one bar per series in each. */
  groups: string[];
  series: { name: string; bars: Bar[] }[];
  /** A horizontal reference line (e.g. 1.0 for a ratio), with its label. */
  reference?: { value: number; label: string };
  /** What a whisker means, for the legend. */
  whiskerLabel?: string;
}

/** Colour-blind-safe palette (Okabe–Ito), in series order. */
const COLOURS = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#000000', '#F0E442', '#999999'];
const WIDTH = 760;
const HEIGHT = 440;
const MARGIN = { left: 78, right: 200, top: 94, bottom: 58 };
const FONT = 'font-family="Helvetica, Arial, sans-serif"';

const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fixed = (x: number): string => (Math.round(x * 10) / 10).toString();

/** A number as a tick label: 1.5k, 20, 0.25. */
function tickLabel(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${+(value / 1e6).toPrecision(3)}M`;
  if (abs >= 1e4) return `${+(value / 1e3).toPrecision(3)}k`;
  if (abs >= 1) return `${+value.toPrecision(4)}`;
  return `${+value.toPrecision(2)}`;
}

interface Axis {
  /** Maps a value to a pixel offset along the axis (0 at the start). */
  scale(value: number): number;
  ticks: number[];
}

function logAxis(min: number, max: number, length: number): Axis {
  const lo = Math.floor(Math.log10(min));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(max)));
  const ticks: number[] = [];
  const decades = hi - lo;
  for (let e = lo; e <= hi; e++) {
    for (const m of decades <= 3 ? [1, 2, 5] : [1]) {
      const t = m * 10 ** e;
      if (t >= 10 ** lo && t <= 10 ** hi) ticks.push(t);
    }
  }
  return { scale: (v) => ((Math.log10(v) - lo) / (hi - lo)) * length, ticks };
}

function linearAxis(min: number, max: number, length: number): Axis {
  const lo = Math.min(0, min);
  const span = max - lo || 1;
  const rough = span / 6;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= rough)!;
  const hi = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step / 1e6; t += step) ticks.push(+t.toPrecision(12));
  return { scale: (v) => ((v - lo) / (hi - lo)) * length, ticks };
}

function frame(title: string, subtitle: string | undefined, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${MARGIN.left}" y="26" ${FONT} font-size="17" font-weight="bold" fill="#222">${escape(title)}</text>`,
    // The subtitle's parts (split at ' — ') on lines of their own: what is drawn, then the run.
    ...(subtitle ?? '').split(' — ').filter((line) => line !== '').slice(0, 3)
      .map((line, i) => `<text x="${MARGIN.left}" y="${46 + i * 16}" ${FONT} font-size="12" fill="#555">${escape(line)}</text>`),
    ...body,
    '</svg>',
    '',
  ].filter((line) => line !== '').join('\n');
}

/** Gridlines, tick labels and the axis title of a value (y) axis. */
function yAxis(axis: Axis, label: string, plotHeight: number): string[] {
  const out: string[] = [];
  for (const t of axis.ticks) {
    const y = MARGIN.top + plotHeight - axis.scale(t);
    out.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${fixed(y)}" y2="${fixed(y)}" stroke="#e3e3e3"/>`);
    out.push(`<text x="${MARGIN.left - 6}" y="${fixed(y + 4)}" ${FONT} font-size="11" fill="#444" text-anchor="end">${tickLabel(t)}</text>`);
  }
  const cy = MARGIN.top + plotHeight / 2;
  out.push(`<text x="18" y="${fixed(cy)}" ${FONT} font-size="12" fill="#222" text-anchor="middle" transform="rotate(-90 18 ${fixed(cy)})">${escape(label)}</text>`);
  return out;
}

function legend(entries: { name: string; colour: string; kind: 'line' | 'box' }[], extra?: string): string[] {
  const out: string[] = [];
  const x = WIDTH - MARGIN.right + 16;
  entries.forEach((entry, i) => {
    const y = MARGIN.top + 8 + i * 20;
    out.push(entry.kind === 'line'
      ? `<line x1="${x}" x2="${x + 22}" y1="${y}" y2="${y}" stroke="${entry.colour}" stroke-width="2.5"/><circle cx="${x + 11}" cy="${y}" r="3.5" fill="${entry.colour}"/>`
      : `<rect x="${x + 4}" y="${y - 6}" width="14" height="12" fill="${entry.colour}"/>`);
    out.push(`<text x="${x + 30}" y="${y + 4}" ${FONT} font-size="12" fill="#222">${escape(entry.name)}</text>`);
  });
  if (extra !== undefined) {
    const y = MARGIN.top + 8 + entries.length * 20 + 6;
    out.push(`<line x1="${x + 11}" x2="${x + 11}" y1="${y - 7}" y2="${y + 7}" stroke="#333" stroke-width="1.5"/><line x1="${x + 6}" x2="${x + 16}" y1="${y - 7}" y2="${y - 7}" stroke="#333" stroke-width="1.5"/>`);
    out.push(`<text x="${x + 30}" y="${y + 4}" ${FONT} font-size="12" fill="#222">${escape(extra)}</text>`);
  }
  return out;
}

const usable = (v: number, log: boolean | undefined): boolean => Number.isFinite(v) && (!log || v > 0);

export function lineChart(spec: LineChartSpec): string {
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const points = spec.series.flatMap((s) => s.points).filter(([x, y]) => usable(x, spec.xLog) && usable(y, spec.yLog));
  if (points.length === 0) return frame(spec.title, 'no data', []);
  const xs = points.map(([x]) => x);
  const ys = points.map(([, y]) => y);
  const xAxis = spec.xLog ? logAxis(Math.min(...xs), Math.max(...xs), plotWidth) : linearAxis(Math.min(...xs), Math.max(...xs), plotWidth);
  const yAx = spec.yLog ? logAxis(Math.min(...ys), Math.max(...ys), plotHeight) : linearAxis(0, Math.max(...ys), plotHeight);
  const body = yAxis(yAx, spec.yLabel, plotHeight);
  for (const t of xAxis.ticks) {
    const x = MARGIN.left + xAxis.scale(t);
    body.push(`<line x1="${fixed(x)}" x2="${fixed(x)}" y1="${MARGIN.top}" y2="${MARGIN.top + plotHeight}" stroke="#eeeeee"/>`);
    body.push(`<text x="${fixed(x)}" y="${MARGIN.top + plotHeight + 18}" ${FONT} font-size="11" fill="#444" text-anchor="middle">${tickLabel(t)}</text>`);
  }
  body.push(`<text x="${MARGIN.left + plotWidth / 2}" y="${HEIGHT - 14}" ${FONT} font-size="12" fill="#222" text-anchor="middle">${escape(spec.xLabel)}</text>`);
  body.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#999"/>`);
  spec.series.forEach((series, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    const drawn = series.points.filter(([x, y]) => usable(x, spec.xLog) && usable(y, spec.yLog))
      .map(([x, y]) => [MARGIN.left + xAxis.scale(x), MARGIN.top + plotHeight - yAx.scale(y)] as const);
    if (drawn.length > 1) body.push(`<polyline fill="none" stroke="${colour}" stroke-width="2.5" points="${drawn.map(([x, y]) => `${fixed(x)},${fixed(y)}`).join(' ')}"/>`);
    for (const [x, y] of drawn) body.push(`<circle cx="${fixed(x)}" cy="${fixed(y)}" r="3.5" fill="${colour}"/>`);
  });
  body.push(...legend(spec.series.map((s, i) => ({ name: s.name, colour: COLOURS[i % COLOURS.length]!, kind: 'line' as const }))));
  return frame(spec.title, spec.subtitle, body);
}

export function barChart(spec: BarChartSpec): string {
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const values = spec.series.flatMap((s) => s.bars.flatMap((b) => [b.value, b.whisker ?? NaN])).filter((v) => usable(v, spec.yLog));
  if (spec.reference !== undefined) values.push(spec.reference.value);
  if (values.length === 0) return frame(spec.title, 'no data', []);
  // Linear: a little headroom over the tallest bar (or the reference line), for its label.
  const axis = spec.yLog ? logAxis(Math.min(...values), Math.max(...values), plotHeight) : linearAxis(0, Math.max(...values) * 1.08, plotHeight);
  const base = spec.yLog ? axis.ticks[0]! : 0;
  const body = yAxis(axis, spec.yLabel, plotHeight);
  const groupWidth = plotWidth / spec.groups.length;
  const barWidth = (groupWidth * 0.8) / spec.series.length;
  spec.groups.forEach((group, g) => {
    const x0 = MARGIN.left + g * groupWidth + groupWidth * 0.1;
    body.push(`<text x="${fixed(MARGIN.left + (g + 0.5) * groupWidth)}" y="${MARGIN.top + plotHeight + 18}" ${FONT} font-size="12" fill="#222" text-anchor="middle">${escape(group)}</text>`);
    spec.series.forEach((series, i) => {
      const bar = series.bars[g];
      const x = x0 + i * barWidth;
      if (bar !== undefined && bar.value === 0 && !spec.yLog) {
        // A bar of height 0 is a measured 0 (no round trip at all), not a missing one: say so.
        body.push(`<text x="${fixed(x + barWidth / 2)}" y="${MARGIN.top + plotHeight - 4}" ${FONT} font-size="10" fill="${COLOURS[i % COLOURS.length]}" text-anchor="middle">0</text>`);
        return;
      }
      if (bar === undefined || !usable(bar.value, spec.yLog)) return;
      const top = MARGIN.top + plotHeight - axis.scale(bar.value);
      const bottom = MARGIN.top + plotHeight - axis.scale(base);
      body.push(`<rect x="${fixed(x + 1)}" y="${fixed(top)}" width="${fixed(Math.max(1, barWidth - 2))}" height="${fixed(Math.max(0, bottom - top))}" fill="${COLOURS[i % COLOURS.length]}"/>`);
      if (bar.whisker !== undefined && usable(bar.whisker, spec.yLog)) {
        const cx = x + barWidth / 2;
        const wy = MARGIN.top + plotHeight - axis.scale(bar.whisker);
        body.push(`<line x1="${fixed(cx)}" x2="${fixed(cx)}" y1="${fixed(top)}" y2="${fixed(wy)}" stroke="#333" stroke-width="1.5"/>`);
        body.push(`<line x1="${fixed(cx - barWidth / 4)}" x2="${fixed(cx + barWidth / 4)}" y1="${fixed(wy)}" y2="${fixed(wy)}" stroke="#333" stroke-width="1.5"/>`);
      }
    });
  });
  if (spec.reference !== undefined) {
    const y = MARGIN.top + plotHeight - axis.scale(spec.reference.value);
    body.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${fixed(y)}" y2="${fixed(y)}" stroke="#444" stroke-dasharray="5,4"/>`);
    body.push(`<text x="${WIDTH - MARGIN.right - 4}" y="${fixed(y - 5)}" ${FONT} font-size="11" fill="#444" text-anchor="end">${escape(spec.reference.label)}</text>`);
  }
  body.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#999"/>`);
  body.push(...legend(spec.series.map((s, i) => ({ name: s.name, colour: COLOURS[i % COLOURS.length]!, kind: 'box' as const })), spec.whiskerLabel));
  return frame(spec.title, spec.subtitle, body);
}
