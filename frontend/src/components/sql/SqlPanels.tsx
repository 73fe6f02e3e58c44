import { useCallback, useEffect, useRef, useState } from "react";
import uPlot from "uplot";
import { useShallow } from "zustand/react/shallow";

import { useApp, useServices } from "../../app/services";
import { PALETTE } from "../../core/colors";
import { panelData } from "../../sql/chart";
import { runSql, selectionParams, type SqlResult } from "../../sql/result";
import { deleteQuery, fetchSaved, panelHash, type ChartSpec, type SavedQuery } from "../../sql/saved";
import { selectedRunIds } from "../../store/selectors";
import { ResultTable } from "./ResultTable";

const HEIGHT = 220;
const MIN_RERUN_MS = 1000;

/** A uPlot chart, created when the spec or series set changes, fed with setData otherwise. */
function PanelChart({ result, chart }: { result: SqlResult; chart: ChartSpec }) {
  const hostRef = useRef<HTMLDivElement>(null);
  const plotRef = useRef<uPlot | null>(null);
  const shapeRef = useRef("");
  const data = panelData(result, chart);

  useEffect(() => {
    const host = hostRef.current;
    if (!host || typeof data === "string") return;
    const columns = [data.x, ...data.series.map((s) => s.values)] as uPlot.AlignedData;
    const shape = `${chart.kind}|${data.timeAxis}|${data.series.map((s) => s.label).join("\u0000")}`;
    if (plotRef.current && shapeRef.current === shape) {
      plotRef.current.setData(columns);
      return;
    }
    plotRef.current?.destroy();
    const style = getComputedStyle(document.documentElement);
    const axis = style.getPropertyValue("--rw-chart-axis").trim() || "#888";
    const grid = style.getPropertyValue("--rw-chart-grid").trim() || "#ddd";
    const bars = chart.kind === "bar" ? uPlot.paths.bars?.({ size: [0.7, 40] }) : undefined;
    const opts: uPlot.Options = {
      width: Math.max(200, host.clientWidth),
      height: HEIGHT,
      scales: { x: { time: data.timeAxis } },
      axes: [
        { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } },
        { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, size: 56 },
      ],
      legend: { show: data.series.length > 1 },
      series: [
        {},
        ...data.series.map((s, i) => {
          const color = PALETTE[i % PALETTE.length] ?? "#5b5bd6";
          return { label: s.label, stroke: color, width: 1.5, spanGaps: true, ...(bars ? { paths: bars, fill: color } : {}) };
        }),
      ],
    };
    plotRef.current = new uPlot(opts, columns, host);
    shapeRef.current = shape;
  });

  useEffect(() => {
    const host = hostRef.current;
    if (!host) return;
    const observer = new ResizeObserver(() => plotRef.current?.setSize({ width: Math.max(200, host.clientWidth), height: HEIGHT }));
    observer.observe(host);
    return () => {
      observer.disconnect();
      plotRef.current?.destroy();
      plotRef.current = null;
    };
  }, []);

  if (typeof data === "string") return <p className="px-3.5 py-6 text-sm text-muted">{data}</p>;
  return <div ref={hostRef} className="px-2 pb-2" data-testid="panel-chart" data-points={data.x.length * data.series.length} />;
}

/** One saved query as a card: re-run every refresh_sec, when new points arrive, or when the selection changes. */
function PanelCard({ panel, onDelete }: { panel: SavedQuery; onDelete: () => void }) {
  const { store } = useServices();
  const runIds = useApp(useShallow(selectedRunIds));
  const [result, setResult] = useState<SqlResult | null>(null);
  const [runs, setRuns] = useState(0);
  const busy = useRef(false);
  const lastRun = useRef(0);
  const paramsKey = JSON.stringify(selectionParams(runIds, panel.query));

  const rerun = useCallback(() => {
    if (busy.current) return;
    busy.current = true;
    lastRun.current = Date.now();
    runSql(panel.query, JSON.parse(paramsKey) as Record<string, string[]>)
      .then(setResult, (err: unknown) => setResult({ columns: [], types: [], rows: [], summary: null, error: { message: String(err), code: 0 } }))
      .finally(() => {
        busy.current = false;
        setRuns((n) => n + 1);
      });
  }, [panel.query, paramsKey]);

  useEffect(() => {
    rerun();
    const timer = setInterval(rerun, panel.refresh_sec * 1000);
    let pending: ReturnType<typeof setTimeout> | null = null;
    const unsubscribe = store.subscribe((state, prev) => {
      if (state.dataRev === prev.dataRev || pending) return;
      const wait = Math.max(0, lastRun.current + MIN_RERUN_MS - Date.now());
      pending = setTimeout(() => {
        pending = null;
        rerun();
      }, wait);
    });
    return () => {
      clearInterval(timer);
      if (pending) clearTimeout(pending);
      unsubscribe();
    };
  }, [rerun, panel.refresh_sec, store]);

  const share = () => {
    const url = `${window.location.origin}${window.location.pathname}${panelHash(panel)}`;
    void navigator.clipboard?.writeText(url);
  };
  const button = "rounded-md px-1.5 py-0.5 text-xs text-muted hover:bg-subtle hover:text-fg";
  return (
    <article className="flex min-w-0 flex-col rounded-xl border border-line bg-card" data-testid="sql-panel" data-panel={panel.name} data-runs={runs}>
      <header className="flex items-center gap-2 px-3.5 pt-3 pb-1">
        <h3 className="min-w-0 flex-1 truncate text-[0.8125rem] font-semibold tracking-tight" title={panel.query}>{panel.name}</h3>
        <span className="text-xs text-muted">{result?.summary ? `${result.summary.result_rows} rows` : ""}</span>
        <a className={button} href={panelHash(panel)} title="Open in the console">Edit</a>
        <button type="button" className={button} onClick={share} title="Copy a link to this panel">Share</button>
        <button type="button" className={button} onClick={onDelete} title="Delete this panel">Delete</button>
      </header>
      {result?.error ? (
        <pre className="whitespace-pre-wrap px-3.5 py-3 font-mono text-xs text-[var(--rw-bad)]">{result.error.message}</pre>
      ) : result && panel.chart.kind !== "table" ? (
        <PanelChart result={result} chart={panel.chart} />
      ) : result ? (
        <div className="flex h-64 flex-col p-2"><ResultTable result={result} /></div>
      ) : (
        <p className="px-3.5 py-6 text-sm text-muted">Running…</p>
      )}
    </article>
  );
}

/** The "SQL" tab: saved queries as cards, in the same grid as the metric charts. */
export function SqlPanels() {
  const [panels, setPanels] = useState<SavedQuery[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => fetchSaved().then(setPanels, (e: unknown) => setError(String(e))), []);
  useEffect(() => void load(), [load]);
  if (error) return <p className="py-10 text-center text-sm text-muted">{error}</p>;
  if (!panels) return null;
  if (!panels.length) {
    return (
      <p className="py-10 text-center text-sm text-muted" data-testid="no-panels">
        No saved queries yet. Write one in the <a className="text-accent underline" href="#sql">SQL console</a> and “Save as panel”.
      </p>
    );
  }
  return (
    <div className="grid grid-cols-[repeat(auto-fill,minmax(min(100%,24rem),1fr))] gap-4" data-testid="sql-panels">
      {panels.map((p) => (
        <PanelCard key={p.id} panel={p} onDelete={() => void deleteQuery(p.id).then(load)} />
      ))}
    </div>
  );
}
