import { useApp, useServices } from "../app/services";
import { formatClock, formatDuration, formatRate, formatStep } from "../core/format";
import { etaSeconds, stepRate, totalSteps } from "../core/progress";
import type { RunInfo } from "../core/types";
import { colorOf, runLabel } from "../store/runsSlice";
import type { SeriesData } from "../store/seriesSlice";
import type { AppState } from "../store/store";
import { isRunSelected } from "../store/uiSlice";
import { runHealth } from "./RunBadge";
import { useNow } from "./useNow";

export interface RunProgress {
  run: RunInfo;
  step: number;
  total: number | null;
  rate: number | null;
  eta: number | null;
}

/** The series that tells a run's pace best: a training metric with the most recent point. */
function paceSeries(state: AppState, runId: string): SeriesData | null {
  let best: SeriesData | null = null;
  let bestScore = -Infinity;
  for (const s of state.series.values()) {
    if (s.runId !== runId || s.step.length < 2) continue;
    const system = s.metric.startsWith("sys.") || s.metric.startsWith("agent.") || s.metric === "checkpoint";
    const score = (s.time[s.time.length - 1] as number) - (system ? 1e12 : 0) + s.step.length;
    if (score > bestScore) {
      best = s;
      bestScore = score;
    }
  }
  return best;
}

export function progressOf(state: AppState): RunProgress[] {
  const out: RunProgress[] = [];
  for (const runId of state.runOrder) {
    const run = state.runs.get(runId);
    if (!run || !run.is_active || !isRunSelected(state.selection, runId)) continue;
    const pace = paceSeries(state, runId);
    const seriesStep = pace && pace.step.length > 0 ? (pace.step[pace.step.length - 1] as number) : 0;
    const step = Math.max(run.latest_step ?? 0, seriesStep);
    const total = totalSteps(run.config);
    const rate = pace ? stepRate(pace.step, pace.time) : null;
    out.push({ run, step, total, rate, eta: etaSeconds(step, total, rate) });
  }
  return out;
}

/** Per active run: step / total, a bar, step rate, ETA. Refreshed every second. */
export function ProgressView() {
  const { store } = useServices();
  const now = useNow(1000);
  useApp((s) => s.structureRev + s.runOrder.length);
  const state = store.getState();
  const rows = progressOf(state);
  if (rows.length === 0) {
    return (
      <div className="rounded-xl border border-dashed border-line px-6 py-10 text-center text-sm text-muted" data-testid="progress-empty">
        No active run among the selected ones. A run is active while it stores data.
      </div>
    );
  }
  return (
    <div className="grid gap-3 grid-cols-[repeat(auto-fill,minmax(min(100%,26rem),1fr))]" data-testid="progress">
      {rows.map(({ run, step, total, rate, eta }) => {
        const pct = total ? Math.min(100, (step / total) * 100) : null;
        const color = colorOf(state, run.run_id);
        const health = runHealth(run);
        return (
          <article key={run.run_id} className="rounded-xl border border-line bg-card p-4" data-testid="progress-row" data-run-id={run.run_id}>
            <header className="mb-3 flex items-center gap-2">
              <span className="h-3 w-3 rounded-[3px]" style={{ background: color }} aria-hidden="true" />
              <h3 className="min-w-0 flex-1 truncate font-semibold">{runLabel(run, run.run_id)}</h3>
              <span className={`rounded-full px-2 py-0.5 text-[0.6875rem] font-medium ${health === "warning" ? "bg-warn/15 text-warn" : "bg-ok/15 text-ok"}`}>
                {run.status}
              </span>
            </header>
            <div className="mb-1.5 flex items-baseline justify-between gap-2">
              <span className="text-2xl font-semibold tabular-nums tracking-tight">
                {formatStep(step)}
                {total !== null && <span className="text-base font-normal text-muted"> / {formatStep(total)}</span>}
              </span>
              {pct !== null && <span className="text-sm font-semibold tabular-nums">{pct.toFixed(1)}%</span>}
            </div>
            <div
              className="h-2 overflow-hidden rounded-full bg-subtle"
              role="progressbar"
              aria-label={`Progress of ${runLabel(run, run.run_id)}`}
              aria-valuemin={0}
              aria-valuemax={total ?? undefined}
              aria-valuenow={step}
            >
              <div className="h-full rounded-full transition-[width] duration-700" style={{ width: `${pct ?? 0}%`, background: color }} />
            </div>
            <dl className="mt-3 grid grid-cols-3 gap-2 text-xs">
              <div>
                <dt className="text-muted">Rate</dt>
                <dd className="font-medium tabular-nums">{rate === null ? "—" : formatRate(rate)}</dd>
              </div>
              <div>
                <dt className="text-muted">ETA</dt>
                <dd className="font-medium tabular-nums" data-testid="eta">
                  {total !== null && step >= total ? "done" : eta === null ? (total === null ? "no total_steps" : "—") : formatDuration(eta)}
                </dd>
              </div>
              <div>
                <dt className="text-muted">{eta === null ? "Running for" : "Done at"}</dt>
                <dd className="font-medium tabular-nums">
                  {eta !== null
                    ? formatClock(now + eta * 1000)
                    : run.start_time !== null
                      ? formatDuration((now - run.start_time) / 1000)
                      : "—"}
                </dd>
              </div>
            </dl>
          </article>
        );
      })}
    </div>
  );
}
