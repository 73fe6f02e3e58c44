import { useApp, useServices } from "../app/services";
import { formatAgo, formatClock, formatDuration, formatRate, formatStep } from "../core/format";
import { attentionRank, recentlyEnded, shownStatus, type Liveness, type ShownStatus } from "../core/freshness";
import { etaSeconds, stepRate, totalSteps } from "../core/progress";
import type { RunInfo } from "../core/types";
import { colorOf, runLabel } from "../store/runsSlice";
import type { SeriesData } from "../store/seriesSlice";
import type { AppState } from "../store/store";
import { isRunSelected } from "../store/uiSlice";
import { StatusTag } from "./RunBadge";
import { useLiveness } from "./useLiveness";

export interface RunProgress {
  run: RunInfo;
  step: number;
  total: number | null;
  rate: number | null;
  eta: number | null;
  shown: ShownStatus;
}

export interface ProgressOptions {
  now: number;
  keepEndedMs: number;
  staleAfterSec: number;
  level: Liveness;
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

/**
 * Active runs and the ones that ended (finished, failed, went stale) within keepEndedMs,
 * those needing attention first: a run that diverged and failed at 3 am is still on the
 * wall in the morning.
 */
export function progressOf(state: AppState, options: ProgressOptions): RunProgress[] {
  const { now, keepEndedMs, staleAfterSec, level } = options;
  const out: RunProgress[] = [];
  for (const runId of state.runOrder) {
    const run = state.runs.get(runId);
    if (!run || !isRunSelected(state.selection, runId)) continue;
    if (!run.is_active && !recentlyEnded(run, now, keepEndedMs)) continue;
    const pace = paceSeries(state, runId);
    const seriesStep = pace && pace.step.length > 0 ? (pace.step[pace.step.length - 1] as number) : 0;
    const step = Math.max(run.latest_step ?? 0, seriesStep);
    const total = totalSteps(run.config);
    const rate = pace ? stepRate(pace.step, pace.time) : null;
    const shown = shownStatus(run, now, staleAfterSec, level);
    const live = shown === "running";
    out.push({ run, step, total, rate: live ? rate : null, eta: live ? etaSeconds(step, total, rate) : null, shown });
  }
  // stable: runOrder (newest first) within one rank
  return out.sort((a, b) => attentionRank(a.shown) - attentionRank(b.shown));
}

/** Per active or recently ended run: status, step / total, a bar, step rate, ETA. Refreshed every second. */
export function ProgressView() {
  const { store } = useServices();
  const { level, staleAfterSec, now } = useLiveness();
  useApp((s) => s.structureRev + s.runOrder.length);
  const keepEndedMs = useApp((s) => s.keepEndedMs);
  const state = store.getState();
  const rows = progressOf(state, { now, keepEndedMs, staleAfterSec, level });
  if (rows.length === 0) {
    return (
      <div className="rounded-xl border border-dashed border-line px-6 py-10 text-center text-sm text-muted" data-testid="progress-empty">
        No run among the selected ones is active or ended in the last {formatDuration(keepEndedMs / 1000)}.
      </div>
    );
  }
  return (
    <div className="grid gap-3 grid-cols-[repeat(auto-fill,minmax(min(100%,26rem),1fr))]" data-testid="progress">
      {rows.map(({ run, step, total, rate, eta, shown }) => {
        const pct = total ? Math.min(100, (step / total) * 100) : null;
        const color = colorOf(state, run.run_id);
        const ended = shown !== "running" && shown !== "unknown";
        const border = shown === "failed" ? "border-bad/70" : shown === "stale" ? "border-warn/70" : "border-line";
        return (
          <article
            key={run.run_id}
            className={`rounded-xl border-2 ${border} bg-card p-4`}
            data-testid="progress-row"
            data-run-id={run.run_id}
            data-status={shown}
          >
            <header className="mb-3 flex items-center gap-2">
              <span className="h-3 w-3 rounded-[3px]" style={{ background: color }} aria-hidden="true" />
              <h3 className="min-w-0 flex-1 truncate font-semibold">{runLabel(run, run.run_id)}</h3>
              <StatusTag status={shown} />
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
                <dt className="text-muted">{ended ? "Last point" : "Rate"}</dt>
                <dd className="font-medium tabular-nums" data-testid="last-point">
                  {ended
                    ? run.last_event_time !== null
                      ? formatAgo(run.last_event_time, now)
                      : "—"
                    : rate === null
                      ? "—"
                      : formatRate(rate)}
                </dd>
              </div>
              <div>
                <dt className="text-muted">{ended ? "Final step" : "ETA"}</dt>
                <dd className="font-medium tabular-nums" data-testid="eta">
                  {ended
                    ? formatStep(step)
                    : total !== null && step >= total
                      ? "done"
                      : eta === null
                        ? total === null
                          ? "no total_steps"
                          : "—"
                        : formatDuration(eta)}
                </dd>
              </div>
              <div>
                <dt className="text-muted">{ended ? "Ended" : eta === null ? "Running for" : "Done at"}</dt>
                <dd className="font-medium tabular-nums">
                  {ended
                    ? run.last_event_time !== null
                      ? formatClock(run.last_event_time)
                      : "—"
                    : eta !== null
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
