import { useEffect, useMemo, useRef, useState } from "react";
import { useShallow } from "zustand/react/shallow";

import { useApp, useServices } from "../app/services";
import { PALETTE } from "../core/colors";
import { selectRuns, setTab, toggleRunSelected } from "../store/actions";
import { isRunSelected } from "../store/uiSlice";
import { AnalysisChart } from "./AnalysisChart";
import {
  fetchGroups,
  fetchMetricNames,
  fetchRunsTable,
  fetchSmoothed,
  tableCsvUrl,
  type RunsTable as Table,
  type TableColumn,
} from "./api";
import { groupChartData, runChartData, type ChartData } from "./chartData";
import { ComparePanel } from "./ComparePanel";
import { GroupBySelect } from "./GroupBySelect";
import { RunDetail } from "./RunDetail";
import { RunsTable } from "./RunsTable";
import { patchCompare, useCompare } from "./store";
import { useRunColor } from "./useRunColor";
import { smoothingParams, type XAxis } from "./viewState";
import { SmoothingKindSelect } from "./SmoothingKindSelect";
import { XAxisSelect } from "./XAxisSelect";

const MAX_CHART_RUNS = 20;
const REFRESH_MS = 10_000;
const HIDDEN_BY_DEFAULT = new Set(["run_id", "point_count"]);

export function visibleColumns(all: readonly TableColumn[], chosen: readonly string[] | null): TableColumn[] {
  if (chosen === null) return all.filter((c) => !HIDDEN_BY_DEFAULT.has(c.id));
  const byId = new Map(all.map((c) => [c.id, c]));
  return chosen.map((id) => byId.get(id)).filter((c): c is TableColumn => c !== undefined);
}

/** Click: sort by this column (asc → desc → off); shift-click: add it as a further key. */
export function nextSort(sort: readonly string[], column: string, add: boolean): string[] {
  const current = sort.find((s) => s.replace(/^-/, "") === column);
  const next = current === undefined ? column : current.startsWith("-") ? null : `-${column}`;
  const rest = add ? sort.filter((s) => s.replace(/^-/, "") !== column) : [];
  if (next === null) return rest;
  if (add && current !== undefined) return sort.map((s) => (s === current ? next : s));
  return [...rest, next];
}

function ColumnsMenu({ all, shown, onChange }: { all: TableColumn[]; shown: TableColumn[]; onChange: (ids: string[]) => void }) {
  const ids = shown.map((c) => c.id);
  const move = (id: string, by: number) => {
    const i = ids.indexOf(id);
    const j = i + by;
    if (i < 0 || j < 0 || j >= ids.length) return;
    const next = [...ids];
    [next[i], next[j]] = [next[j] as string, next[i] as string];
    onChange(next);
  };
  return (
    <details className="relative" data-testid="columns-menu">
      <summary className="cursor-pointer rounded-lg border border-line px-2.5 py-1 text-xs hover:bg-subtle">Columns ({shown.length})</summary>
      <div className="absolute right-0 z-20 mt-1 max-h-96 w-72 overflow-y-auto rounded-xl border border-line bg-raised p-2 shadow-lg">
        {all.map((c) => {
          const on = ids.includes(c.id);
          return (
            <div key={c.id} className="flex items-center gap-2 py-0.5 text-xs">
              <label className="flex min-w-0 flex-1 items-center gap-2">
                <input
                  type="checkbox"
                  checked={on}
                  data-column-toggle={c.id}
                  onChange={() => onChange(on ? ids.filter((i) => i !== c.id) : [...ids, c.id])}
                />
                <span className={`truncate ${c.group === "config" ? "text-accent" : ""}`}>{c.label}</span>
              </label>
              {on && (
                <>
                  <button type="button" aria-label={`Move ${c.label} left`} className="px-1 text-muted hover:text-fg" onClick={() => move(c.id, -1)}>
                    ↑
                  </button>
                  <button type="button" aria-label={`Move ${c.label} right`} className="px-1 text-muted hover:text-fg" onClick={() => move(c.id, 1)}>
                    ↓
                  </button>
                </>
              )}
            </div>
          );
        })}
      </div>
    </details>
  );
}

const AGGS = ["last", "min", "max", "min_step", "max_step"] as const;

function SummaryPicker({ onAdd }: { onAdd: (spec: string) => void }) {
  const [metric, setMetric] = useState("");
  const [agg, setAgg] = useState<(typeof AGGS)[number]>("min");
  return (
    <form
      className="flex items-center gap-1 text-xs"
      onSubmit={(e) => {
        e.preventDefault();
        if (metric) onAdd(`${metric}:${agg}`);
      }}
    >
      <input
        list="rw-metric-names"
        value={metric}
        onChange={(e) => setMetric(e.target.value)}
        placeholder="metric"
        aria-label="Summary metric"
        className="w-36 rounded-lg border border-line bg-card px-2 py-1"
      />
      <select value={agg} onChange={(e) => setAgg(e.target.value as (typeof AGGS)[number])} aria-label="Summary" className="rounded-lg border border-line bg-card px-1 py-1">
        {AGGS.map((a) => (
          <option key={a} value={a}>
            {a.replace("_", " ")}
          </option>
        ))}
      </select>
      <button type="submit" className="rounded-lg border border-line px-2 py-1 hover:bg-subtle">
        + summary
      </button>
    </form>
  );
}

/** Rows of a new query's first screen, asked for before the whole table (10,000 runs are
 * megabytes of JSON; the first screen is tens of rows, drawn as soon as they arrive). */
const FIRST_PAGE = 100;

function useTable(filter: string, sort: readonly string[], summaries: readonly string[]) {
  const [state, setState] = useState<{ key: string; table: Table | null; error: string | null; ms: number }>({ key: "", table: null, error: null, ms: 0 });
  const key = JSON.stringify([filter, sort, summaries]);
  const [tick, setTick] = useState(0);
  const shownKey = useRef("");
  useEffect(() => {
    const abort = new AbortController();
    const started = performance.now();
    const query = { filter, sort, summaries };
    const fail = (e: unknown) => {
      if (!abort.signal.aborted) setState((s) => ({ ...s, key, error: e instanceof Error ? e.message : String(e) }));
    };
    const whole = () =>
      fetchRunsTable(query, abort.signal)
        .then((table) => {
          shownKey.current = key;
          setState({ key, table, error: null, ms: performance.now() - started });
        })
        .catch(fail);
    if (shownKey.current === key) void whole(); // a refresh: the rows on screen stay meanwhile
    else
      void fetchRunsTable(query, abort.signal, FIRST_PAGE)
        .then((table) => {
          setState({ key, table, error: null, ms: performance.now() - started });
          if (table.rows.length < table.matched) return whole();
          shownKey.current = key;
          return undefined;
        })
        .catch(fail);
    return () => abort.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- key stands for the query
  }, [key, tick]);
  useEffect(() => {
    const timer = window.setInterval(() => setTick((t) => t + 1), REFRESH_MS);
    return () => window.clearInterval(timer);
  }, []);
  return state;
}

function useChartData(runIds: readonly string[], table: Table | null): { data: ChartData | null; error: string | null } {
  const { metric, groupBy, smoothing, xAxis } = useCompare(useShallow((s) => ({ metric: s.metric, groupBy: s.groupBy, smoothing: s.smoothing, xAxis: s.xAxis })));
  const [state, setState] = useState<{ key: string; data: ChartData | null; error: string | null }>({ key: "", data: null, error: null });
  const key = JSON.stringify([runIds, metric, groupBy, smoothing, xAxis]);
  const [tick, setTick] = useState(0);
  const colorFor = useRunColor();
  const names = useMemo(() => {
    const out = new Map<string, { name: string; start: number | null }>();
    if (!table) return out;
    const at = new Map(table.columns.map((c, i) => [c.id, i]));
    for (const row of table.rows) {
      const id = String(row[at.get("run_id") ?? 0]);
      const started = row[at.get("started") ?? -1];
      out.set(id, { name: String(row[at.get("name") ?? 0]), start: typeof started === "number" ? started : null });
    }
    return out;
  }, [table]);
  useEffect(() => {
    if (!metric || runIds.length === 0) return;
    const abort = new AbortController();
    const work: Promise<ChartData> =
      groupBy.length > 0
        ? fetchGroups(metric, groupBy, runIds, abort.signal).then((r) => groupChartData(r.groups, (i) => PALETTE[i % PALETTE.length] ?? "#4c8bf5"))
        : Promise.all(
            runIds.slice(0, MAX_CHART_RUNS).map((id) =>
              fetchSmoothed(
                id,
                metric,
                { ...smoothingParams(smoothing), ...(xAxis.kind === "metric" ? { x: xAxis.metric } : {}) },
                abort.signal,
              ).then((r) => ({ runId: id, name: names.get(id)?.name ?? id, start: names.get(id)?.start ?? null, series: r.series })),
            ),
          ).then((runs) => runChartData(runs, xAxis, colorFor));
    work
      .then((data) => setState({ key, data, error: null }))
      .catch((e: unknown) => {
        if (!abort.signal.aborted) setState({ key, data: null, error: e instanceof Error ? e.message : String(e) });
      });
    return () => abort.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- key stands for the inputs
  }, [key, tick]);
  useEffect(() => {
    const timer = window.setInterval(() => setTick((t) => t + 1), REFRESH_MS); // live groups keep updating
    return () => window.clearInterval(timer);
  }, []);
  if (!metric || runIds.length === 0) return { data: null, error: null };
  return state.key === key ? { data: state.data, error: state.error } : { data: state.data, error: null };
}

function xLabelOf(x: XAxis): string {
  return x.kind === "metric" ? x.metric : x.kind === "relative" ? "time since start (s)" : x.kind;
}

function AnalysisPanel({ columns, metrics, runIds, table }: { columns: TableColumn[]; metrics: string[]; runIds: string[]; table: Table | null }) {
  const { metric, groupBy, smoothing, xAxis } = useCompare(useShallow((s) => ({ metric: s.metric, groupBy: s.groupBy, smoothing: s.smoothing, xAxis: s.xAxis })));
  const { data, error } = useChartData(runIds, table);
  const setSmooth = (patch: Partial<typeof smoothing>) => patchCompare({ smoothing: { ...smoothing, ...patch } });
  const input = "rounded-lg border border-line bg-card px-2 py-1";
  return (
    <section className="rounded-xl border border-line bg-card p-4" aria-label="Chart of the selected runs" data-testid="analysis">
      <div className="mb-3 flex flex-wrap items-center gap-2 text-xs">
        <h2 className="mr-2 text-sm font-semibold">Chart</h2>
        <label className="flex items-center gap-1">
          metric
          <input list="rw-metric-names" aria-label="Chart metric" className={`${input} w-40`} value={metric ?? ""} onChange={(e) => patchCompare({ metric: e.target.value || null })} />
        </label>
        <label className="flex items-center gap-1">
          group by
          <GroupBySelect labels={["Group by", "Then by"]} className={input} columns={columns} />
        </label>
        {groupBy.length === 0 && (
          <>
            <label className="flex items-center gap-1">
              smoothing
              <SmoothingKindSelect label="Smoothing" className={input} value={smoothing.kind} onChange={(kind) => setSmooth({ kind })} />
            </label>
            {smoothing.kind === "ema" && (
              <input aria-label="EMA weight" type="number" min={0} max={0.999} step={0.01} className={`${input} w-20`} value={smoothing.weight} onChange={(e) => setSmooth({ weight: Number(e.target.value) })} />
            )}
            {(smoothing.kind === "sma" || smoothing.kind === "savgol") && (
              <input aria-label="Window (points)" type="number" min={1} step={2} className={`${input} w-20`} value={smoothing.window} onChange={(e) => setSmooth({ window: Number(e.target.value) })} />
            )}
            {smoothing.kind === "savgol" && (
              <input aria-label="Order" type="number" min={0} max={10} className={`${input} w-14`} value={smoothing.order} onChange={(e) => setSmooth({ order: Number(e.target.value) })} />
            )}
            {smoothing.kind === "gaussian" && (
              <input aria-label="Sigma (points)" type="number" min={0.5} step={0.5} className={`${input} w-20`} value={smoothing.sigma} onChange={(e) => setSmooth({ sigma: Number(e.target.value) })} />
            )}
            <label className="flex items-center gap-1">
              x
              <XAxisSelect label="X axis" className={input} metrics={metrics} />
            </label>
          </>
        )}
        <div className="flex-1" />
        {metric && runIds.length > 0 && groupBy.length === 0 && (
          <span className="text-muted">
            raw:{" "}
            {runIds.slice(0, 3).map((id) => (
              <a key={id} className="ml-1 underline" href={`export/${encodeURIComponent(id)}?format=csv&metric=${encodeURIComponent(metric)}`} download>
                {id}.csv
              </a>
            ))}
          </span>
        )}
      </div>
      {!metric ? (
        <p className="py-8 text-center text-sm text-muted">Choose a metric to chart the selected runs{runIds.length ? ` (${runIds.length})` : ""}.</p>
      ) : runIds.length === 0 ? (
        <p className="py-8 text-center text-sm text-muted">Select runs in the table.</p>
      ) : error ? (
        <p className="py-8 text-center text-sm text-bad">{error}</p>
      ) : data ? (
        <AnalysisChart data={data} xLabel={groupBy.length ? "step" : xLabelOf(xAxis)} timeAxis={groupBy.length === 0 && xAxis.kind === "time"} />
      ) : (
        <p className="py-8 text-center text-sm text-muted">Loading…</p>
      )}
    </section>
  );
}

/** The Runs view: every run ClickHouse knows, its config and summaries; compare, group, chart. */
export function RunsView() {
  const { store } = useServices();
  const view = useCompare(useShallow((s) => ({ filter: s.filter, sort: s.sort, columns: s.columns, summaries: s.summaries, detail: s.detail, compareOpen: s.compareOpen })));
  const selection = useApp((s) => s.selection);
  const [draft, setDraft] = useState(view.filter);
  const [metrics, setMetrics] = useState<string[]>([]);
  const { table, error, ms } = useTable(view.filter, view.sort, view.summaries);
  useEffect(() => {
    const abort = new AbortController();
    fetchMetricNames(abort.signal)
      .then((r) => setMetrics(r.metrics))
      .catch(() => undefined);
    return () => abort.abort();
  }, []);
  useEffect(() => {
    const t = window.setTimeout(() => patchCompare({ filter: draft }), 250);
    return () => window.clearTimeout(t);
  }, [draft]);
  useEffect(() => {
    // The selection is part of a shared view: runs=a,b (as the live dashboard reads it).
    const q = new URLSearchParams(location.search);
    if (selection.mode === "include") q.set("runs", selection.ids.join(","));
    else q.delete("runs");
    const text = q.toString().replace(/%2C/g, ",").replace(/%3A/g, ":").replace(/%2F/g, "/");
    history.replaceState(history.state, "", `${location.pathname}${text ? `?${text}` : ""}`);
  }, [selection]);
  const all = table?.columns ?? [];
  const shown = visibleColumns(all, view.columns);
  const runIdAt = all.findIndex((c) => c.id === "run_id");
  const ids = table ? table.rows.map((r) => String(r[runIdAt])) : [];
  const selected = ids.filter((id) => isRunSelected(selection, id));
  const selectedFn = (id: string) => isRunSelected(selection, id);
  return (
    <div className="flex h-full min-h-0 flex-col gap-3" data-testid="runs-view">
      <datalist id="rw-metric-names">
        {metrics.map((m) => (
          <option key={m} value={m} />
        ))}
      </datalist>
      <div className="flex flex-wrap items-center gap-2">
        <h1 className="mr-2 text-lg font-semibold tracking-tight">Runs</h1>
        <input
          type="search"
          aria-label="Filter runs"
          placeholder="filter: optimizer.lr < 1e-3 and status = running, tags has ablation, or text"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          className={`min-w-[22rem] flex-1 rounded-lg border bg-card px-3 py-1.5 font-mono text-xs ${error ? "border-bad" : "border-line"}`}
          data-testid="runs-filter"
        />
        <SummaryPicker onAdd={(spec) => patchCompare({ summaries: [...new Set([...view.summaries, spec])], columns: view.columns === null ? null : [...view.columns, spec] })} />
        <ColumnsMenu all={all} shown={shown} onChange={(columns) => patchCompare({ columns })} />
        <a className="rounded-lg border border-line px-2.5 py-1 text-xs hover:bg-subtle" href={tableCsvUrl(view, shown.map((c) => c.id).filter((id) => id !== "run_id").concat("run_id"))} download>
          Download CSV
        </a>
        <button
          type="button"
          disabled={selected.length < 2}
          onClick={() => patchCompare({ compareOpen: true })}
          className="rounded-lg bg-accent px-3 py-1 text-xs font-semibold text-white disabled:opacity-40"
          data-testid="compare-button"
        >
          Compare {selected.length >= 2 ? selected.length : ""}
        </button>
      </div>
      <div className="flex items-center gap-3 text-xs text-muted" data-testid="runs-status">
        {error ? <span className="text-bad">{error}</span> : table ? <span>{table.matched.toLocaleString()} of {table.total.toLocaleString()} runs · {selected.length} on the charts · {Math.round(ms)} ms</span> : <span>Loading…</span>}
        {table && (
          <>
            <button type="button" className="underline" onClick={() => store.setState({ selection: { mode: "include", ids } })}>
              chart only these
            </button>
            {view.sort.length > 0 && (
              <button type="button" className="underline" onClick={() => patchCompare({ sort: [] })}>
                clear sort
              </button>
            )}
          </>
        )}
      </div>
      <div className="flex min-h-[18rem] flex-1 gap-3">
        {table && (
          <RunsTable
            table={table}
            columns={shown}
            sort={view.sort}
            selected={selectedFn}
            onToggle={(id) => toggleRunSelected(store, id)}
            onToggleAll={(on) => (on ? selectRuns(store, ids, true) : selectRuns(store, ids, false))}
            onSort={(column, add) => patchCompare({ sort: nextSort(view.sort, column, add) })}
            onOpen={(id) => patchCompare({ detail: id })}
          />
        )}
        {view.detail && (
          <RunDetail
            runId={view.detail}
            onClose={() => patchCompare({ detail: null })}
            onShowCharts={(id) => {
              store.setState({ selection: { mode: "include", ids: [id] } });
              patchCompare({ view: "charts" });
              setTab(store, store.getState().tab);
            }}
          />
        )}
      </div>
      {view.compareOpen && selected.length >= 2 && <ComparePanel runIds={selected.slice(0, 100)} onClose={() => patchCompare({ compareOpen: false })} />}
      <AnalysisPanel columns={all} metrics={metrics} runIds={selected} table={table} />
    </div>
  );
}
