import type { TableColumn } from "./api";
import { groupableColumns, withGroupKey } from "./groupBy";
import { patchCompare, useCompare } from "./store";

/** Group by one column, then by a second (Runs view and tab cards share the choice through the
 * URL); the second select shows once a first key is chosen. */
export function GroupBySelect({ labels, className, columns }: { labels: readonly [string, string]; className: string; columns: readonly TableColumn[] }) {
  const groupBy = useCompare((s) => s.groupBy);
  const options = groupableColumns(columns).map((c) => (
    <option key={c.id} value={c.id}>
      {c.label}
    </option>
  ));
  return (
    <>
      <select aria-label={labels[0]} className={className} value={groupBy[0] ?? ""} onChange={(e) => patchCompare({ groupBy: withGroupKey(groupBy, 0, e.target.value) })}>
        <option value="">none</option>
        {options}
      </select>
      {groupBy.length > 0 && (
        <select aria-label={labels[1]} className={className} value={groupBy[1] ?? ""} onChange={(e) => patchCompare({ groupBy: withGroupKey(groupBy, 1, e.target.value) })}>
          <option value="">and…</option>
          {options}
        </select>
      )}
    </>
  );
}
