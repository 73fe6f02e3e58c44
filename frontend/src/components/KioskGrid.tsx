import { useEffect, useState, type ReactNode } from "react";

import { useApp, useServices } from "../app/services";
import { fitGrid, pinnedPage } from "../core/fitGrid";
import { remPx, useBoxSize } from "./useBoxSize";

/** Seconds per page when the wall has more cards than fit and no `rotate=` was given. */
const DEFAULT_PAGE_SEC = 20;

export interface KioskGridProps<T> {
  items: readonly T[];
  /** Smallest legible card, in rem (rem follows the viewport on the wall). */
  minWidthRem: number;
  minHeightRem: number;
  testId: string;
  render: (item: T, size: { width: number; height: number }) => ReactNode;
  itemKey: (item: T) => string;
  /** Items kept on every page (pinned cards); the others rotate through the slots left. */
  pinned?: (item: T) => boolean;
}

/**
 * Cards sized to fill the screen exactly: no scrollbar, no card cut off. When they do not all
 * fit at a legible size the pages rotate (every `rotate` seconds, else 20 s), and the tab
 * rotation waits for the last page (the page count goes to the store).
 */
const NONE_PINNED = () => false;

export function KioskGrid<T>({ items, minWidthRem, minHeightRem, testId, render, itemKey, pinned = NONE_PINNED }: KioskGridProps<T>) {
  const { store } = useServices();
  const rotateSec = useApp((s) => s.rotateSec);
  const tab = useApp((s) => s.tab);
  const [ref, box] = useBoxSize();
  const [page, setPage] = useState(0);
  const rem = remPx();
  const gap = Math.round(0.75 * rem);
  const fit = fitGrid({
    width: box.width,
    height: box.height,
    count: items.length,
    minWidth: minWidthRem * rem,
    minHeight: minHeightRem * rem,
    gap,
  });
  const { shown: onPage, pages } = pinnedPage(items, pinned, fit.perPage, page);
  useEffect(() => {
    store.setState({ kioskPages: pages });
  }, [pages, store]);
  useEffect(() => setPage(0), [tab, pages]);
  useEffect(() => {
    if (pages < 2) return;
    const id = setInterval(() => setPage((p) => (p + 1) % pages), (rotateSec > 0 ? rotateSec : DEFAULT_PAGE_SEC) * 1000);
    return () => clearInterval(id);
  }, [pages, rotateSec]);
  const shown = box.width > 0 ? onPage : [];
  const size = { width: fit.cardWidth, height: fit.cardHeight };
  return (
    <div ref={ref} className="relative h-full min-h-0 w-full overflow-hidden" data-testid={testId} data-page={page} data-pages={pages} data-cols={fit.cols} data-rows={fit.rows}>
      <div
        className="grid"
        style={{ gap, gridTemplateColumns: `repeat(${fit.cols}, ${fit.cardWidth}px)`, gridAutoRows: `${fit.cardHeight}px` }}
      >
        {shown.map((item) => (
          <div key={itemKey(item)} className="min-h-0 min-w-0 overflow-hidden">
            {render(item, size)}
          </div>
        ))}
      </div>
      {pages > 1 && (
        <div className="pointer-events-none absolute bottom-0 right-0 rounded-tl-lg bg-bg/80 px-2 text-sm text-muted tabular-nums" data-testid="kiosk-page">
          page {(page % pages) + 1} / {pages}
        </div>
      )}
    </div>
  );
}
