import { useEffect, useState } from "react";
import { useShallow } from "zustand/react/shallow";

import { fetchHistogramMetrics, fetchHistograms, type HistogramData } from "../api/rich";
import { useApp } from "../app/services";
import { colorOf, runLabel } from "../store/runsSlice";
import { selectedRunIds } from "../store/selectors";
import { DistributionCard } from "./DistributionCard";
import { usePoll } from "./usePoll";

const MAX_RUNS = 8;
const MAX_STEPS = 200;
const REFRESH_MS = 3_000;

/** The Distributions tab: a card per histogram metric per selected run, refreshed live. */
export function DistributionsView() {
  const { runIds, runs, colors, theme } = useApp(
    useShallow((s) => ({ runIds: selectedRunIds(s).slice(0, MAX_RUNS).join("\u0000"), runs: s.runs, colors: s.runColors, theme: s.theme })),
  );
  const tick = usePoll(REFRESH_MS);
  const [data, setData] = useState<HistogramData[] | null>(null);
  const filter = useApp((s) => s.panelFilter.trim().toLowerCase());

  useEffect(() => {
    const abort = new AbortController();
    const ids = runIds === "" ? [] : runIds.split("\u0000");
    void (async () => {
      const perRun = await Promise.allSettled(ids.map((id) => fetchHistogramMetrics(id, abort.signal)));
      const wanted: [string, string][] = [];
      perRun.forEach((result, i) => {
        if (result.status === "fulfilled") for (const m of result.value) wanted.push([ids[i] as string, m.metric]);
      });
      const answers = await Promise.allSettled(wanted.map(([id, metric]) => fetchHistograms(id, metric, MAX_STEPS, abort.signal)));
      if (abort.signal.aborted) return;
      const next = answers.flatMap((a) => (a.status === "fulfilled" && a.value.histograms.length > 0 ? [a.value] : []));
      next.sort((a, b) => a.metric.localeCompare(b.metric, "en", { numeric: true }) || ids.indexOf(a.run_id) - ids.indexOf(b.run_id));
      setData(next);
    })();
    return () => abort.abort();
  }, [runIds, tick]);

  if (data === null) return <p className="py-8 text-center text-sm text-muted">Loading distributions…</p>;
  const shown = filter ? data.filter((d) => d.metric.toLowerCase().includes(filter)) : data;
  if (shown.length === 0) {
    return (
      <div className="rounded-xl border border-dashed border-line px-6 py-10 text-center text-sm text-muted" data-testid="distributions-empty">
        No histograms for the selected runs. Log one with{" "}
        <code className="rounded bg-subtle px-1 font-mono text-xs text-fg">{'run.log({"grad/w": runwatch.Histogram(tensor)})'}</code>.
      </div>
    );
  }
  return (
    <div className="grid gap-3 [grid-template-columns:repeat(auto-fill,minmax(min(100%,24rem),1fr))]" data-testid="distributions">
      {shown.map((d) => (
        <DistributionCard
          key={`${d.run_id}\u0000${d.metric}`}
          runId={d.run_id}
          runLabel={runLabel(runs.get(d.run_id), d.run_id)}
          color={colorOf({ runColors: colors }, d.run_id)}
          metric={d.metric}
          histograms={d.histograms}
          theme={theme}
        />
      ))}
    </div>
  );
}
