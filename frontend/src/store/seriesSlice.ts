import { cardForMetric, seriesKey } from "../core/metrics";
import type { WireSeries } from "../core/types";
import { decodeValues, decodeValuesInPlace } from "../core/values";

/**
 * One series as the client holds it. Its arrays are mutated in place by deltas (a delta
 * appends a few points to hundreds of series; copying them all per delta is what would make
 * memory and GC grow), and `rev` is bumped on every change so charts know what to redraw.
 */
export interface SeriesData {
  key: string;
  runId: string;
  metric: string;
  cardId: string;
  host: string;
  rank: number;
  device: number;
  unit: string;
  step: number[];
  time: number[];
  value: number[];
  rev: number;
}

/** Series slice: the cache version, and the series map (stable identity, mutable entries). */
export interface SeriesSlice {
  version: number | null;
  maxPoints: number;
  series: Map<string, SeriesData>;
  /** Bumped when series appear or disappear: card lists depend on it. */
  structureRev: number;
  /** Bumped on every data change: charts depend on it. */
  dataRev: number;
}

export const DEFAULT_MAX_POINTS = 2000;

export const initialSeries = (): SeriesSlice => ({
  version: null,
  maxPoints: DEFAULT_MAX_POINTS,
  series: new Map(),
  structureRev: 0,
  dataRev: 0,
});

/**
 * A series from a wire object. The wire arrays are taken over, not copied: they come from
 * JSON.parse and nothing else holds them.
 */
export function seriesFromWire(wire: WireSeries, rev: number): SeriesData {
  const n = Math.min(wire.step.length, wire.time.length, wire.value.length);
  const own = (a: number[]) => (a.length === n ? a : a.slice(0, n));
  const data: SeriesData = {
    key: seriesKey(wire),
    runId: wire.run_id,
    metric: wire.metric,
    cardId: cardForMetric(wire.metric).id,
    host: wire.host ?? "",
    rank: wire.rank ?? 0,
    device: wire.device ?? 65535,
    unit: wire.unit ?? "",
    step: own(wire.step),
    time: own(wire.time),
    value: decodeValuesInPlace(wire.value.length === n ? wire.value : wire.value.slice(0, n)),
    rev,
  };
  return ensureStepOrder(data);
}

function ensureStepOrder(series: SeriesData): SeriesData {
  const { step, time } = series;
  let sorted = true;
  for (let i = 1; i < step.length; i++) {
    if ((step[i] as number) < (step[i - 1] as number)) {
      sorted = false;
      break;
    }
  }
  if (sorted) return series;
  const order = step.map((_, i) => i);
  order.sort((a, b) => (step[a] as number) - (step[b] as number) || (time[a] as number) - (time[b] as number) || a - b);
  series.step = order.map((i) => step[i] as number);
  series.time = order.map((i) => time[i] as number);
  series.value = order.map((i) => series.value[i] as number);
  return series;
}

/**
 * Appends a delta's points. Points normally come in step order; a late point (a replayed
 * spool) that lands before the end is merged into place.
 */
export function appendWire(series: SeriesData, wire: WireSeries, cap: number): void {
  const n = Math.min(wire.step.length, wire.time.length, wire.value.length);
  if (n === 0) return;
  const values = decodeValues(wire.value.slice(0, n));
  const lastStep = series.step.length > 0 ? (series.step[series.step.length - 1] as number) : -Infinity;
  const inOrder = (wire.step[0] as number) >= lastStep;
  for (let i = 0; i < n; i++) {
    series.step.push(wire.step[i] as number);
    series.time.push(wire.time[i] as number);
    series.value.push(values[i] as number);
  }
  if (!inOrder) ensureStepOrder(series);
  if (wire.unit) series.unit = wire.unit;
  enforceCap(series, cap);
}

/**
 * Keeps a series bounded even if a server never re-decimates: past the cap, every other
 * point of the older half is dropped (non-finite points are always kept). The server sends
 * at most max_points per series and replaces a series when it re-decimates, so this is a
 * safety net for memory over days, not the normal path.
 */
export function enforceCap(series: SeriesData, cap: number): void {
  const n = series.step.length;
  if (n <= cap) return;
  const half = Math.floor(n / 2);
  const step: number[] = [];
  const time: number[] = [];
  const value: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = series.value[i] as number;
    if (i >= half || i % 2 === 0 || !Number.isFinite(v)) {
      step.push(series.step[i] as number);
      time.push(series.time[i] as number);
      value.push(v);
    }
  }
  series.step = step;
  series.time = time;
  series.value = value;
}

export function seriesCap(maxPoints: number): number {
  return Math.max(2 * maxPoints, 1000);
}
