import { memo } from "react";

import { useApp } from "../app/services";
import { firingCountForRun } from "../store/alertsSlice";

import { formatAgo, formatStep, middleEllipsis } from "../core/format";
import { shownStatus, STATUS_LOOK, type ShownStatus } from "../core/freshness";
import type { RunInfo } from "../core/types";
import { runLabel } from "../store/runsSlice";
import { useLiveness } from "./useLiveness";

export type RunHealth = "active" | "inactive" | "warning";

/** Green: storing data now. Amber: failed, or running but silent (stale). Grey: otherwise. */
export function runHealth(run: RunInfo, shown: ShownStatus = run.status): RunHealth {
  if (shown === "failed" || shown === "crashed" || shown === "stale") return "warning";
  if (shown === "unknown") return "inactive";
  return run.is_active ? "active" : "inactive";
}

const TONE_TEXT = { ok: "text-ok", warn: "text-warn", bad: "text-bad", idle: "text-muted" } as const;

/** The status as an icon + word (not a hue alone), with "last point N s ago". */
export function StatusTag({ status, large = false }: { status: ShownStatus; large?: boolean }) {
  const look = STATUS_LOOK[status];
  return (
    <span className={`inline-flex items-center gap-1 font-semibold ${TONE_TEXT[look.tone]} ${large ? "text-base" : "text-[0.6875rem]"}`} data-testid="status-tag" data-status={status}>
      <span aria-hidden="true">{look.icon}</span>
      {look.text}
    </span>
  );
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
  /** Right-click (or the context-menu key): the run's colour menu, opened at the pointer. */
  onPickColor?: (runId: string, at: { x: number; y: number }) => void;
}) {
  const { run, color, selected, large = false, onToggle, onPickColor } = props;
  const { level, staleAfterSec, now } = useLiveness();
  const shown = shownStatus(run, now, staleAfterSec, level);
  const health = runHealth(run, shown);
  const look = STATUS_LOOK[shown];
  const label = runLabel(run, run.run_id);
  const details = [
    `${label}${label !== run.run_id ? ` (${run.run_id})` : ""}`,
    run.project && `project ${run.project}`,
    `status ${look.text}${run.is_active && shown === "running" ? ", active" : ""}`,
    run.failure && `failed: ${run.failure.type}: ${run.failure.message}`,
    run.latest_step !== null && `step ${formatStep(run.latest_step)}`,
    run.last_event_time !== null && `last point ${formatAgo(run.last_event_time, now)}`,
    run.hosts.length > 0 && `hosts ${run.hosts.join(", ")}`,
    onPickColor && "right-click: change its colour",
  ]
    .filter(Boolean)
    .join("\n");
  return (
    <button
      type="button"
      aria-pressed={selected}
      aria-label={`${label}, ${look.text}, ${HEALTH_TEXT[health]}, ${selected ? "shown" : "hidden"}`}
      title={details}
      data-testid="run-badge"
      data-run-id={run.run_id}
      data-selected={selected}
      data-status={run.status}
      data-shown-status={shown}
      data-health={health}
      onClick={() => onToggle(run.run_id)}
      onContextMenu={
        onPickColor &&
        ((e) => {
          e.preventDefault();
          const box = e.currentTarget.getBoundingClientRect();
          // the keyboard's context-menu key reports 0,0: open under the badge then
          onPickColor(run.run_id, e.clientX || e.clientY ? { x: e.clientX, y: e.clientY } : { x: box.left, y: box.bottom + 4 });
        })
      }
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
      {/* cut from the middle: run names differ at the end (seeds, dates); the full one on hover */}
      <span className="truncate font-medium">{middleEllipsis(label, large ? 20 : 30)}</span>
      <StatusChips run={run} large={large} />
      {shown === "running" ? (
        <span
          className={`inline-block flex-none rounded-full ${large ? "h-2 w-2" : "h-1.5 w-1.5"} ${HEALTH_DOT[health]} ${
            health === "active" ? "shadow-[0_0_0_2px_color-mix(in_srgb,var(--rw-ok)_25%,transparent)]" : ""
          }`}
          aria-hidden="true"
        />
      ) : (
        <span className={`flex-none leading-none ${TONE_TEXT[look.tone]} ${large ? "text-sm" : "text-[0.625rem]"}`} aria-hidden="true">
          {look.icon}
        </span>
      )}
    </button>
  );
});
