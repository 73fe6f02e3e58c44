/**
 * The wall's grid: how many columns and rows of cards fill a box, with no scrollbar and no card
 * cut off. Pure. Of the layouts that show every card at no less than the minimum size, the one
 * with the largest cards wins (weighed by the cards' aspect, so a chart is not drawn as a
 * sliver); when none does, the box is filled with minimum-size cards and the rest go to
 * further pages, which the kiosk rotates through.
 */
export interface FitInput {
  width: number;
  height: number;
  count: number;
  minWidth: number;
  minHeight: number;
  gap: number;
  /** Widest and tallest a card should get (a single card does not fill a 4K screen). */
  maxAspect?: number;
}

export interface GridFit {
  cols: number;
  rows: number;
  perPage: number;
  pages: number;
  cardWidth: number;
  cardHeight: number;
}

function fits(size: number, min: number, gap: number): number {
  return Math.max(1, Math.floor((size + gap) / (min + gap)));
}

export function fitGrid(input: FitInput): GridFit {
  const { width, height, gap, minWidth, minHeight } = input;
  const count = Math.max(1, input.count);
  const maxAspect = input.maxAspect ?? 3;
  const maxCols = fits(width, minWidth, gap);
  const maxRows = fits(height, minHeight, gap);
  let best: { cols: number; rows: number; score: number } | null = null;
  for (let cols = 1; cols <= Math.min(maxCols, count); cols++) {
    const rows = Math.ceil(count / cols);
    if (rows > maxRows) continue;
    const w = (width - (cols - 1) * gap) / cols;
    const h = (height - (rows - 1) * gap) / rows;
    // usable area of a card, capped where it gets too wide for its height
    const score = Math.min(w, h * maxAspect) * h;
    if (best === null || score > best.score) best = { cols, rows, score };
  }
  const cols = best?.cols ?? maxCols;
  const rows = best?.rows ?? maxRows;
  const perPage = cols * rows;
  return {
    cols,
    rows,
    perPage,
    pages: Math.ceil(count / perPage),
    cardWidth: Math.floor((width - (cols - 1) * gap) / cols),
    cardHeight: Math.floor((height - (rows - 1) * gap) / rows),
  };
}

/** The cards of page `page` (wrapping), for a rotation that never shows an empty page. */
export function pageSlice<T>(items: readonly T[], perPage: number, page: number): T[] {
  const pages = Math.max(1, Math.ceil(items.length / perPage));
  const p = ((page % pages) + pages) % pages;
  return items.slice(p * perPage, (p + 1) * perPage);
}

/**
 * The cards of page `page` when some are pinned: every page starts with the pinned ones and the
 * others rotate through the slots left. Pinned cards that fill the page by themselves are paged
 * alone (the user chose them over the rest).
 */
export function pinnedPage<T>(items: readonly T[], pinned: (item: T) => boolean, perPage: number, page: number): { shown: T[]; pages: number } {
  const kept = items.filter(pinned);
  if (kept.length === 0) return { shown: pageSlice(items, perPage, page), pages: Math.max(1, Math.ceil(items.length / perPage)) };
  if (kept.length >= perPage) return { shown: pageSlice(kept, perPage, page), pages: Math.ceil(kept.length / perPage) };
  const rest = items.filter((item) => !pinned(item));
  const slots = perPage - kept.length;
  return { shown: [...kept, ...pageSlice(rest, slots, page)], pages: Math.max(1, Math.ceil(rest.length / slots)) };
}
