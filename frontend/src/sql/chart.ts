/** A result + chart spec → uPlot's columnar data (pure). */
import type { Cell, SqlResult } from "./result";
import type { ChartSpec } from "./saved";

export interface PanelData {
  /** x values: numbers as they are, dates/times as epoch seconds. */
  x: number[];
  timeAxis: boolean;
  series: { label: string; values: (number | null)[] }[];
}

function toNumber(cell: Cell | undefined): number | null {
  if (cell === null || cell === undefined) return null;
  if (typeof cell === "number") return Number.isFinite(cell) ? cell : null;
  if (typeof cell === "boolean") return cell ? 1 : 0;
  if (typeof cell === "string") {
    const n = Number(cell);
    return cell !== "" && Number.isFinite(n) ? n : null;
  }
  return null;
}

function toTime(cell: Cell | undefined): number | null {
  if (typeof cell !== "string") return toNumber(cell);
  const ms = Date.parse(cell.includes("T") ? cell : `${cell.replace(" ", "T")}Z`);
  return Number.isNaN(ms) ? null : ms / 1000;
}

export function panelData(result: SqlResult, spec: ChartSpec): PanelData | string {
  const index = (name: string | null) => (name === null ? -1 : result.columns.indexOf(name));
  const xi = spec.x ? index(spec.x) : 0;
  if (xi < 0) return `no column ${spec.x ?? ""} in the result`;
  const ys = spec.y.length ? spec.y : result.columns.filter((_, i) => i !== xi && /Int|Float|Decimal/.test(result.types[i] ?? ""));
  const yi = ys.map((name) => index(name));
  const missing = ys.find((_, k) => (yi[k] ?? -1) < 0);
  if (missing !== undefined) return `no column ${missing} in the result`;
  if (!yi.length) return "no numeric column to plot";
  const si = index(spec.series);
  if (spec.series && si < 0) return `no column ${spec.series} in the result`;
  const timeAxis = /Date/.test(result.types[xi] ?? "");
  const xOf = timeAxis ? toTime : toNumber;
  const xs = new Set<number>();
  const lines = new Map<string, Map<number, number | null>>();
  for (const row of result.rows) {
    const x = xOf(row[xi]);
    if (x === null) continue;
    xs.add(x);
    const group = si >= 0 ? String(row[si] ?? "NULL") : "";
    yi.forEach((c, k) => {
      const label = group ? (ys.length > 1 ? `${group} · ${ys[k] ?? ""}` : group) : (ys[k] ?? "");
      let line = lines.get(label);
      if (!line) lines.set(label, (line = new Map()));
      line.set(x, toNumber(row[c]));
    });
  }
  const x = [...xs].sort((a, b) => a - b);
  return {
    x,
    timeAxis,
    series: [...lines].map(([label, points]) => ({ label, values: x.map((v) => points.get(v) ?? null) })),
  };
}
