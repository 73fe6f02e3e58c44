/** What the address bar can fix: /?kiosk=1&rotate=30&runs=a,b&tab=system&range=6h&x=time&ended=24&board=1&pin=train/loss */

export type Timeline = "1h" | "6h" | "24h" | "7d" | "all";
export type XMode = "step" | "time";

export const TIMELINES: readonly Timeline[] = ["1h", "6h", "24h", "7d", "all"];

export const TIMELINE_MS: Record<Timeline, number | null> = {
  "1h": 3_600_000,
  "6h": 6 * 3_600_000,
  "24h": 24 * 3_600_000,
  "7d": 7 * 24 * 3_600_000,
  all: null,
};

export interface UrlOptions {
  kiosk: boolean;
  rotateSec: number | null;
  runs: string[] | null;
  tab: string | null;
  timeline: Timeline | null;
  xMode: XMode | null;
  /** Hours an ended run stays on Progress and the kiosk. */
  endedHours: number | null;
  board: boolean;
  /** Cards kept on every page of the wall (and first in their tab). */
  pin: string[] | null;
}

function truthy(value: string | null): boolean {
  return value !== null && value !== "0" && value.toLowerCase() !== "false";
}

function positiveNumber(text: string | null): number | null {
  if (text === null || text.trim() === "") return null;
  const n = Number(text);
  return Number.isFinite(n) && n >= 0 ? n : null;
}

export function parseUrlOptions(search: string): UrlOptions {
  const q = new URLSearchParams(search);
  const rotate = q.get("rotate");
  const rotateSec = rotate === null ? null : Number(rotate);
  const runs = q.get("runs");
  const pin = q.get("pin");
  const range = q.get("range");
  const x = q.get("x");
  return {
    kiosk: truthy(q.get("kiosk")),
    rotateSec: rotateSec !== null && Number.isFinite(rotateSec) && rotateSec >= 0 ? rotateSec : null,
    runs: runs === null ? null : runs.split(",").map((r) => r.trim()).filter((r) => r.length > 0),
    tab: q.get("tab")?.toLowerCase() ?? null,
    timeline: TIMELINES.includes(range as Timeline) ? (range as Timeline) : null,
    xMode: x === "step" || x === "time" ? x : null,
    endedHours: positiveNumber(q.get("ended")),
    board: truthy(q.get("board")),
    pin: pin === null ? null : pin.split(",").map((c) => c.trim()).filter((c) => c.length > 0),
  };
}

/** The same search string with `key` set (or removed when value is null). */
export function withParam(search: string, key: string, value: string | null): string {
  const q = new URLSearchParams(search);
  if (value === null) q.delete(key);
  else q.set(key, value);
  const text = q.toString();
  return text.length > 0 ? `?${text.replace(/%2C/g, ",")}` : "";
}
