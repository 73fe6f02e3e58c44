import { formatValue, middleEllipsis, type UnitKind } from "../core/format";

/**
 * The wall's legend holds two rows of fixed-width entries and cannot scroll (nobody scrolls a
 * TV): when a card has more series than fit, the last slot says "+N more" and opens the full
 * list, so no series is silently cut off.
 */

/** Legend names are cut from the middle to this many characters (the full name on hover). */
export const LEGEND_LABEL_CHARS = 24;

/** Matches html.kiosk .rw-latest-row in index.css: 13rem columns, 1.5rem apart, two rows. */
const KIOSK_ENTRY_REM = 13;
const KIOSK_GAP_REM = 1.5;
const KIOSK_ROWS = 2;

/** Entries that fit in a wall legend `widthPx` wide. */
export function kioskLegendCapacity(widthPx: number, remPx: number): number {
  const cols = Math.max(1, Math.floor((widthPx + KIOSK_GAP_REM * remPx) / ((KIOSK_ENTRY_REM + KIOSK_GAP_REM) * remPx)));
  return cols * KIOSK_ROWS;
}

/**
 * Characters of a name that fit beside its value in a wall legend `widthPx` wide: names are cut
 * from the middle to this (CSS would cut the end, where run names differ).
 */
export function kioskLabelChars(widthPx: number, remPx: number): number {
  const cols = kioskLegendCapacity(widthPx, remPx) / KIOSK_ROWS;
  const column = (widthPx - (cols - 1) * KIOSK_GAP_REM * remPx) / cols;
  // the swatch, gaps and a value of up to 8 characters at 1.2rem take 6rem; a 0.8rem name
  // character about 0.45rem
  return Math.max(8, Math.floor((column - 6 * remPx) / (0.45 * remPx)));
}

/** How many of `count` entries to show in `capacity` slots (one slot goes to "+N more"). */
export function legendSplit(count: number, capacity: number): { shown: number; more: number } {
  if (count <= capacity) return { shown: count, more: 0 };
  const shown = Math.max(0, capacity - 1);
  return { shown, more: count - shown };
}

export interface LegendEntry {
  label: string;
  color: string;
  value: number;
}

/** The "+N more" entry; a click lists every entry (`entries()` read at that moment). */
export function moreEntry(more: number, entries: () => LegendEntry[], unitKind: UnitKind, unit: string): HTMLElement {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "rw-latest rw-legend-more";
  button.dataset.testid = "legend-more";
  button.dataset.more = String(more);
  button.textContent = `+${more} more`;
  button.title = "Every series of this card";
  button.addEventListener("click", (e) => {
    e.stopPropagation();
    const card = button.closest("article");
    if (!card) return;
    const open = card.querySelector(".rw-legend-list");
    if (open) {
      open.remove();
      return;
    }
    const list = fullList(entries(), unitKind, unit);
    list.addEventListener("click", () => list.remove());
    card.appendChild(list);
  });
  return button;
}

function fullList(entries: LegendEntry[], unitKind: UnitKind, unit: string): HTMLElement {
  const list = document.createElement("div");
  list.className = "rw-legend-list";
  list.dataset.testid = "legend-list";
  list.setAttribute("role", "dialog");
  list.setAttribute("aria-label", "Every series of this card");
  for (const entry of entries) {
    const row = document.createElement("div");
    row.className = "rw-latest";
    row.title = entry.label;
    const dot = document.createElement("span");
    dot.className = "rw-swatch";
    dot.style.background = entry.color;
    const label = document.createElement("span");
    label.className = "rw-latest-label";
    label.textContent = middleEllipsis(entry.label, LEGEND_LABEL_CHARS * 2);
    const value = document.createElement("span");
    value.className = Number.isFinite(entry.value) ? "rw-latest-value" : "rw-latest-value rw-nonfinite";
    value.textContent = formatValue(entry.value, unitKind, unit);
    row.append(dot, label, value);
    list.appendChild(row);
  }
  return list;
}
