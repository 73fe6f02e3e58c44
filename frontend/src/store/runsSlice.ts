import { colorForRun } from "../core/colors";
import type { RunInfo } from "../core/types";

/** Runs slice: every run the dashboard knows, and the order badges and series follow. */
export interface RunsSlice {
  runs: ReadonlyMap<string, RunInfo>;
  /** Newest first (start_time), then by id: stable across updates. */
  runOrder: readonly string[];
  /** Colours the user picked (kept in the browser); colorOf() falls back to the id's hash. */
  runColors: ReadonlyMap<string, string>;
}

export const initialRuns: RunsSlice = { runs: new Map(), runOrder: [], runColors: new Map() };

export function colorOf(state: { runColors: ReadonlyMap<string, string> }, runId: string): string {
  return state.runColors.get(runId) ?? colorForRun(runId);
}

/** runOrder for a runs map (colours depend on nothing but the id and the user). */
export function derivedRuns(runs: ReadonlyMap<string, RunInfo>): Pick<RunsSlice, "runOrder"> {
  return { runOrder: orderRuns(runs) };
}

/** A stand-in for a run whose points arrived before its metadata did. */
export function placeholderRun(runId: string): RunInfo {
  return {
    run_id: runId,
    project: "",
    name: "",
    status: "running",
    is_active: true,
    start_time: null,
    last_event_time: null,
    latest_step: null,
    config: {},
    tags: [],
    hosts: [],
    user: "",
    git_commit: "",
    point_count: 0,
  };
}

export function orderRuns(runs: ReadonlyMap<string, RunInfo>): string[] {
  return [...runs.values()]
    .sort((a, b) => (b.start_time ?? -1) - (a.start_time ?? -1) || (a.run_id < b.run_id ? -1 : a.run_id > b.run_id ? 1 : 0))
    .map((run) => run.run_id);
}

export function runsSlice(list: readonly RunInfo[], keep: Iterable<string> = []): Pick<RunsSlice, "runs" | "runOrder"> {
  const runs = new Map<string, RunInfo>();
  for (const run of list) runs.set(run.run_id, normalizeRun(run));
  for (const runId of keep) if (!runs.has(runId)) runs.set(runId, placeholderRun(runId));
  return { runs, ...derivedRuns(runs) };
}

/** Fills fields an older or partial server may leave out, so views never meet undefined. */
export function normalizeRun(run: RunInfo): RunInfo {
  const base = placeholderRun(run.run_id);
  return {
    ...base,
    ...run,
    config: run.config ?? {},
    tags: run.tags ?? [],
    hosts: run.hosts ?? [],
  };
}

export function runLabel(run: RunInfo | undefined, runId: string): string {
  return run && run.name ? run.name : runId;
}
