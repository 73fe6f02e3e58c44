import type { SQLNamespace } from "@codemirror/lang-sql";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";

import { useApp } from "../../app/services";
import { pushHistory, readHistory } from "../../sql/history";
import { runSql, selectionParams, type SqlResult } from "../../sql/result";
import {
  DEFAULT_CHART,
  fetchSchema,
  fetchSnippets,
  newId,
  panelFromHash,
  saveQuery,
  type ChartSpec,
  type Snippet,
  type TableInfo,
} from "../../sql/saved";
import { selectedRunIds } from "../../store/selectors";
import { useShallow } from "zustand/react/shallow";
import { ResultTable } from "./ResultTable";
import { SchemaBrowser } from "./SchemaBrowser";
import { SqlEditor } from "./SqlEditor";

const FIRST_QUERY = `SELECT run_id, metric, max(step) AS last_step, argMax(value, step) AS latest
FROM metric_points
WHERE run_id IN {run_ids:Array(String)}
GROUP BY run_id, metric
ORDER BY run_id, metric`;

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

function SavePanel({ query, initial, onDone }: { query: string; initial: { name: string; chart: ChartSpec }; onDone: () => void }) {
  const [name, setName] = useState(initial.name);
  const [chart, setChart] = useState<ChartSpec>(initial.chart);
  const [error, setError] = useState<string | null>(null);
  const input = "rounded-md border border-line bg-bg px-2 py-1 text-sm";
  return (
    <form
      className="flex flex-wrap items-end gap-2 rounded-xl border border-line bg-card p-3 text-sm"
      data-testid="save-panel"
      onSubmit={(e) => {
        e.preventDefault();
        saveQuery({ id: newId(), name, query, chart, refresh_sec: 10 }).then(onDone, (err: unknown) => setError(String(err)));
      }}
    >
      <label className="flex flex-col gap-1">Name<input className={input} value={name} required onChange={(e) => setName(e.target.value)} aria-label="panel name" /></label>
      <label className="flex flex-col gap-1">
        Chart
        <select className={input} value={chart.kind} aria-label="chart kind" onChange={(e) => setChart({ ...chart, kind: e.target.value as ChartSpec["kind"] })}>
          <option value="line">line</option>
          <option value="bar">bar</option>
          <option value="table">table</option>
        </select>
      </label>
      <label className="flex flex-col gap-1">x<input className={input} value={chart.x ?? ""} aria-label="x column" onChange={(e) => setChart({ ...chart, x: e.target.value || null })} /></label>
      <label className="flex flex-col gap-1">
        y (comma-separated)
        <input className={input} value={chart.y.join(", ")} aria-label="y columns" onChange={(e) => setChart({ ...chart, y: e.target.value.split(",").map((s) => s.trim()).filter(Boolean) })} />
      </label>
      <label className="flex flex-col gap-1">series<input className={input} value={chart.series ?? ""} aria-label="series column" onChange={(e) => setChart({ ...chart, series: e.target.value || null })} /></label>
      <button type="submit" className="rounded-md bg-accent px-3 py-1.5 font-semibold text-white">Save panel</button>
      <button type="button" className="rounded-md px-3 py-1.5 text-muted hover:bg-subtle" onClick={onDone}>Cancel</button>
      {error && <p className="w-full text-[var(--rw-bad)]">{error}</p>}
    </form>
  );
}

/** The SQL console: schema browser, editor, run/cancel, status line and the result table. */
export function SqlConsole() {
  const shared = useMemo(() => panelFromHash(window.location.hash), []);
  const [query, setQuery] = useState(shared?.query ?? readHistory()[0] ?? FIRST_QUERY);
  const [tables, setTables] = useState<TableInfo[]>([]);
  const [snippets, setSnippets] = useState<Snippet[]>([]);
  const [history, setHistory] = useState<string[]>(() => readHistory());
  const [result, setResult] = useState<SqlResult | null>(null);
  const [running, setRunning] = useState(false);
  const [elapsed, setElapsed] = useState<number | null>(null);
  const [saving, setSaving] = useState(shared !== null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const abortRef = useRef<AbortController | null>(null);
  const runIds = useApp(useShallow(selectedRunIds));
  const runIdsRef = useRef(runIds);
  runIdsRef.current = runIds;

  useEffect(() => {
    fetchSchema().then(setTables, (e: unknown) => setLoadError(String(e)));
    fetchSnippets().then(setSnippets, () => setSnippets([]));
  }, []);

  const schema = useMemo<SQLNamespace>(() => {
    const ns: Record<string, string[]> = {};
    for (const t of tables) ns[t.name] = t.columns.map((c) => c.name);
    return ns;
  }, [tables]);

  const run = useCallback(() => {
    if (abortRef.current) return;
    const controller = new AbortController();
    abortRef.current = controller;
    setRunning(true);
    const began = performance.now();
    setHistory(pushHistory(query));
    runSql(query, selectionParams(runIdsRef.current, query), controller.signal)
      .then(setResult, (err: unknown) => {
        const aborted = err instanceof DOMException && err.name === "AbortError";
        setResult({ columns: [], types: [], rows: [], summary: null, error: { message: aborted ? "Cancelled: the query was stopped on the server." : String(err), code: 0 } });
      })
      .finally(() => {
        abortRef.current = null;
        setRunning(false);
        setElapsed(performance.now() - began);
      });
  }, [query]);

  const cancel = () => abortRef.current?.abort();
  const insert = (text: string, replace: boolean) => setQuery((q) => (replace ? text : `${q}${q.endsWith(" ") || !q ? "" : " "}${text}`));
  const summary = result?.summary;

  return (
    <div className="flex min-h-0 flex-1" data-testid="sql-console">
      <SchemaBrowser tables={tables} snippets={snippets} history={history} onInsert={insert} />
      <div className="flex min-w-0 flex-1 flex-col gap-3 px-5 py-4">
        <div className="h-56 flex-none overflow-hidden rounded-xl border border-line">
          <SqlEditor value={query} onChange={setQuery} onRun={run} schema={schema} />
        </div>
        <div className="flex flex-wrap items-center gap-3 text-sm">
          <button type="button" className="rounded-md bg-accent px-3 py-1.5 font-semibold text-white disabled:opacity-50" onClick={run} disabled={running} data-testid="sql-run">
            Run <span className="font-normal opacity-80">Ctrl/⌘-Enter</span>
          </button>
          <button type="button" className="rounded-md border border-line px-3 py-1.5 disabled:opacity-40" onClick={cancel} disabled={!running} data-testid="sql-cancel">
            Cancel
          </button>
          <button type="button" className="rounded-md border border-line px-3 py-1.5" onClick={() => setSaving(true)}>
            Save as panel
          </button>
          <span className="text-xs text-muted" data-testid="sql-params">
            {"{run_ids:Array(String)}"} = {runIds.length} selected run{runIds.length === 1 ? "" : "s"} · {"{run_id:String}"} = {runIds[0] ?? "—"}
          </span>
          <span className="ml-auto text-xs text-muted" data-testid="sql-status">
            {running
              ? "Running…"
              : summary
                ? `${summary.result_rows.toLocaleString()} rows${summary.truncated ? " (cut at the row limit)" : ""} · ${(summary.elapsed_ms / 1000).toFixed(3)} s · read ${(summary.read_rows ?? 0).toLocaleString()} rows, ${formatBytes(summary.read_bytes ?? 0)}`
                : elapsed !== null
                  ? `${(elapsed / 1000).toFixed(3)} s`
                  : ""}
          </span>
        </div>
        {saving && <SavePanel query={query} initial={{ name: shared?.name ?? "", chart: shared?.chart ?? DEFAULT_CHART }} onDone={() => setSaving(false)} />}
        {loadError && <p className="text-sm text-[var(--rw-bad)]">{loadError}</p>}
        {result?.error && (
          <pre className="whitespace-pre-wrap rounded-xl border border-[var(--rw-bad)] bg-card p-3 font-mono text-xs text-[var(--rw-bad)]" data-testid="sql-error">
            {result.error.message}
          </pre>
        )}
        {result && result.columns.length > 0 && <ResultTable result={result} />}
      </div>
    </div>
  );
}
