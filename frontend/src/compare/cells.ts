/** How a runs-table cell reads: numbers compact, times local, lists joined. Pure. */

import { formatDateTime, formatDuration, formatNumber } from "../core/format";
import type { Cell, ColumnKind } from "./api";

export function cellText(value: Cell, kind: ColumnKind): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") {
    if (kind === "time") return formatDateTime(value);
    if (kind === "duration") return formatDuration(value / 1000);
    // Configs hold exact values (lr = 0.0003): six significant digits, no unit scaling.
    if (Number.isInteger(value)) return String(value);
    return Math.abs(value) >= 1e6 ? formatNumber(value) : String(Number(value.toPrecision(6)));
  }
  if (Array.isArray(value)) return value.map((v) => (typeof v === "object" ? JSON.stringify(v) : String(v))).join(", ");
  return JSON.stringify(value);
}

/** The number a diff cell holds, for highlighting (null: not a number). */
export function numericValue(value: unknown): number | null {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  return null;
}

/** -1..1: where `value` sits between the smallest and largest number of its row. */
export function relativePosition(value: unknown, all: readonly unknown[]): number | null {
  const v = numericValue(value);
  const nums = all.map(numericValue).filter((n): n is number => n !== null);
  if (v === null || nums.length < 2) return null;
  const lo = Math.min(...nums);
  const hi = Math.max(...nums);
  return hi === lo ? null : ((v - lo) / (hi - lo)) * 2 - 1;
}
