/**
 * The Runs view's state and its place in the address bar, so a shared link reproduces the
 * view: /?view=runs&q=optimizer.lr<1e-3&sort=-val/loss:min&cols=name,config.lr&sum=val/loss
 * &gb=config.model.depth&m=train/loss&sm=ema:0.9&xa=metric:epoch&cmp=1&detail=r1&runs=a,b
 * Pure functions: parse and serialise, tested both ways.
 */

export type View = "charts" | "runs";
export type SmoothKind = "none" | "ema" | "sma" | "gaussian" | "savgol";

export interface SmoothingChoice {
  kind: SmoothKind;
  weight: number; // ema
  window: number; // sma, savgol
  sigma: number; // gaussian
  order: number; // savgol
}

/** step, wall time, time since the run started, or another metric. */
export type XAxis = { kind: "step" } | { kind: "time" } | { kind: "relative" } | { kind: "metric"; metric: string };

export interface CompareView {
  view: View;
  filter: string;
  sort: string[];
  /** Visible columns in order; null: the default set. */
  columns: string[] | null;
  summaries: string[];
  groupBy: string[];
  metric: string | null;
  smoothing: SmoothingChoice;
  xAxis: XAxis;
  compareOpen: boolean;
  detail: string | null;
}

export const DEFAULT_SMOOTHING: SmoothingChoice = { kind: "none", weight: 0.9, window: 21, sigma: 5, order: 3 };

export const initialCompareView = (): CompareView => ({
  view: "charts",
  filter: "",
  sort: [],
  columns: null,
  summaries: [],
  groupBy: [],
  metric: null,
  smoothing: DEFAULT_SMOOTHING,
  xAxis: { kind: "step" },
  compareOpen: false,
  detail: null,
});

function list(value: string | null): string[] {
  if (value === null || value === "") return [];
  return value.split(",").map((v) => decodeURIComponent(v)).filter((v) => v.length > 0);
}

function joinList(values: readonly string[]): string {
  return values.map((v) => encodeURIComponent(v)).join(",");
}

export function parseSmoothing(text: string | null): SmoothingChoice {
  if (!text) return DEFAULT_SMOOTHING;
  const [kind, a, b] = text.split(":");
  const num = (v: string | undefined, fallback: number) => {
    const n = Number(v);
    return v !== undefined && v !== "" && Number.isFinite(n) ? n : fallback;
  };
  const d = DEFAULT_SMOOTHING;
  switch (kind) {
    case "ema":
      return { ...d, kind, weight: Math.min(0.999, Math.max(0, num(a, d.weight))) };
    case "sma":
      return { ...d, kind, window: Math.max(1, Math.round(num(a, d.window))) };
    case "gaussian":
      return { ...d, kind, sigma: Math.max(0.1, num(a, d.sigma)) };
    case "savgol":
      return { ...d, kind, window: Math.max(3, Math.round(num(a, d.window))) | 1, order: Math.max(0, Math.round(num(b, d.order))) };
    default:
      return d;
  }
}

export function smoothingText(s: SmoothingChoice): string | null {
  switch (s.kind) {
    case "ema":
      return `ema:${s.weight}`;
    case "sma":
      return `sma:${s.window}`;
    case "gaussian":
      return `gaussian:${s.sigma}`;
    case "savgol":
      return `savgol:${s.window}:${s.order}`;
    default:
      return null;
  }
}

/** Query parameters of /metrics for a smoothing choice. */
export function smoothingParams(s: SmoothingChoice): Record<string, string> {
  switch (s.kind) {
    case "ema":
      return { smoothing: "ema", weight: String(s.weight) };
    case "sma":
      return { smoothing: "sma", window: String(s.window) };
    case "gaussian":
      return { smoothing: "gaussian", sigma: String(s.sigma) };
    case "savgol":
      return { smoothing: "savgol", window: String(s.window), order: String(Math.min(s.order, s.window - 1)) };
    default:
      return {};
  }
}

export function parseXAxis(text: string | null): XAxis {
  if (text === "time" || text === "relative") return { kind: text };
  if (text?.startsWith("metric:") && text.length > 7) return { kind: "metric", metric: text.slice(7) };
  return { kind: "step" };
}

export function xAxisText(x: XAxis): string | null {
  return x.kind === "step" ? null : x.kind === "metric" ? `metric:${x.metric}` : x.kind;
}

export function parseCompareView(search: string): CompareView {
  const q = new URLSearchParams(search);
  const cols = q.get("cols");
  return {
    view: q.get("view") === "runs" ? "runs" : "charts",
    filter: q.get("q") ?? "",
    sort: list(q.get("sort")),
    columns: cols === null ? null : list(cols),
    summaries: list(q.get("sum")),
    groupBy: list(q.get("gb")).slice(0, 2),
    metric: q.get("m"),
    smoothing: parseSmoothing(q.get("sm")),
    xAxis: parseXAxis(q.get("xa")),
    compareOpen: q.get("cmp") === "1",
    detail: q.get("detail"),
  };
}

const KEYS = ["view", "q", "sort", "cols", "sum", "gb", "m", "sm", "xa", "cmp", "detail"] as const;

/** `search` with this view's keys replaced (other keys, e.g. runs= or kiosk=, kept). */
export function withCompareView(search: string, v: CompareView): string {
  const q = new URLSearchParams(search);
  for (const key of KEYS) q.delete(key);
  const set = (key: string, value: string | null) => {
    if (value !== null && value !== "") q.set(key, value);
  };
  set("view", v.view === "runs" ? "runs" : null);
  set("q", v.filter);
  set("sort", joinList(v.sort));
  if (v.columns !== null) q.set("cols", joinList(v.columns));
  set("sum", joinList(v.summaries));
  set("gb", joinList(v.groupBy));
  set("m", v.metric);
  set("sm", smoothingText(v.smoothing));
  set("xa", xAxisText(v.xAxis));
  set("cmp", v.compareOpen ? "1" : null);
  set("detail", v.detail);
  const text = q.toString().replace(/%2C/g, ",").replace(/%3A/g, ":").replace(/%2F/g, "/");
  return text.length > 0 ? `?${text}` : "";
}
