/**
 * POST /sql and its streamed answer: ClickHouse's JSONCompactEachRowWithNamesAndTypes lines
 * (names, types, one array per row), then one trailer object ({"summary"} or {"error"}).
 * Parsed line by line as the bytes arrive, so the page never holds the text twice.
 */

export type Cell = string | number | boolean | null | Cell[] | { [key: string]: Cell };

export interface SqlSummary {
  read_rows?: number;
  read_bytes?: number;
  result_rows: number;
  elapsed_ms: number;
  truncated: boolean;
}

export interface SqlResult {
  columns: string[];
  types: string[];
  rows: Cell[][];
  summary: SqlSummary | null;
  error: { message: string; code: number } | null;
}

export type SqlParams = Record<string, string | number | boolean | null | string[]>;

/** Feeds chunks of text; calls `line` for each complete line. */
export class LineSplitter {
  private rest = "";
  constructor(private readonly line: (text: string) => void) {}
  push(text: string): void {
    const parts = (this.rest + text).split("\n");
    this.rest = parts.pop() ?? "";
    for (const part of parts) if (part) this.line(part);
  }
  end(): void {
    if (this.rest) this.line(this.rest);
    this.rest = "";
  }
}

/** The result built from the body's lines (pure: used by the stream reader and the tests). */
export function resultCollector(): { line: (text: string) => void; result: SqlResult } {
  const result: SqlResult = { columns: [], types: [], rows: [], summary: null, error: null };
  let index = 0;
  const line = (text: string) => {
    const value = JSON.parse(text) as unknown;
    if (Array.isArray(value)) {
      if (index === 0) result.columns = value as string[];
      else if (index === 1) result.types = value as string[];
      else result.rows.push(value as Cell[]);
      index++;
    } else if (value && typeof value === "object") {
      const obj = value as { summary?: SqlSummary; error?: string; code?: number };
      if (obj.summary) result.summary = obj.summary;
      if (typeof obj.error === "string") result.error = { message: obj.error, code: obj.code ?? 0 };
    }
  };
  return { line, result };
}

export async function runSql(query: string, params: SqlParams, signal?: AbortSignal): Promise<SqlResult> {
  const response = await fetch("sql", {
    method: "POST",
    signal,
    headers: { "Content-Type": "application/json", Accept: "application/x-ndjson" },
    body: JSON.stringify({ query, params }),
  });
  if (!response.ok) {
    let message = `HTTP ${response.status}`;
    let code = 0;
    try {
      const body = (await response.json()) as { error?: string; detail?: unknown; code?: number };
      message = body.error ?? (typeof body.detail === "string" ? body.detail
        // FastAPI's 422 shape: [{loc, msg, ...}]
        : Array.isArray(body.detail) ? body.detail.map((d: { msg?: unknown }) => String(d.msg ?? "")).join("; ")
        : JSON.stringify(body.detail ?? body));
      code = body.code ?? 0;
    } catch {
      /* not JSON: keep the status */
    }
    return { columns: [], types: [], rows: [], summary: null, error: { message, code } };
  }
  const { line, result } = resultCollector();
  const splitter = new LineSplitter(line);
  const reader = response.body?.getReader();
  const decoder = new TextDecoder();
  if (reader) {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      splitter.push(decoder.decode(value, { stream: true }));
    }
  }
  splitter.push(decoder.decode());
  splitter.end();
  return result;
}

/** Which query parameters a query text uses: `{name:Type}`. */
export function usedParams(query: string): string[] {
  const names = new Set<string>();
  for (const match of query.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\s*:/g)) names.add(match[1] ?? "");
  return [...names].filter(Boolean);
}

/** The run selection as the parameters every console query and panel may use. */
export function selectionParams(runIds: readonly string[], query: string): SqlParams {
  const all: SqlParams = { run_ids: [...runIds], run_id: runIds[0] ?? "" };
  const out: SqlParams = {};
  for (const name of usedParams(query)) if (name in all) out[name] = all[name] ?? null;
  return out;
}
