import { parseTabsConfig } from "../core/tabs";
import type { CheckpointsResponse, MetricsResponse, TabsConfig } from "../core/types";

/** REST calls. Paths are relative so the app also works behind a proxy under a sub-path. */

async function getJson(path: string, signal?: AbortSignal): Promise<unknown> {
  const response = await fetch(path, { signal, headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

export async function fetchTabs(signal?: AbortSignal): Promise<TabsConfig | null> {
  return parseTabsConfig(await getJson("tabs", signal));
}

export async function fetchCheckpoints(runId: string, signal?: AbortSignal): Promise<CheckpointsResponse> {
  return (await getJson(`checkpoints/${encodeURIComponent(runId)}`, signal)) as CheckpointsResponse;
}

export interface MetricRangeQuery {
  runId: string;
  metric: string;
  fromStep?: number;
  toStep?: number;
  fromTime?: number;
  toTime?: number;
  maxPoints?: number;
}

export async function fetchMetricRange(query: MetricRangeQuery, signal?: AbortSignal): Promise<MetricsResponse> {
  const q = new URLSearchParams({ metric: query.metric });
  if (query.fromStep !== undefined) q.set("from_step", String(Math.max(0, Math.floor(query.fromStep))));
  if (query.toStep !== undefined) q.set("to_step", String(Math.max(0, Math.ceil(query.toStep))));
  if (query.fromTime !== undefined) q.set("from_time", String(Math.floor(query.fromTime)));
  if (query.toTime !== undefined) q.set("to_time", String(Math.ceil(query.toTime)));
  if (query.maxPoints !== undefined) q.set("max_points", String(query.maxPoints));
  return (await getJson(`metrics/${encodeURIComponent(query.runId)}?${q.toString()}`, signal)) as MetricsResponse;
}
