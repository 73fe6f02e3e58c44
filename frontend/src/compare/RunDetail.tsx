import { useEffect, useState } from "react";

import { fetchCheckpoints } from "../api/http";
import { formatDateTime } from "../core/format";
import { exportUrl, fetchRunDetail, type RunDetail as Detail } from "./api";
import { useRunColor } from "./useRunColor";

function Tree({ value, depth = 0 }: { value: unknown; depth?: number }) {
  if (value === null || typeof value !== "object") {
    return <span className="font-mono text-fg">{JSON.stringify(value)}</span>;
  }
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  if (entries.length === 0) return <span className="font-mono text-muted">{Array.isArray(value) ? "[]" : "{}"}</span>;
  return (
    <ul className={depth > 0 ? "ml-3 border-l border-line pl-2" : ""}>
      {entries.map(([k, v]) => (
        <li key={k} className="py-0.5">
          {v !== null && typeof v === "object" ? (
            <details open={depth < 2}>
              <summary className="cursor-pointer text-muted">{k}</summary>
              <Tree value={v} depth={depth + 1} />
            </details>
          ) : (
            <>
              <span className="text-muted">{k}: </span>
              <Tree value={v} depth={depth + 1} />
            </>
          )}
        </li>
      ))}
    </ul>
  );
}

function Field({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="grid grid-cols-[7rem_1fr] gap-2 py-1 text-[0.8125rem]">
      <dt className="text-muted">{label}</dt>
      <dd className="min-w-0 break-words">{children}</dd>
    </div>
  );
}

/** One run in full: config tree, tags, env, host, git, status, checkpoints, links. */
export function RunDetail({ runId, onClose, onShowCharts }: { runId: string; onClose: () => void; onShowCharts: (runId: string) => void }) {
  const [detail, setDetail] = useState<{ id: string; run: Detail | null; error: string | null; checkpoints: number | null }>({
    id: "",
    run: null,
    error: null,
    checkpoints: null,
  });
  useEffect(() => {
    const abort = new AbortController();
    Promise.all([fetchRunDetail(runId, abort.signal), fetchCheckpoints(runId, abort.signal).catch(() => null)])
      .then(([run, cps]) => setDetail({ id: runId, run, error: null, checkpoints: cps ? cps.checkpoints.length : null }))
      .catch((e: unknown) => {
        if (!abort.signal.aborted) setDetail({ id: runId, run: null, error: String(e), checkpoints: null });
      });
    return () => abort.abort();
  }, [runId]);
  const colorFor = useRunColor();
  const run = detail.id === runId ? detail.run : null;
  const env = run?.env ?? {};
  return (
    <aside className="flex w-[26rem] flex-none flex-col overflow-y-auto rounded-xl border border-line bg-card p-4" data-testid="run-detail" aria-label={`Run ${runId}`}>
      <div className="mb-3 flex items-center gap-2">
        <span className="h-3 w-3 rounded-full" style={{ background: colorFor(runId) }} aria-hidden />
        <h2 className="min-w-0 flex-1 truncate font-semibold">{run?.name ?? runId}</h2>
        <button type="button" className="rounded px-2 text-muted hover:bg-subtle hover:text-fg" aria-label="Close the run detail" onClick={onClose}>
          ✕
        </button>
      </div>
      {detail.error && detail.id === runId && <p className="text-sm text-bad">{detail.error}</p>}
      {run && (
        <>
          <dl className="mb-3">
            <Field label="run id">
              <span className="font-mono">{run.run_id}</span>
            </Field>
            <Field label="project">{run.project || "—"}</Field>
            <Field label="status">
              {run.status}
              {run.failure ? ` — ${run.failure}` : ""}
            </Field>
            <Field label="started">{run.start_time ? formatDateTime(run.start_time) : "—"}</Field>
            <Field label="finished">{run.finished_time ? formatDateTime(run.finished_time) : "—"}</Field>
            <Field label="latest step">{run.latest_step ?? "—"}</Field>
            <Field label="user · host">
              {run.user || "—"} · {run.hosts.join(", ") || "—"}
            </Field>
            <Field label="git">
              <span className="font-mono">{run.git_commit || "—"}</span>
              {run.git_dirty ? " (dirty)" : ""}
            </Field>
            <Field label="tags">{run.tags.join(", ") || "—"}</Field>
            <Field label="checkpoints">{detail.checkpoints ?? "—"}</Field>
            <Field label="python">{String(env.python ?? "—")}</Field>
            <Field label="argv">
              <span className="font-mono text-xs">{Array.isArray(env.argv) ? env.argv.join(" ") : "—"}</span>
            </Field>
          </dl>
          <div className="mb-3 flex flex-wrap gap-2 text-xs">
            <button type="button" className="rounded-lg bg-accent-soft px-2.5 py-1 font-medium text-accent" onClick={() => onShowCharts(run.run_id)}>
              Show its charts
            </button>
            <a className="rounded-lg border border-line px-2.5 py-1 hover:bg-subtle" href={exportUrl(run.run_id, "csv")} download>
              Export CSV
            </a>
            <a className="rounded-lg border border-line px-2.5 py-1 hover:bg-subtle" href={exportUrl(run.run_id, "parquet")} download>
              Parquet
            </a>
          </div>
          <h3 className="mb-1 text-xs font-semibold uppercase tracking-wide text-muted">Config</h3>
          <div className="mb-3 text-[0.8125rem]" data-testid="config-tree">
            <Tree value={run.config} />
          </div>
          <details>
            <summary className="cursor-pointer text-xs font-semibold uppercase tracking-wide text-muted">Environment</summary>
            <div className="mt-1 text-[0.8125rem]">
              <Tree value={env} />
            </div>
          </details>
        </>
      )}
    </aside>
  );
}
