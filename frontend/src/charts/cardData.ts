import { aggregateLines, alignLines, lowerBound, sortedLine, type Aligned, type Line } from "../core/align";
import { dashForDevice, PALETTE, runDash, shade } from "../core/colors";
import { NO_DEVICE } from "../core/types";
import { decimateRange, type DecimationCache } from "../core/decimate";
import { emaSmooth } from "../core/smoothing";
import type { XMode } from "../core/url";
import { colorOf, runLabel } from "../store/runsSlice";
import type { CardSpec } from "../store/selectors";
import type { SeriesData } from "../store/seriesSlice";
import type { AppState } from "../store/store";
import { isRunSelected, type GpuView } from "../store/uiSlice";

/**
 * What one card draws, computed from the store without touching the DOM: its lines (one per
 * selected run, per device/host/rank where there are several, or one per run when devices are
 * aggregated) and the aligned columns for uPlot.
 */

export interface LineSpec {
  id: string;
  runId: string;
  label: string;
  color: string;
  dash: number[];
  series: SeriesData[];
}

/** Points fetched at full resolution for a zoomed range; replace the cached ones inside it. */
export interface DetailData {
  xMode: XMode;
  from: number;
  to: number;
  step: number[];
  time: number[];
  value: number[];
}

function compareSeries(a: SeriesData, b: SeriesData): number {
  if (a.host !== b.host) return a.host < b.host ? -1 : 1;
  return a.rank - b.rank || a.device - b.device;
}

export function linesForCard(card: CardSpec, state: AppState, gpuView: GpuView): LineSpec[] {
  const byRun = new Map<string, SeriesData[]>();
  for (const key of card.seriesKeys) {
    const data = state.series.get(key);
    if (data === undefined || !isRunSelected(state.selection, data.runId)) continue;
    const list = byRun.get(data.runId);
    if (list) list.push(data);
    else byRun.set(data.runId, [data]);
  }
  const lines: LineSpec[] = [];
  // More runs than colours: runs that share a colour differ by their dash (from the id too)
  const dashRuns = byRun.size > PALETTE.length;
  for (const runId of state.runOrder) {
    const list = byRun.get(runId);
    if (!list) continue;
    list.sort(compareSeries);
    const color = colorOf(state, runId);
    const ownDash = dashRuns ? runDash(runId) : null;
    const name = runLabel(state.runs.get(runId), runId);
    const hosts = new Set(list.map((s) => `${s.host}:${s.rank}`));
    if (card.perDevice && gpuView !== "device") {
      // One line per (host, rank) of the run, aggregating its devices.
      const groups = new Map<string, SeriesData[]>();
      for (const s of list) {
        const k = `${s.host}:${s.rank}`;
        const g = groups.get(k);
        if (g) g.push(s);
        else groups.set(k, [s]);
      }
      let i = 0;
      for (const [k, group] of groups) {
        const suffix = hosts.size > 1 ? ` · ${k}` : "";
        lines.push({
          id: `${runId}|${k}|${gpuView}`,
          runId,
          label: `${name}${suffix} · ${gpuView}`,
          color: i === 0 ? color : shade(color, i % 2 ? 0.3 : -0.25),
          dash: ownDash ?? dashForDevice(i),
          series: group,
        });
        i++;
      }
      continue;
    }
    list.forEach((s, i) => {
      const parts: string[] = [name];
      if (hosts.size > 1) parts.push(s.host ? `${s.host}:${s.rank}` : `rank ${s.rank}`);
      if (s.device !== NO_DEVICE) parts.push(`gpu${s.device}`);
      lines.push({
        id: s.key,
        runId,
        label: parts.join(" · "),
        color: i === 0 ? color : shade(color, i % 2 ? 0.25 * Math.ceil(i / 2) : -0.2 * Math.ceil(i / 2)),
        dash: ownDash ?? dashForDevice(i),
        series: [s],
      });
    });
  }
  return lines;
}

export interface CardDataOptions {
  xMode: XMode;
  /** Points older than this (epoch ms) are left out (the timeline window); null = all. */
  cutoffTime: number | null;
  smoothing: number;
  gpuView: GpuView;
  detail: ReadonlyMap<string, DetailData>;
  /** Decimation bucket width in x units (0: draw every point), see core/decimate. */
  bucket?: number;
  /** Series longer than this many points (in the window) are decimated. */
  decimateAbove?: number;
  decimation?: DecimationCache | null;
}

export interface CardData {
  aligned: Aligned;
  /** Column layout: for each line, its raw column and (when smoothing) its smoothed column. */
  rawColumn: number[];
  smoothColumn: (number | null)[];
  lastValue: (number | null)[];
  lastStep: number;
  /** Points in the window, before decimation. */
  points: number;
  /** Points handed to the chart, after decimation. */
  drawnPoints: number;
  nonFinite: number;
}

interface RawLine {
  key: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  start: number;
  /** The arrays are the store's own (unchanged between frames but for appends). */
  cacheable: boolean;
}

function rawLine(s: SeriesData, options: CardDataOptions): RawLine {
  let step: ArrayLike<number> = s.step;
  let time: ArrayLike<number> = s.time;
  let value: ArrayLike<number> = s.value;
  let cacheable = true;
  const detail = options.detail.get(s.key);
  if (detail && detail.xMode === options.xMode) {
    const x = options.xMode === "step" ? s.step : s.time;
    const lo = lowerBound(x, detail.from);
    let hi = lowerBound(x, detail.to);
    while (hi < x.length && x[hi] === detail.to) hi++;
    step = [...s.step.slice(0, lo), ...detail.step, ...s.step.slice(hi)];
    time = [...s.time.slice(0, lo), ...detail.time, ...s.time.slice(hi)];
    value = [...s.value.slice(0, lo), ...detail.value, ...s.value.slice(hi)];
    cacheable = false;
  }
  const start = options.cutoffTime === null ? 0 : lowerBound(time, options.cutoffTime);
  const x = options.xMode === "step" ? step : time;
  // The store keeps every series in step order; only wall time can be out of order (clock skew).
  const sorted = options.xMode === "step" && cacheable ? { x, y: value } : sortedLine({ x, y: value });
  if (sorted.x !== x) cacheable = false;
  return { key: `${s.key}|${options.xMode}`, x: sorted.x, y: sorted.y, start: sorted.x === x ? start : 0, cacheable };
}

function slice(a: ArrayLike<number>, start: number): ArrayLike<number> {
  return start === 0 ? a : Array.prototype.slice.call(a, start);
}

function thin(line: Line, options: CardDataOptions): Line {
  const bucket = options.bucket ?? 0;
  if (bucket <= 0 || line.x.length <= (options.decimateAbove ?? Infinity)) return line;
  const out = { x: [] as number[], y: [] as number[] };
  decimateRange(out, line.x, line.y, 0, line.x.length, bucket);
  return out;
}

export function buildCardData(lines: readonly LineSpec[], options: CardDataOptions): CardData {
  const bucket = options.bucket ?? 0;
  const above = options.decimateAbove ?? Infinity;
  const smoothing = options.smoothing > 0;
  const columns: Line[] = [];
  const rawColumn: number[] = [];
  const smoothColumn: (number | null)[] = [];
  const lastValue: (number | null)[] = [];
  let lastStep = Number.NEGATIVE_INFINITY;
  let points = 0;
  for (const line of lines) {
    for (const s of line.series) {
      if (s.step.length > 0) lastStep = Math.max(lastStep, s.step[s.step.length - 1] as number);
    }
    const parts = line.series.map((s) => rawLine(s, options));
    let full: Line;
    let drawn: Line;
    if (parts.length === 1) {
      const part = parts[0] as RawLine;
      const count = part.x.length - part.start;
      if (bucket > 0 && count > above && part.cacheable && options.decimation) {
        drawn = options.decimation.get(part.key, part.x, part.y, part.start, bucket);
        full = smoothing ? { x: slice(part.x, part.start), y: slice(part.y, part.start) } : drawn;
        lastValue.push(count > 0 ? (part.y[part.y.length - 1] as number) : null);
        points += count;
      } else {
        full = { x: slice(part.x, part.start), y: slice(part.y, part.start) };
        drawn = thin(full, options);
        lastValue.push(full.y.length > 0 ? (full.y[full.y.length - 1] as number) : null);
        points += full.x.length;
      }
    } else {
      full = aggregateLines(
        parts.map((p) => ({ x: slice(p.x, p.start), y: slice(p.y, p.start) })),
        options.gpuView === "max" ? "max" : "mean",
      );
      drawn = thin(full, options);
      lastValue.push(full.y.length > 0 ? (full.y[full.y.length - 1] as number) : null);
      points += full.x.length;
    }
    rawColumn.push(columns.length);
    columns.push(drawn);
    if (smoothing) {
      smoothColumn.push(columns.length);
      columns.push(thin({ x: full.x, y: emaSmooth(full.y, options.smoothing) }, options));
    } else smoothColumn.push(null);
  }
  const aligned = alignLines(columns);
  if (smoothing) {
    // Non-finite points are marked once, on the raw line.
    for (const col of smoothColumn) if (col !== null) aligned.nonFinite[col] = { idx: [], value: [] };
  }
  let nonFinite = 0;
  for (const nf of aligned.nonFinite) nonFinite += nf.idx.length;
  return { aligned, rawColumn, smoothColumn, lastValue, lastStep, points, drawnPoints: aligned.x.length, nonFinite };
}
