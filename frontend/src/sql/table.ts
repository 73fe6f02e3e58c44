/** Result tables as text (CSV / TSV) and sorting, pure. */
import type { Cell } from "./result";

function text(cell: Cell): string {
  if (cell === null) return "";
  if (typeof cell === "object") return JSON.stringify(cell);
  return String(cell);
}

function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function tsvField(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r");
}

export function toDelimited(columns: readonly string[], rows: readonly Cell[][], kind: "csv" | "tsv"): string {
  const field = kind === "csv" ? csvField : tsvField;
  const sep = kind === "csv" ? "," : "\t";
  const lines = [columns.map(field).join(sep)];
  for (const row of rows) lines.push(row.map((c) => field(text(c))).join(sep));
  return lines.join("\n") + "\n";
}

export interface SortState {
  column: number;
  descending: boolean;
}

function compare(a: Cell, b: Cell): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  const na = typeof a === "number" ? a : Number(a);
  const nb = typeof b === "number" ? b : Number(b);
  if (typeof a !== "object" && typeof b !== "object" && !Number.isNaN(na) && !Number.isNaN(nb) && a !== "" && b !== "") {
    return na - nb;
  }
  return text(a).localeCompare(text(b));
}

/** Row order for `sort` (indices; the rows themselves are left as they came). */
export function sortedOrder(rows: readonly Cell[][], sort: SortState | null): number[] {
  const order = rows.map((_, i) => i);
  if (!sort) return order;
  const sign = sort.descending ? -1 : 1;
  order.sort((i, j) => sign * compare(rows[i]?.[sort.column] ?? null, rows[j]?.[sort.column] ?? null) || i - j);
  return order;
}

export function cellText(cell: Cell): string {
  return text(cell);
}
