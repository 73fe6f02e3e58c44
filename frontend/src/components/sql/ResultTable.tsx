import { useVirtualizer } from "@tanstack/react-virtual";
import { useMemo, useRef, useState } from "react";

import type { SqlResult } from "../../sql/result";
import { cellText, sortedOrder, toDelimited, type SortState } from "../../sql/table";

const ROW_HEIGHT = 26;

function download(name: string, text: string, type: string) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  URL.revokeObjectURL(url);
}

/** The rows of a result, virtualised (only the visible rows are in the DOM), sortable by column. */
export function ResultTable({ result }: { result: SqlResult }) {
  const [sort, setSort] = useState<SortState | null>(null);
  const [copied, setCopied] = useState<string | null>(null);
  const order = useMemo(() => sortedOrder(result.rows, sort), [result.rows, sort]);
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: order.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 20,
  });
  const template = `repeat(${result.columns.length}, minmax(8rem, 1fr))`;
  const sortedRows = () => order.map((i) => result.rows[i] ?? []);
  const copy = async (kind: "csv" | "tsv") => {
    await navigator.clipboard.writeText(toDelimited(result.columns, sortedRows(), kind));
    setCopied(kind.toUpperCase());
    setTimeout(() => setCopied(null), 1500);
  };
  const button = "rounded-md px-2 py-1 text-xs text-muted hover:bg-subtle hover:text-fg";
  return (
    <div className="flex min-h-0 flex-1 flex-col rounded-xl border border-line bg-card" data-testid="sql-result">
      <div className="flex items-center gap-1 border-b border-line px-2 py-1">
        <span className="flex-1 px-1 text-xs text-muted">{copied ? `Copied as ${copied}` : `${order.length} rows`}</span>
        <button type="button" className={button} onClick={() => void copy("csv")}>Copy CSV</button>
        <button type="button" className={button} onClick={() => void copy("tsv")}>Copy TSV</button>
        <button
          type="button"
          className={button}
          onClick={() => download("result.csv", toDelimited(result.columns, sortedRows(), "csv"), "text/csv")}
        >
          Download
        </button>
      </div>
      <div ref={scrollRef} className="min-h-0 flex-1 overflow-auto font-mono text-xs" role="table">
        <div
          role="row"
          className="sticky top-0 z-10 grid border-b border-line bg-subtle"
          style={{ gridTemplateColumns: template, minWidth: `${result.columns.length * 8}rem` }}
        >
          {result.columns.map((name, i) => (
            <button
              key={`${name}-${i}`}
              type="button"
              role="columnheader"
              aria-sort={sort?.column === i ? (sort.descending ? "descending" : "ascending") : "none"}
              className="truncate px-2 py-1.5 text-left font-semibold hover:text-accent"
              title={`${name} ${result.types[i] ?? ""}`}
              onClick={() => setSort(sort?.column === i ? (sort.descending ? null : { column: i, descending: true }) : { column: i, descending: false })}
            >
              {name}
              <span className="ml-1 font-normal text-muted">{result.types[i]}</span>
              {sort?.column === i ? (sort.descending ? " ↓" : " ↑") : ""}
            </button>
          ))}
        </div>
        <div style={{ height: virtualizer.getTotalSize(), position: "relative", minWidth: `${result.columns.length * 8}rem` }}>
          {virtualizer.getVirtualItems().map((item) => {
            const row = result.rows[order[item.index] ?? 0] ?? [];
            return (
              <div
                key={item.key}
                role="row"
                data-testid="sql-row"
                className="absolute left-0 grid w-full border-b border-line/60 hover:bg-subtle"
                style={{ gridTemplateColumns: template, height: ROW_HEIGHT, transform: `translateY(${item.start}px)` }}
              >
                {row.map((cell, c) => (
                  <div key={c} role="cell" className={`truncate px-2 leading-[26px] ${cell === null ? "text-muted" : ""}`}>
                    {cell === null ? "NULL" : cellText(cell)}
                  </div>
                ))}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
