import type uPlot from "uplot";

import type { ChartTheme } from "./theme";

/** NaN / ±Inf points, drawn on top of the lines so they are never silent gaps. */
export interface MarkerSet {
  column: number;
  color: string;
  idx: readonly number[];
  value: readonly number[];
}

export function drawNonFinite(u: uPlot, sets: readonly MarkerSet[], theme: ChartTheme): void {
  const { ctx, bbox } = u;
  const dpr = devicePixelRatio || 1;
  const xData = u.data[0];
  const min = u.scales.x?.min ?? -Infinity;
  const max = u.scales.x?.max ?? Infinity;
  let total = 0;
  for (const set of sets) total += set.idx.length;
  if (total === 0) return;
  const label = total <= 8;
  const r = 4.5 * dpr;
  ctx.save();
  ctx.beginPath();
  ctx.rect(bbox.left, bbox.top, bbox.width, bbox.height);
  ctx.clip();
  ctx.font = `${10 * dpr}px ui-sans-serif, system-ui, sans-serif`;
  ctx.textBaseline = "middle";
  for (const set of sets) {
    if (u.series[set.column]?.show === false) continue;
    for (let j = 0; j < set.idx.length; j++) {
      const x = xData[set.idx[j] as number] as number;
      if (x < min || x > max) continue;
      const cx = Math.round(u.valToPos(x, "x", true));
      const v = set.value[j] as number;
      const top = bbox.top + r + 2 * dpr;
      const bottom = bbox.top + bbox.height - r - 2 * dpr;
      ctx.setLineDash([3 * dpr, 3 * dpr]);
      ctx.strokeStyle = theme.nonFinite;
      ctx.globalAlpha = 0.45;
      ctx.lineWidth = dpr;
      ctx.beginPath();
      ctx.moveTo(cx + 0.5, bbox.top);
      ctx.lineTo(cx + 0.5, bbox.top + bbox.height);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.globalAlpha = 1;
      ctx.fillStyle = set.color;
      ctx.strokeStyle = theme.nonFinite;
      ctx.lineWidth = 1.5 * dpr;
      ctx.beginPath();
      let cy: number;
      if (v === Number.POSITIVE_INFINITY) {
        cy = top;
        ctx.moveTo(cx, cy - r);
        ctx.lineTo(cx + r, cy + r * 0.8);
        ctx.lineTo(cx - r, cy + r * 0.8);
      } else if (v === Number.NEGATIVE_INFINITY) {
        cy = bottom;
        ctx.moveTo(cx, cy + r);
        ctx.lineTo(cx + r, cy - r * 0.8);
        ctx.lineTo(cx - r, cy - r * 0.8);
      } else {
        cy = top;
        ctx.moveTo(cx, cy - r);
        ctx.lineTo(cx + r, cy);
        ctx.lineTo(cx, cy + r);
        ctx.lineTo(cx - r, cy);
      }
      ctx.closePath();
      ctx.fill();
      ctx.stroke();
      if (label) {
        ctx.fillStyle = theme.nonFinite;
        const text = Number.isNaN(v) ? "NaN" : v > 0 ? "+Inf" : "−Inf";
        ctx.fillText(text, cx + r + 3 * dpr, cy);
      }
    }
  }
  ctx.restore();
}
