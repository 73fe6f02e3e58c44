import { memo, useEffect, useMemo, useRef, useState } from "react";
import { useShallow } from "zustand/react/shallow";

import { useApp } from "../app/services";
import { PALETTE } from "../core/colors";
import type { CardSpec } from "../store/selectors";
import { isRunSelected } from "../store/uiSlice";
import { runLabel } from "../store/runsSlice";
import { AnalysisChart } from "./AnalysisChart";
import { fetchGroups, fetchSmoothed, type SmoothedSeries } from "./api";
import { CardDownload } from "./CardDownload";
import { lastStep, mergeTail } from "./cardAnalysis";
import { groupChartData, runChartData, type ChartData } from "./chartData";
import { useCompare } from "./store";
import { useRunColor } from "./useRunColor";
import { smoothingParams } from "./viewState";

const MAX_RUNS = 20;
/** New live points reach the card at most this often (each tail is a ClickHouse read). */
const TAIL_MS = 2000;
const GROUP_REFRESH_MS = 10_000;

type Held = Map<string, SmoothedSeries[]>;

/**
 * A tab's chart card drawn from the server: the selected runs' raw points smoothed over every
 * point, on any x axis, or one mean line with a min..max band per group. While its runs log,
 * a smoothed card asks only for the tail (`tail_after_step`) and joins it where the server's
 * filter says the held points stop being final; a grouped card is asked again.
 */
export const AnalysisCard = memo(function AnalysisCard({ card, height }: { card: CardSpec; height: number }) {
  const { smoothing, groupBy, xAxis } = useCompare(useShallow((s) => ({ smoothing: s.smoothing, groupBy: s.groupBy, xAxis: s.xAxis })));
  const runIds = useApp(useShallow((s) => [...card.runIds].filter((id) => isRunSelected(s.selection, id)).sort().slice(0, MAX_RUNS)));
  const names = useApp(useShallow((s) => runIds.map((id) => { const r = s.runs.get(id); return r ? runLabel(r, id) : id; })));
  const starts = useApp(useShallow((s) => runIds.map((id) => s.runs.get(id)?.start_time ?? null)));
  // Bumped by every live point of this card: the cue to ask for the tail.
  const liveRev = useApp((s) => card.seriesKeys.reduce((sum, k) => sum + (s.series.get(k)?.rev ?? 0), 0));
  const colorFor = useRunColor();
  const [held, setHeld] = useState<{ key: string; runs: Held; groups: ChartData | null; error: string | null }>({ key: "", runs: new Map(), groups: null, error: null });
  const key = JSON.stringify([card.id, runIds, smoothing, groupBy, xAxis]);
  const params = useMemo(() => ({ ...smoothingParams(smoothing), ...(xAxis.kind === "metric" ? { x: xAxis.metric } : {}) }), [smoothing, xAxis]);
  const heldRef = useRef(held);
  heldRef.current = held;

  // A whole read whenever what the card shows changes.
  useEffect(() => {
    if (runIds.length === 0) return;
    const abort = new AbortController();
    const done = (patch: Partial<typeof held>) => setHeld({ key, runs: new Map(), groups: null, error: null, ...patch });
    const fail = (e: unknown) => {
      if (!abort.signal.aborted) done({ error: e instanceof Error ? e.message : String(e) });
    };
    if (groupBy.length > 0) {
      const read = () =>
        fetchGroups(card.id, groupBy, runIds, abort.signal)
          .then((r) => done({ groups: groupChartData(r.groups, (i) => PALETTE[i % PALETTE.length] ?? "#4c8bf5") }))
          .catch(fail);
      void read();
      const timer = window.setInterval(() => void read(), GROUP_REFRESH_MS); // live groups keep updating
      return () => {
        abort.abort();
        window.clearInterval(timer);
      };
    }
    Promise.all(runIds.map((id) => fetchSmoothed(id, card.id, params, abort.signal).then((r) => [id, r.series] as const)))
      .then((pairs) => done({ runs: new Map(pairs) }))
      .catch(fail);
    return () => abort.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- key stands for the inputs
  }, [key]);

  // The live tail: only the points the new ones changed, joined to what is held.
  const lastTail = useRef(0);
  useEffect(() => {
    const current = heldRef.current;
    if (groupBy.length > 0 || smoothing.kind === "none" || current.key !== key || current.runs.size === 0) return;
    const abort = new AbortController();
    const wait = Math.max(0, lastTail.current + TAIL_MS - Date.now());
    const timer = window.setTimeout(() => {
      lastTail.current = Date.now();
      const asks = runIds.map((id) => {
        const after = lastStep(current.runs.get(id) ?? []);
        const q = after === null ? params : { ...params, tail_after_step: String(after) };
        return fetchSmoothed(id, card.id, q, abort.signal).then((r) => [id, after === null ? r.series : mergeTail(current.runs.get(id) ?? [], r.series)] as const);
      });
      Promise.all(asks)
        .then((pairs) => {
          if (heldRef.current.key === key) setHeld({ ...heldRef.current, runs: new Map(pairs) });
        })
        .catch(() => undefined); // the next live point asks again
    }, wait);
    return () => {
      window.clearTimeout(timer);
      abort.abort();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- a new live point is the cue
  }, [liveRev]);

  const data = useMemo(() => {
    if (held.key !== key) return null;
    if (groupBy.length > 0) return held.groups;
    const runs = runIds.map((id, i) => ({ runId: id, name: names[i] ?? id, start: starts[i] ?? null, series: held.runs.get(id) ?? [] }));
    return runChartData(runs, xAxis, colorFor);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- held.key covers the inputs
  }, [held, names.join(), starts.join()]);

  const xLabel = groupBy.length > 0 ? "step" : xAxis.kind === "metric" ? xAxis.metric : xAxis.kind === "relative" ? "time since start (s)" : xAxis.kind;
  const what = groupBy.length > 0 ? `grouped by ${groupBy.map((g) => g.replace(/^config\./, "")).join(", ")}` : smoothing.kind !== "none" ? `${smoothing.kind} · server` : `x: ${xLabel}`;
  return (
    <article
      data-testid="metric-card"
      data-card={card.id}
      data-metric={card.id}
      data-analysis="1"
      className="group flex min-w-0 flex-col overflow-hidden rounded-xl border border-line bg-card shadow-[0_1px_2px_rgb(0_0_0/0.04)]"
    >
      <header className="flex items-center gap-2 px-3.5 pt-3">
        <h3 className="min-w-0 flex-1 truncate text-[0.8125rem] font-semibold tracking-tight" title={card.id}>
          {card.id}
        </h3>
        <span className="truncate rounded-md bg-accent-soft px-1.5 py-px text-[0.625rem] font-semibold text-accent" data-testid="card-analysis" title="Computed by the server over every raw point">
          {what}
        </span>
        <CardDownload card={card} runIds={runIds} />
      </header>
      <div className="mx-1 mb-1.5 mt-1 min-h-0" style={{ minHeight: height }}>
        {runIds.length === 0 ? (
          <p className="py-10 text-center text-xs text-muted">No run of this card is shown.</p>
        ) : held.error !== null && held.key === key ? (
          <p className="py-10 text-center text-xs text-bad">{held.error}</p>
        ) : data ? (
          <AnalysisChart data={data} xLabel={xLabel} timeAxis={groupBy.length === 0 && xAxis.kind === "time"} height={height} legend={groupBy.length > 0} />
        ) : (
          <p className="py-10 text-center text-xs text-muted">Loading…</p>
        )}
      </div>
    </article>
  );
});
