import { memo } from "react";

import { useApp } from "../app/services";
import { firingCountForRun } from "../store/alertsSlice";

import { formatAgo, formatStep } from "../core/format";
import type { RunInfo } from "../core/types";
import { runLabel } from "../store/runsSlice";

export type RunHealth = "active" | "inactive" | "warning";

/** Green: storing data now. Amber: failed, or running but silent (stale). Grey: otherwise. */
export function runHealth(run: RunInfo): RunHealth {
  if (run.status === "failed" || run.status === "crashed" || run.status === "stale") return "warning";
  return run.is_active ? "active" : "inactive";
}

const HEALTH_DOT: Record<RunHealth, string> = { active: "bg-ok", inactive: "bg-idle", warning: "bg-warn" };
const HEALTH_TEXT: Record<RunHealth, string> = { active: "active", inactive: "inactive", warning: "needs attention" };

/** The chip's word for a run that needs a look: crashed, failed (oom), stale. */
export function statusChip(run: RunInfo): string | null {
  if (run.status === "failed") return run.failure?.reason === "oom" ? "oom" : "failed";
  if (run.status === "crashed" || run.status === "stale") return run.status;
  return null;
}

function StatusChips({ run, large }: { run: RunInfo; large: boolean }) {
  const firing = useApp((s) => firingCountForRun(s, run.run_id));
  const chip = statusChip(run);
  const size = large ? "px-1.5 text-xs" : "px-1 text-[0.625rem]";
  return (
    <>
      {chip && (
        <span
          className={`flex-none rounded ${size} font-semibold uppercase tracking-wide ${
            chip === "stale" ? "bg-warn/15 text-warn" : "bg-bad/15 text-bad"
          }`}
          data-testid="run-status-chip"
        >
          {chip}
        </span>
      )}
      {firing > 0 && (
        <span className={`flex-none rounded-full bg-bad ${size} font-semibold text-white`} data-testid="run-alert-chip" title={`${firing} alert(s) firing`}>
          {firing}
        </span>
      )}
    </>
  );
}

export const RunBadge = memo(function RunBadge(props: {
  run: RunInfo;
  color: string;
  selected: boolean;
  large?: boolean;
  onToggle: (runId: string) => void;
}) {
  const { run, color, selected, large = false, onToggle } = props;
  const health = runHealth(run);
  const label = runLabel(run, run.run_id);
  const details = [
    `${label}${label !== run.run_id ? ` (${run.run_id})` : ""}`,
    run.project && `project ${run.project}`,
    `status ${run.status}${run.is_active ? ", active" : ""}`,
    run.failure && `failed: ${run.failure.type}: ${run.failure.message}`,
    run.latest_step !== null && `step ${formatStep(run.latest_step)}`,
    run.last_event_time !== null && `last data ${formatAgo(run.last_event_time, Date.now())}`,
    run.hosts.length > 0 && `hosts ${run.hosts.join(", ")}`,
  ]
    .filter(Boolean)
    .join("\n");
  return (
    <button
      type="button"
      aria-pressed={selected}
      aria-label={`${label}, ${HEALTH_TEXT[health]}, ${selected ? "shown" : "hidden"}`}
      title={details}
      data-testid="run-badge"
      data-run-id={run.run_id}
      data-selected={selected}
      data-status={run.status}
      data-health={health}
      onClick={() => onToggle(run.run_id)}
      className={`group inline-flex max-w-[16rem] items-center gap-1.5 rounded-full border transition-all ${
        large ? "px-3.5 py-1.5 text-base" : "px-2.5 py-[3px] text-xs"
      } ${
        selected
          ? "border-line bg-card text-fg shadow-[0_1px_0_rgb(0_0_0/0.03)] hover:border-muted/50"
          : "border-dashed border-line bg-transparent text-muted opacity-60 hover:opacity-100"
      }`}
    >
      <span
        className={`inline-block flex-none rounded-[3px] ${large ? "h-3 w-3" : "h-2.5 w-2.5"}`}
        style={selected ? { background: color } : { boxShadow: `inset 0 0 0 1.5px ${color}` }}
        aria-hidden="true"
      />
      <span className="truncate font-medium">{label}</span>
      <StatusChips run={run} large={large} />
      <span
        className={`inline-block flex-none rounded-full ${large ? "h-2 w-2" : "h-1.5 w-1.5"} ${HEALTH_DOT[health]} ${
          health === "active" ? "shadow-[0_0_0_2px_color-mix(in_srgb,var(--rw-ok)_25%,transparent)]" : ""
        }`}
        aria-hidden="true"
      />
    </button>
  );
});
