/**
 * Chart cards of the live tabs drawn from the server (as the Runs view's chart is): smoothing
 * over every raw point, any x axis, group means with bands. Pure helpers, tested.
 *
 * A card switches to the server when one of those is asked for (the choices are the Runs
 * view's, in the URL: sm=, xa=, gb=); otherwise it stays the live card of the SSE stream.
 */

import type { XMode } from "../core/url";
import type { XRange } from "../store/uiSlice";
import type { SmoothedSeries } from "./api";
import type { CompareView } from "./viewState";

export type CardAnalysis = Pick<CompareView, "smoothing" | "groupBy" | "xAxis">;

export function cardAnalysisOn(v: CardAnalysis): boolean {
  return v.smoothing.kind !== "none" || v.groupBy.length > 0 || v.xAxis.kind === "relative" || v.xAxis.kind === "metric";
}

const seriesKey = (s: Pick<SmoothedSeries, "host" | "rank" | "device">) => `${s.host}\u0000${s.rank}\u0000${s.device}`;

/** The last step a run's series hold (what `tail_after_step` continues from), or null. */
export function lastStep(series: readonly SmoothedSeries[]): number | null {
  let last: number | null = null;
  for (const s of series) {
    const step = s.step[s.step.length - 1];
    if (step !== undefined && (last === null || step > last)) last = step;
  }
  return last;
}

type Tail = SmoothedSeries & { from_step?: number };

/**
 * Held series + a tail answer: each tail series replaces its held points from `from_step` on
 * (the server's filter changed those), a series new to the run is added. Arrays are new.
 */
export function mergeTail(held: readonly SmoothedSeries[], tail: readonly Tail[]): SmoothedSeries[] {
  const byKey = new Map(tail.map((t) => [seriesKey(t), t]));
  const out: SmoothedSeries[] = [];
  for (const s of held) {
    const t = byKey.get(seriesKey(s));
    if (!t) {
      out.push(s);
      continue;
    }
    byKey.delete(seriesKey(s));
    const from = t.from_step ?? t.step[0] ?? Infinity;
    let n = 0;
    while (n < s.step.length && (s.step[n] as number) < from) n++;
    const cut = <T>(a: readonly T[] | undefined, b: readonly T[] | undefined): T[] | undefined =>
      a === undefined && b === undefined ? undefined : [...(a ?? []).slice(0, n), ...(b ?? [])];
    out.push({
      ...s,
      step: [...s.step.slice(0, n), ...t.step],
      time: [...s.time.slice(0, n), ...t.time],
      value: [...s.value.slice(0, n), ...t.value],
      smoothed: cut(s.smoothed, t.smoothed),
      x: cut(s.x, t.x),
    });
  }
  for (const t of byKey.values()) out.push(t);
  return out;
}

/** A card's download: its runs' raw points of the visible window, one file. */
export function cardExportUrl(runIds: readonly string[], metric: string, format: "csv" | "parquet", range: XRange | null, xMode: XMode): string {
  const q = new URLSearchParams({ format, metric });
  for (const id of runIds) q.append("run_id", id);
  if (range !== null) {
    if (xMode === "step") {
      q.set("from_step", String(Math.max(0, Math.floor(range.min))));
      q.set("to_step", String(Math.max(0, Math.ceil(range.max))));
    } else {
      q.set("from_time", String(Math.max(0, Math.floor(range.min))));
      q.set("to_time", String(Math.max(0, Math.ceil(range.max))));
    }
  }
  return `export?${q.toString()}`;
}
