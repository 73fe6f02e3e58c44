/** Saved queries (panels): REST calls, and a panel's query + chart spec in the URL. */

export interface ChartSpec {
  kind: "line" | "bar" | "table";
  x: string | null;
  y: string[];
  series: string | null;
}

export interface SavedQuery {
  id: string;
  name: string;
  query: string;
  chart: ChartSpec;
  refresh_sec: number;
}

export interface TableInfo {
  name: string;
  engine: string;
  comment: string;
  total_rows: number | null;
  columns: { name: string; type: string; comment: string }[];
}

export interface Snippet {
  title: string;
  query: string;
}

async function json<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(path, init);
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

export const fetchSchema = () => json<{ tables: TableInfo[] }>("sql/schema").then((r) => r.tables);
export const fetchSnippets = () => json<{ snippets: Snippet[] }>("sql/snippets").then((r) => r.snippets);
export const fetchSaved = () => json<{ saved_queries: SavedQuery[] }>("saved-queries").then((r) => r.saved_queries);

export async function saveQuery(saved: SavedQuery): Promise<void> {
  const { id, ...body } = saved;
  await json(`saved-queries/${encodeURIComponent(id)}`, {
    method: "PUT",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

export async function deleteQuery(id: string): Promise<void> {
  const response = await fetch(`saved-queries/${encodeURIComponent(id)}`, { method: "DELETE" });
  if (!response.ok) throw new Error(`delete: HTTP ${response.status}`);
}

export function newId(): string {
  return Math.random().toString(36).slice(2, 12);
}

export const DEFAULT_CHART: ChartSpec = { kind: "table", x: null, y: [], series: null };

/** `#sql?panel=<base64url JSON>`: opens the console with this query and chart. */
export function panelHash(panel: { name: string; query: string; chart: ChartSpec }): string {
  const bytes = new TextEncoder().encode(JSON.stringify(panel));
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return `#sql?panel=${btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")}`;
}

export function panelFromHash(hash: string): { name: string; query: string; chart: ChartSpec } | null {
  const match = /[?&]panel=([A-Za-z0-9_-]+)/.exec(hash);
  if (!match?.[1]) return null;
  try {
    const binary = atob(match[1].replace(/-/g, "+").replace(/_/g, "/"));
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    const value = JSON.parse(new TextDecoder().decode(bytes)) as { name?: unknown; query?: unknown; chart?: Partial<ChartSpec> };
    if (typeof value.query !== "string") return null;
    return {
      name: typeof value.name === "string" ? value.name : "",
      query: value.query,
      chart: { ...DEFAULT_CHART, ...(value.chart ?? {}) },
    };
  } catch {
    return null;
  }
}
