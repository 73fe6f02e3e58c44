import type { DeltaMessage, RunInfo, SnapshotMessage, WireSeries, WireValue } from "../core/types";

/** Shared builders for wire messages in tests. */

export function run(runId: string, patch: Partial<RunInfo> = {}): RunInfo {
  return {
    run_id: runId,
    project: "p",
    name: runId,
    status: "running",
    is_active: true,
    start_time: 1_700_000_000_000,
    last_event_time: 1_700_000_100_000,
    latest_step: 10,
    config: {},
    tags: [],
    hosts: ["h"],
    user: "u",
    git_commit: "",
    point_count: 0,
    ...patch,
  };
}

export function series(runId: string, metric: string, steps: number[], values: WireValue[], patch: Partial<WireSeries> = {}): WireSeries {
  return {
    run_id: runId,
    metric,
    host: "h",
    rank: 0,
    device: 65535,
    unit: "",
    step: steps,
    time: steps.map((s) => 1_700_000_000_000 + s * 1000),
    value: values,
    replace: false,
    ...patch,
  };
}

export function snapshot(version: number, runs: RunInfo[], list: WireSeries[], maxPoints = 2000): SnapshotMessage {
  return { version, max_points: maxPoints, runs, series: list };
}

export function delta(prev: number, version: number, list: WireSeries[]): DeltaMessage {
  return { version, prev_version: prev, series: list };
}
