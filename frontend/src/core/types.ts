/** Wire types: exactly the shapes of ARCHITECTURE.md ("Wire contracts"). */

/** A value as it travels: JSON has no NaN, so non-finite values are strings. */
export type WireValue = number | "NaN" | "Infinity" | "-Infinity" | null;

export type RunStatus = "running" | "finished" | "failed" | "crashed" | "stale";

/** Why a run failed, as its agent recorded it. */
export interface RunFailure {
  reason: "exception" | "oom" | "keyboard_interrupt" | "signal" | "exit_code" | string;
  type: string;
  message: string;
}

export interface RunInfo {
  run_id: string;
  project: string;
  name: string;
  status: RunStatus;
  is_active: boolean;
  start_time: number | null;
  last_event_time: number | null;
  latest_step: number | null;
  config: Record<string, unknown>;
  tags: string[];
  hosts: string[];
  user: string;
  git_commit: string;
  point_count: number;
  /** The agent's last heartbeat (epoch ms); a running run whose heartbeat stopped is "crashed". */
  heartbeat_time?: number | null;
  failure?: RunFailure | null;
}

export interface WireSeries {
  run_id: string;
  metric: string;
  host: string;
  rank: number;
  device: number;
  unit: string;
  step: number[];
  time: number[];
  value: WireValue[];
  replace: boolean;
  /** Only in /metrics answers read from the per-minute rollup. */
  min?: WireValue[];
  max?: WireValue[];
}

export interface SnapshotMessage {
  version: number;
  max_points: number;
  runs: RunInfo[];
  series: WireSeries[];
}

export interface DeltaMessage {
  version: number;
  prev_version: number;
  series: WireSeries[];
}

export interface RunsMetaMessage {
  version: number;
  runs: RunInfo[];
}

/** The server's `status` event: is the data it streams current (backend live/status.py). */
export interface StatusMessage {
  state: "live" | "delayed";
  cause: "starting" | "clickhouse_unreachable" | "poll_failing" | "poll_late" | "poller_stopped" | null;
  error: string | null;
  /** Data is current up to this time (epoch ms) while delayed. */
  since: number | null;
  last_poll: number | null;
  stale_after_sec: number;
  ping_sec: number;
}

export interface TabDefinition {
  id: string;
  title: string;
  prefixes: string[];
}

export interface TabsConfig {
  tabs: TabDefinition[];
  fallback: string;
}

export interface MetricsResponse {
  run_id: string;
  metric: string;
  source: "raw" | "rollup_1m";
  series: WireSeries[];
}

export interface Checkpoint {
  step: number;
  time: number;
  path: string;
  size_bytes: number | null;
  metrics: Record<string, WireValue>;
}

export interface CheckpointsResponse {
  run_id: string;
  checkpoints: Checkpoint[];
}

/** The device value of a series that is not a per-device metric. */
export const NO_DEVICE = 65535;
