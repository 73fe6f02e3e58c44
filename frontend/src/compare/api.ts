/** REST calls of the Runs view (see ARCHITECTURE.md, "REST"). */

import type { WireValue } from "../core/types";

export type ColumnKind = "number" | "string" | "list" | "time" | "duration";

export interface TableColumn {
  id: string;
  label: string;
  kind: ColumnKind;
  group: "run" | "config" | "summary";
}

export type Cell = string | number | boolean | null | unknown[] | Record<string, unknown>;

export interface RunsTable {
  columns: TableColumn[];
  rows: Cell[][];
  active: boolean[];
  total: number;
  matched: number;
}

export interface CompareResult {
  runs: { run_id: string; name: string; project: string; status: string; start_time: number | null }[];
  differ: Record<string, Record<string, unknown>>;
  same: Record<string, unknown>;
}

export interface RunDetail {
  run_id: string;
  name: string;
  project: string;
  status: string;
  is_active: boolean;
  start_time: number | null;
  finished_time: number | null;
  last_event_time: number | null;
  latest_step: number | null;
  config: Record<string, unknown>;
  tags: string[];
  hosts: string[];
  user: string;
  git_commit: string;
  git_dirty: boolean;
  env: Record<string, unknown>;
  failure: string | null;
  point_count: number;
}

export interface GroupSeries {
  key: Record<string, unknown>;
  label: string;
  runs: string[];
  size: number;
  step: number[];
  time: number[];
  mean: WireValue[];
  min: WireValue[];
  max: WireValue[];
  std: WireValue[];
  count: number[];
}

export interface SmoothedSeries {
  run_id: string;
  metric: string;
  host: string;
  rank: number;
  device: number;
  step: number[];
  time: number[];
  value: WireValue[];
  smoothed?: WireValue[];
  x?: WireValue[];
  /** A tail answer (tail_after_step): the held points from this step on are replaced. */
  from_step?: number;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const response = await fetch(path, { signal, headers: { Accept: "application/json" } });
  if (!response.ok) {
    let detail = `HTTP ${response.status}`;
    try {
      const body = (await response.json()) as { detail?: unknown };
      if (typeof body.detail === "string") detail = body.detail;
    } catch {
      // not JSON: keep the status line
    }
    throw new HttpError(response.status, detail);
  }
  return (await response.json()) as T;
}

export interface TableQuery {
  filter: string;
  sort: readonly string[];
  summaries: readonly string[];
}

export function tableParams(query: TableQuery, extra: Record<string, string | string[]> = {}): URLSearchParams {
  const q = new URLSearchParams();
  if (query.filter) q.set("filter", query.filter);
  for (const s of query.sort) q.append("sort", s);
  for (const s of query.summaries) q.append("summary", s);
  for (const [k, v] of Object.entries(extra)) for (const item of Array.isArray(v) ? v : [v]) q.append(k, item);
  return q;
}

/** `limit`: only the first rows (of the filtered, sorted table), for a quick first screen. */
export const fetchRunsTable = (query: TableQuery, signal?: AbortSignal, limit?: number) =>
  getJson<RunsTable>(`runs/table?${tableParams(query, limit === undefined ? {} : { limit: String(limit) }).toString()}`, signal);

export const fetchMetricNames = (signal?: AbortSignal) => getJson<{ metrics: string[] }>("runs/metrics", signal);

export const fetchRunDetail = (runId: string, signal?: AbortSignal) =>
  getJson<RunDetail>(`runs/${encodeURIComponent(runId)}`, signal);

export function fetchCompare(runIds: readonly string[], signal?: AbortSignal): Promise<CompareResult> {
  const q = new URLSearchParams();
  for (const id of runIds) q.append("run_id", id);
  return getJson<CompareResult>(`compare?${q.toString()}`, signal);
}

export function fetchGroups(
  metric: string,
  groupBy: readonly string[],
  runIds: readonly string[],
  signal?: AbortSignal,
): Promise<{ groups: GroupSeries[] }> {
  const q = new URLSearchParams({ metric, max_points: "1000" });
  for (const g of groupBy) q.append("group_by", g);
  for (const id of runIds) q.append("run_id", id);
  return getJson(`groups?${q.toString()}`, signal);
}

export function fetchSmoothed(
  runId: string,
  metric: string,
  params: Record<string, string>,
  signal?: AbortSignal,
): Promise<{ smoothed?: boolean; series: SmoothedSeries[] }> {
  const q = new URLSearchParams({ metric, max_points: "1500", ...params });
  return getJson(`metrics/${encodeURIComponent(runId)}?${q.toString()}`, signal);
}

export function exportUrl(runId: string, format: "csv" | "parquet" | "jsonl", metric?: string): string {
  const q = new URLSearchParams({ format });
  if (metric) q.set("metric", metric);
  return `export/${encodeURIComponent(runId)}?${q.toString()}`;
}

export function tableCsvUrl(query: TableQuery, columns: readonly string[]): string {
  return `runs/table?${tableParams(query, { format: "csv", column: [...columns] }).toString()}`;
}
