/**
 * The analysis chart's uPlot data from /groups and /metrics answers. Pure, tested.
 * Groups: per group a mean line and a min..max band (uPlot bands between two hidden series).
 * Runs: per run the raw series faint and the server-smoothed series on top.
 */

import type { MarkerSet } from "../charts/markers";
import type { WireValue } from "../core/types";
import type { GroupSeries, SmoothedSeries } from "./api";
import type { XAxis } from "./viewState";

export interface ChartSeries {
  label: string;
  color: string;
  width: number;
  alpha: number;
  /** Part of a band (not a line of its own, not in the legend). */
  band: boolean;
}

export interface ChartData {
  x: number[];
  ys: (number | null)[][];
  series: ChartSeries[];
  /** Pairs of indices into `series` (upper, lower) with their fill. */
  bands: { upper: number; lower: number; fill: string }[];
  /** NaN/Inf points of the raw lines, drawn as markers (uPlot column = series index + 1). */
  markers?: MarkerSet[];
}

function nonFiniteNumber(v: WireValue | undefined): number | null {
  if (v === "NaN") return Number.NaN;
  if (v === "Infinity") return Number.POSITIVE_INFINITY;
  if (v === "-Infinity") return Number.NEGATIVE_INFINITY;
  return typeof v === "number" && !Number.isFinite(v) ? v : null;
}

export function num(v: WireValue | undefined): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** Several (x, y) tables on one sorted x: union of the x values, null where a table lacks one. */
export function joinOnX(tables: { x: number[]; ys: (number | null)[][] }[]): { x: number[]; ys: (number | null)[][] } {
  const xs = [...new Set(tables.flatMap((t) => t.x))].sort((a, b) => a - b);
  const at = new Map(xs.map((x, i) => [x, i]));
  const ys: (number | null)[][] = [];
  for (const t of tables) {
    for (const y of t.ys) {
      const out: (number | null)[] = new Array<number | null>(xs.length).fill(null);
      t.x.forEach((x, i) => {
        const j = at.get(x);
        if (j !== undefined) out[j] = y[i] ?? null;
      });
      ys.push(out);
    }
  }
  return { x: xs, ys };
}

export function alpha(hex: string, a: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${a})`;
}

export function groupChartData(groups: readonly GroupSeries[], colorOf: (i: number) => string): ChartData {
  const tables = groups.map((g) => ({ x: g.step, ys: [g.mean.map(num), g.max.map(num), g.min.map(num)] }));
  const joined = joinOnX(tables);
  const series: ChartSeries[] = [];
  const bands: ChartData["bands"] = [];
  groups.forEach((g, i) => {
    const color = colorOf(i);
    const base = series.length;
    series.push({ label: `${g.label} (n=${g.size})`, color, width: 2, alpha: 1, band: false });
    series.push({ label: `${g.label} max`, color, width: 0, alpha: 0, band: true });
    series.push({ label: `${g.label} min`, color, width: 0, alpha: 0, band: true });
    bands.push({ upper: base + 1, lower: base + 2, fill: alpha(color, 0.18) });
  });
  return { ...joined, series, bands };
}

/** x of each point for the chosen axis; null drops the point (no x there). */
function xOf(s: SmoothedSeries, axis: XAxis, start: number | null): (number | null)[] {
  switch (axis.kind) {
    case "time":
      return s.time.map((t) => t / 1000);
    case "relative":
      return s.time.map((t) => (t - (start ?? s.time[0] ?? 0)) / 1000);
    case "metric":
      return (s.x ?? []).map(num);
    default:
      return s.step;
  }
}

export function runChartData(
  runs: readonly { runId: string; name: string; start: number | null; series: SmoothedSeries[] }[],
  axis: XAxis,
  colorOf: (runId: string) => string,
): ChartData {
  const tables: { x: number[]; ys: (number | null)[][] }[] = [];
  const series: ChartSeries[] = [];
  const odd: { column: number; color: string; xs: number[]; values: number[] }[] = [];
  for (const run of runs) {
    for (const s of run.series) {
      const xs = xOf(s, axis, run.start);
      const keep = xs.map((x, i) => [x, i] as const).filter((p): p is readonly [number, number] => p[0] !== null);
      keep.sort((a, b) => a[0] - b[0]);
      const raw = keep.map(([, i]) => num(s.value[i]));
      const ys = [raw];
      const color = colorOf(run.runId);
      const bad = keep.map(([x, i]) => [x, nonFiniteNumber(s.value[i])] as const).filter((p): p is readonly [number, number] => p[1] !== null);
      if (bad.length > 0) odd.push({ column: series.length + 1, color, xs: bad.map((p) => p[0]), values: bad.map((p) => p[1]) });
      const label = run.series.length > 1 ? `${run.name} ${s.host}:${s.rank}` : run.name;
      if (s.smoothed) {
        series.push({ label: `${label} raw`, color, width: 1, alpha: 0.25, band: false });
        ys.push(keep.map(([, i]) => num(s.smoothed?.[i])));
        series.push({ label, color, width: 2, alpha: 1, band: false });
      } else {
        series.push({ label, color, width: 1.5, alpha: 1, band: false });
      }
      tables.push({ x: keep.map(([x]) => x), ys });
    }
  }
  const joined = joinOnX(tables);
  const at = new Map(joined.x.map((x, i) => [x, i]));
  const markers = odd.map((m) => ({ column: m.column, color: m.color, idx: m.xs.map((x) => at.get(x) as number), value: m.values }));
  return { ...joined, series, bands: [], markers };
}
