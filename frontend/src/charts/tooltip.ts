import type uPlot from "uplot";

import { formatClock, formatStep, formatValue, middleEllipsis, type UnitKind } from "../core/format";
import type { XMode } from "../core/url";
import type { CardData, LineSpec } from "./cardData";

/** The hover tooltip of one chart: x, then every line's value at the cursor, largest first. */

const MAX_ROWS = 14;
const SEARCH = 64;

function valueNear(column: readonly (number | null | undefined)[], idx: number, nonFinite: Map<number, number> | undefined): number | null {
  for (let d = 0; d <= SEARCH; d++) {
    for (const i of d === 0 ? [idx] : [idx - d, idx + d]) {
      if (i < 0 || i >= column.length) continue;
      const v = column[i];
      if (typeof v === "number") return v;
      if (v === null) return nonFinite?.get(i) ?? Number.NaN;
    }
  }
  return null;
}

export class Tooltip {
  private readonly el: HTMLDivElement;
  private nonFiniteMaps: Map<number, number>[] = [];
  private dataRef: CardData | null = null;

  constructor(container: HTMLElement) {
    this.el = document.createElement("div");
    this.el.className = "rw-tooltip";
    this.el.setAttribute("role", "tooltip");
    this.el.hidden = true;
    container.appendChild(this.el);
  }

  hide(): void {
    this.el.hidden = true;
  }

  show(u: uPlot, lines: readonly LineSpec[], data: CardData, xMode: XMode, unitKind: UnitKind, unit: string): void {
    const idx = u.cursor.idx;
    const left = u.cursor.left ?? -1;
    if (idx === null || idx === undefined || left < 0) {
      this.hide();
      return;
    }
    if (this.dataRef !== data) {
      this.dataRef = data;
      this.nonFiniteMaps = data.aligned.nonFinite.map((nf) => new Map(nf.idx.map((i, j) => [i, nf.value[j] as number])));
    }
    const x = data.aligned.x[idx];
    if (x === undefined) {
      this.hide();
      return;
    }
    const rows: { line: LineSpec; value: number; raw: number | null }[] = [];
    lines.forEach((line, i) => {
      const rawCol = data.rawColumn[i] as number;
      const smoothCol = data.smoothColumn[i];
      const raw = valueNear(data.aligned.ys[rawCol] ?? [], idx, this.nonFiniteMaps[rawCol]);
      if (raw === null) return;
      const smooth = smoothCol === null || smoothCol === undefined ? null : valueNear(data.aligned.ys[smoothCol] ?? [], idx, undefined);
      rows.push({ line, value: smooth ?? raw, raw: smooth === null ? null : raw });
    });
    rows.sort((a, b) => (Number.isFinite(b.value) ? b.value : Infinity) - (Number.isFinite(a.value) ? a.value : Infinity));
    const frag = document.createDocumentFragment();
    const head = document.createElement("div");
    head.className = "rw-tooltip-head";
    head.textContent = xMode === "step" ? `step ${formatStep(x)}` : formatClock(x);
    frag.appendChild(head);
    // Column headings: which number is the smoothed one and which the raw one.
    const smoothed = rows.some((row) => row.raw !== null);
    const columns = document.createElement("div");
    columns.className = "rw-tooltip-row rw-tooltip-columns";
    columns.dataset.testid = "tooltip-columns";
    for (const [cls, text] of [
      ["rw-swatch-space", ""],
      ["rw-tooltip-label", "run"],
      ["rw-tooltip-value", smoothed ? "smoothed" : "value"],
      ...(smoothed ? [["rw-tooltip-raw", "raw"]] : []),
    ] as const) {
      const cell = document.createElement("span");
      cell.className = cls;
      cell.textContent = text;
      columns.appendChild(cell);
    }
    frag.appendChild(columns);
    for (const row of rows.slice(0, MAX_ROWS)) {
      const item = document.createElement("div");
      item.className = "rw-tooltip-row";
      const swatch = document.createElement("span");
      swatch.className = "rw-swatch";
      swatch.style.background = row.line.color;
      const label = document.createElement("span");
      label.className = "rw-tooltip-label";
      label.textContent = middleEllipsis(row.line.label, 32);
      label.title = row.line.label;
      const value = document.createElement("span");
      value.className = Number.isFinite(row.value) ? "rw-tooltip-value" : "rw-tooltip-value rw-nonfinite";
      value.textContent = formatValue(row.value, unitKind, unit);
      item.append(swatch, label, value);
      if (row.raw !== null) {
        const raw = document.createElement("span");
        raw.className = "rw-tooltip-raw";
        raw.textContent = formatValue(row.raw, unitKind, unit);
        item.appendChild(raw);
      }
      frag.appendChild(item);
    }
    if (rows.length > MAX_ROWS) {
      const more = document.createElement("div");
      more.className = "rw-tooltip-more";
      more.textContent = `+${rows.length - MAX_ROWS} more`;
      frag.appendChild(more);
    }
    this.el.replaceChildren(frag);
    this.el.hidden = false;
    const plotLeft = u.over.offsetLeft;
    const width = this.el.offsetWidth;
    const containerWidth = (this.el.parentElement?.clientWidth ?? 0) - 4;
    let pos = plotLeft + left + 14;
    if (pos + width > containerWidth) pos = plotLeft + left - width - 14;
    this.el.style.transform = `translate(${Math.max(0, pos)}px, ${u.over.offsetTop + 4}px)`;
  }

  destroy(): void {
    this.el.remove();
  }
}
