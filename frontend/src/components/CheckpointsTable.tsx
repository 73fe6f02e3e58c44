import { useEffect, useMemo, useState } from "react";
import { useShallow } from "zustand/react/shallow";

import { fetchCheckpoints } from "../api/http";
import { useApp } from "../app/services";
import { formatBytes, formatDateTime, formatNumber, formatStep } from "../core/format";
import type { Checkpoint } from "../core/types";
import { decodeValue } from "../core/values";
import { colorOf, runLabel } from "../store/runsSlice";
import { selectedRunIds } from "../store/selectors";
import { CopyIcon } from "./icons";

interface Row extends Checkpoint {
  runId: string;
}

const REFRESH_MS = 15_000;

/** A signature of the checkpoint series of the selected runs: refetch when it changes. */
function checkpointSignature(runIds: readonly string[], revs: Map<string, number>): string {
  return runIds.map((id) => `${id}:${revs.get(id) ?? 0}`).join(",");
}

/** Checkpoints of the selected runs, newest first, from GET /checkpoints/{run_id}. */
export function CheckpointsTable() {
  const { runIds, runs, colors, signature } = useApp(
    useShallow((s) => {
      const ids = selectedRunIds(s);
      const revs = new Map<string, number>();
      for (const series of s.series.values()) if (series.metric === "checkpoint") revs.set(series.runId, series.step.length);
      return { runIds: ids.join("\u0000"), runs: s.runs, colors: s.runColors, signature: checkpointSignature(ids, revs) };
    }),
  );
  const [rows, setRows] = useState<Row[] | null>(null);
  const [failed, setFailed] = useState<string[]>([]);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    const id = setInterval(() => setTick((t) => t + 1), REFRESH_MS);
    return () => clearInterval(id);
  }, []);

  useEffect(() => {
    const abort = new AbortController();
    const ids = runIds === "" ? [] : runIds.split("\u0000").slice(0, 60);
    void Promise.allSettled(ids.map((id) => fetchCheckpoints(id, abort.signal))).then((results) => {
      if (abort.signal.aborted) return;
      const next: Row[] = [];
      const bad: string[] = [];
      results.forEach((result, i) => {
        if (result.status === "fulfilled") for (const cp of result.value.checkpoints) next.push({ ...cp, runId: ids[i] as string });
        else bad.push(ids[i] as string);
      });
      next.sort((a, b) => b.time - a.time || b.step - a.step);
      setRows(next);
      setFailed(bad);
    });
    return () => abort.abort();
  }, [runIds, signature, tick]);

  const metricNames = useMemo(() => {
    const names = new Set<string>();
    for (const row of rows ?? []) for (const name of Object.keys(row.metrics ?? {})) names.add(name);
    return [...names].sort();
  }, [rows]);

  if (rows === null) return <p className="py-8 text-center text-sm text-muted">Loading checkpoints…</p>;
  if (rows.length === 0) {
    return (
      <div className="rounded-xl border border-dashed border-line px-6 py-10 text-center text-sm text-muted" data-testid="checkpoints-empty">
        No checkpoints for the selected runs yet. Log one with <code className="font-mono text-fg">run.log_checkpoint(path, step=…)</code>.
        {failed.length > 0 && <div className="mt-2 text-xs">Could not read {failed.length} run(s).</div>}
      </div>
    );
  }
  return (
    <div className="overflow-x-auto rounded-xl border border-line bg-card" data-testid="checkpoints-table">
      <table className="w-full text-left text-[0.8125rem]">
        <thead className="border-b border-line text-[0.6875rem] uppercase tracking-wider text-muted">
          <tr>
            <th className="px-4 py-2.5 font-semibold">Run</th>
            <th className="px-3 py-2.5 text-right font-semibold">Step</th>
            <th className="px-3 py-2.5 font-semibold">Time</th>
            <th className="px-3 py-2.5 font-semibold">Path</th>
            <th className="px-3 py-2.5 text-right font-semibold">Size</th>
            {metricNames.map((name) => (
              <th key={name} className="px-3 py-2.5 text-right font-semibold normal-case tracking-normal">
                {name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={`${row.runId}-${row.step}-${row.time}-${row.path}`} className="border-b border-line last:border-0 hover:bg-subtle/60">
              <td className="px-4 py-2">
                <span className="inline-flex items-center gap-2">
                  <span className="h-2.5 w-2.5 rounded-[3px]" style={{ background: colorOf({ runColors: colors }, row.runId) }} aria-hidden="true" />
                  <span className="font-medium">{runLabel(runs.get(row.runId), row.runId)}</span>
                </span>
              </td>
              <td className="px-3 py-2 text-right tabular-nums">{formatStep(row.step)}</td>
              <td className="whitespace-nowrap px-3 py-2 text-muted tabular-nums">{formatDateTime(row.time)}</td>
              <td className="max-w-[28rem] px-3 py-2">
                <span className="flex items-center gap-1.5">
                  <code className="truncate font-mono text-xs" title={row.path}>
                    {row.path}
                  </code>
                  <button
                    type="button"
                    className="flex-none rounded p-1 text-muted hover:bg-subtle hover:text-fg"
                    aria-label={`Copy path ${row.path}`}
                    onClick={() => void navigator.clipboard?.writeText(row.path)}
                  >
                    <CopyIcon size={13} />
                  </button>
                </span>
              </td>
              <td className="px-3 py-2 text-right tabular-nums">{row.size_bytes == null ? "—" : formatBytes(row.size_bytes)}</td>
              {metricNames.map((name) => {
                const raw = row.metrics?.[name];
                return (
                  <td key={name} className="px-3 py-2 text-right tabular-nums">
                    {raw === undefined ? <span className="text-muted">—</span> : formatNumber(decodeValue(raw))}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
