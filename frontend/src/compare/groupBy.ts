/** Grouping choices shared by the Runs view and the tab cards: which columns can be group keys,
 * and the key list after one of its two selects changed. Pure helpers, tested. */
import type { TableColumn } from "./api";

/** Columns that make groups: not summaries, times or durations (every run its own value), nor
 * the run's id or name (one run per group). */
export function groupableColumns(columns: readonly TableColumn[]): TableColumn[] {
  return columns.filter((c) => c.group !== "summary" && c.kind !== "time" && c.kind !== "duration" && c.id !== "run_id" && c.id !== "name");
}

/** `groupBy` with its first (`index` 0) or second key set to `key` ("" clears it; clearing the
 * first clears both); never the same key twice. */
export function withGroupKey(groupBy: readonly string[], index: 0 | 1, key: string): string[] {
  const [first, second] = groupBy;
  if (index === 0) {
    if (!key) return [];
    return second !== undefined && second !== key ? [key, second] : [key];
  }
  if (first === undefined) return [];
  return key && key !== first ? [first, key] : [first];
}
