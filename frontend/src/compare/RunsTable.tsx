import { useVirtualizer } from "@tanstack/react-virtual";
import { useRef } from "react";

import type { RunsTable as Table, TableColumn } from "./api";
import { cellText } from "./cells";
import { useRunColor } from "./useRunColor";

const ROW_HEIGHT = 32;

function widthOf(column: TableColumn): number {
  if (column.id === "name") return 200;
  if (column.kind === "time") return 150;
  if (column.group === "summary") return 120;
  if (column.id === "git_commit") return 100;
  return Math.min(200, Math.max(90, column.label.length * 8 + 28));
}

/** A virtualised table: only the rows in view are in the DOM, so 10,000 runs scroll freely. */
export function RunsTable(props: {
  table: Table;
  columns: TableColumn[];
  sort: readonly string[];
  selected: (runId: string) => boolean;
  onToggle: (runId: string) => void;
  onToggleAll: (select: boolean) => void;
  onSort: (columnId: string, add: boolean) => void;
  onOpen: (runId: string) => void;
}) {
  const { table, columns, sort, selected, onToggle, onToggleAll, onSort, onOpen } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const colorFor = useRunColor();
  const index = new Map(table.columns.map((c, i) => [c.id, i]));
  const runIdAt = index.get("run_id") ?? 0;
  const statusAt = index.get("status");
  const virtualizer = useVirtualizer({
    count: table.rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const widths = columns.map(widthOf);
  const total = 72 + widths.reduce((a, b) => a + b, 0);
  const allSelected = table.rows.length > 0 && table.rows.every((r) => selected(String(r[runIdAt])));
  return (
    <div ref={scroller} className="min-h-0 flex-1 overflow-auto rounded-xl border border-line bg-card" data-testid="runs-table">
      <div style={{ width: total, minWidth: "100%" }}>
        <div role="row" className="sticky top-0 z-10 flex border-b border-line bg-raised text-xs font-semibold text-muted">
          <div className="flex w-[72px] flex-none items-center gap-2 px-3 py-2">
            <input
              type="checkbox"
              aria-label="Select all matching runs"
              checked={allSelected}
              onChange={(e) => onToggleAll(e.target.checked)}
              data-testid="select-all"
            />
          </div>
          {columns.map((c, i) => {
            const at = sort.findIndex((s) => s.replace(/^-/, "") === c.id);
            const desc = at >= 0 && sort[at]?.startsWith("-");
            return (
              <button
                key={c.id}
                type="button"
                role="columnheader"
                aria-sort={at < 0 ? "none" : desc ? "descending" : "ascending"}
                title={`${c.id} — click to sort, shift-click to add a sort key`}
                data-column={c.id}
                style={{ width: widths[i] }}
                className={`flex flex-none items-center gap-1 truncate px-2 py-2 text-left hover:text-fg ${c.group === "config" ? "text-accent" : ""} ${c.kind === "number" || c.kind === "duration" ? "justify-end" : ""}`}
                onClick={(e) => onSort(c.id, e.shiftKey)}
              >
                <span className="truncate">{c.label}</span>
                {at >= 0 && <span aria-hidden>{desc ? "↓" : "↑"}{sort.length > 1 ? at + 1 : ""}</span>}
              </button>
            );
          })}
        </div>
        <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {virtualizer.getVirtualItems().map((item) => {
            const row = table.rows[item.index] ?? [];
            const runId = String(row[runIdAt]);
            const isSelected = selected(runId);
            const status = statusAt === undefined ? "" : String(row[statusAt]);
            return (
              <div
                key={runId}
                role="row"
                data-run-id={runId}
                aria-selected={isSelected}
                className={`absolute left-0 flex w-full cursor-pointer items-center border-b border-line/60 text-[0.8125rem] hover:bg-subtle ${isSelected ? "" : "opacity-60"}`}
                style={{ height: ROW_HEIGHT, transform: `translateY(${item.start}px)` }}
                onClick={() => onOpen(runId)}
              >
                <div className="flex w-[72px] flex-none items-center gap-2 px-3">
                  <input
                    type="checkbox"
                    aria-label={`Show ${runId} on the charts`}
                    checked={isSelected}
                    onClick={(e) => e.stopPropagation()}
                    onChange={() => onToggle(runId)}
                  />
                  <span className="h-2.5 w-2.5 flex-none rounded-full" style={{ background: colorFor(runId) }} aria-hidden />
                </div>
                {columns.map((c, i) => {
                  const at = index.get(c.id);
                  const value = at === undefined ? null : (row[at] ?? null);
                  const text = cellText(value, c.kind);
                  return (
                    <div
                      key={c.id}
                      role="cell"
                      title={text}
                      style={{ width: widths[i] }}
                      className={`flex-none truncate px-2 ${c.kind === "number" || c.kind === "duration" ? "text-right tabular-nums" : ""}`}
                    >
                      {c.id === "status" ? (
                        <span className="inline-flex items-center gap-1.5">
                          <span
                            className={`h-2 w-2 rounded-full ${status === "running" ? "bg-ok" : status === "failed" ? "bg-bad" : status === "stale" ? "bg-warn" : "bg-idle"}`}
                            aria-hidden
                          />
                          {text}
                        </span>
                      ) : (
                        text
                      )}
                    </div>
                  );
                })}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
