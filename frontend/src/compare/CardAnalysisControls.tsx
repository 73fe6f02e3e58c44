import { useEffect, useState } from "react";

import { fetchMetricNames, fetchRunsTable, type TableColumn } from "./api";
import { GroupBySelect } from "./GroupBySelect";
import { patchCompare, useCompare } from "./store";
import { SmoothingKindSelect } from "./SmoothingKindSelect";
import { XAxisSelect } from "./XAxisSelect";

/** The chart tabs' server-side choices (the Runs view's, shared through the URL). */
export function CardAnalysisControls() {
  const smoothing = useCompare((s) => s.smoothing);
  const [metrics, setMetrics] = useState<string[]>([]);
  const [columns, setColumns] = useState<TableColumn[]>([]);
  useEffect(() => {
    const abort = new AbortController();
    fetchMetricNames(abort.signal).then((r) => setMetrics(r.metrics), () => undefined);
    fetchRunsTable({ filter: "", sort: [], summaries: [] }, abort.signal, 1).then((t) => setColumns(t.columns), () => undefined);
    return () => abort.abort();
  }, []);
  const setSmooth = (patch: Partial<typeof smoothing>) => patchCompare({ smoothing: { ...smoothing, ...patch } });
  const input = "h-8 rounded-lg border border-line bg-card px-1.5 text-xs text-fg";
  const param = smoothing.kind === "ema" ? "weight" : smoothing.kind === "gaussian" ? "sigma" : smoothing.kind === "none" ? null : "window";
  return (
    <div className="flex flex-wrap items-center gap-2 text-xs text-muted" data-testid="card-analysis-controls">
      <label className="flex items-center gap-1" title="Computed by the server over every raw point, before decimation">
        <span>Server smoothing</span>
        <SmoothingKindSelect label="Server smoothing" className={input} value={smoothing.kind} onChange={(kind) => setSmooth({ kind })} />
      </label>
      {param !== null && (
        <input
          aria-label={`Smoothing ${param}`}
          type="number"
          className={`${input} w-16`}
          min={param === "weight" ? 0 : 1}
          max={param === "weight" ? 0.999 : undefined}
          step={param === "weight" ? 0.01 : param === "window" ? 2 : 0.5}
          value={param === "weight" ? smoothing.weight : param === "sigma" ? smoothing.sigma : smoothing.window}
          onChange={(e) => setSmooth({ [param]: Number(e.target.value) })}
        />
      )}
      <label className="flex items-center gap-1">
        <span>X</span>
        <XAxisSelect label="Card x axis" className={`${input} max-w-40`} metrics={metrics} />
      </label>
      <label className="flex items-center gap-1">
        <span>Group</span>
        <GroupBySelect labels={["Group cards by", "Then group cards by"]} className={`${input} max-w-40`} columns={columns} />
      </label>
    </div>
  );
}
