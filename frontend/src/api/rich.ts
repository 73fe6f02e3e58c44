/** REST calls of the Distributions, Logs and Media views (GET /histograms, /logs, /media). */

export interface HistogramMetric {
  metric: string;
  count: number;
  last_step: number;
}

export interface HistogramRow {
  step: number;
  time: number;
  host: string;
  rank: number;
  edges: number[];
  counts: number[];
  min: number;
  max: number;
  count: number;
  sum: number;
  nonfinite: number;
}

export interface HistogramData {
  run_id: string;
  metric: string;
  total_steps: number;
  histograms: HistogramRow[];
}

export interface LogLine {
  run_id: string;
  time: number;
  host: string;
  rank: number;
  stream: string;
  seq: number;
  step: number;
  line: string;
}

export interface LogsAnswer {
  lines: LogLine[];
  cursor: string | null;
}

export interface MediaItem {
  key: string;
  step: number;
  idx: number;
  time: number;
  host: string;
  rank: number;
  caption: string;
  mime: string;
  width: number;
  height: number;
  bytes: number;
}

async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const response = await fetch(path, { signal, headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

const run = (runId: string) => encodeURIComponent(runId);

export async function fetchHistogramMetrics(runId: string, signal?: AbortSignal): Promise<HistogramMetric[]> {
  return (await getJson<{ metrics: HistogramMetric[] }>(`histograms/${run(runId)}`, signal)).metrics;
}

export function fetchHistograms(runId: string, metric: string, maxSteps: number, signal?: AbortSignal): Promise<HistogramData> {
  const q = new URLSearchParams({ metric, max_steps: String(maxSteps) });
  return getJson<HistogramData>(`histograms/${run(runId)}/data?${q.toString()}`, signal);
}

export interface LogQuery {
  rank?: number | undefined;
  grep?: string | undefined;
  after?: string | undefined;
  aroundStep?: number | undefined;
  aroundTime?: number | undefined;
  limit?: number | undefined;
}

export function fetchLogs(runId: string, query: LogQuery, signal?: AbortSignal): Promise<LogsAnswer> {
  const q = new URLSearchParams();
  if (query.rank !== undefined) q.set("rank", String(query.rank));
  if (query.grep) q.set("grep", query.grep);
  if (query.after) q.set("after", query.after);
  if (query.aroundStep !== undefined) q.set("around_step", String(Math.max(0, Math.round(query.aroundStep))));
  else if (query.aroundTime !== undefined) q.set("around_time", String(Math.max(0, Math.round(query.aroundTime))));
  q.set("limit", String(query.limit ?? 500));
  return getJson<LogsAnswer>(`logs/${run(runId)}?${q.toString()}`, signal);
}

export function searchLogs(text: string, runIds: readonly string[], signal?: AbortSignal): Promise<LogsAnswer> {
  const q = new URLSearchParams({ q: text, limit: "200" });
  for (const id of runIds) q.append("run_id", id);
  return getJson<LogsAnswer>(`logs?${q.toString()}`, signal);
}

export async function fetchMedia(runId: string, signal?: AbortSignal): Promise<MediaItem[]> {
  return (await getJson<{ media: MediaItem[] }>(`media/${run(runId)}`, signal)).media;
}

export function mediaUrl(runId: string, item: Pick<MediaItem, "key" | "step" | "idx">): string {
  const q = new URLSearchParams({ key: item.key, step: String(item.step), idx: String(item.idx) });
  return `media/${run(runId)}/image?${q.toString()}`;
}
