import type uPlot from "uplot";

import type { XMode } from "../core/url";
import type { AlertInfo } from "../store/alertsSlice";
import type { LineSpec } from "./cardData";
import type { ChartTheme } from "./theme";

/** Where an alert fired on a chart: its step (or time), in the alert's colour. */
export interface AlertMark {
  x: number;
  firing: boolean;
  critical: boolean;
  label: string;
}

/** The alerts of this card's lines (same run, metric and, for device series, GPU). */
export function alertMarks(lines: readonly LineSpec[], alerts: ReadonlyMap<string, AlertInfo>, xMode: XMode): AlertMark[] {
  if (alerts.size === 0 || lines.length === 0) return [];
  const marks: AlertMark[] = [];
  for (const a of alerts.values()) {
    if (!a.metric) continue;
    const x = xMode === "step" ? a.step : a.fired_at;
    if (x === null) continue;
    const match = lines.some(
      (line) => line.runId === a.run_id && line.series.some((s) => s.metric === a.metric && (a.device === 65535 || s.device === a.device)),
    );
    if (match) marks.push({ x, firing: a.state === "firing", critical: a.severity === "critical", label: a.rule });
  }
  return marks;
}

/** A flag at the top of the plot and a line down it, per mark (drawn after the series). */
export function drawAlertMarks(u: uPlot, marks: readonly AlertMark[], theme: ChartTheme): void {
  if (marks.length === 0) return;
  const { ctx, bbox } = u;
  const dpr = devicePixelRatio || 1;
  const min = u.scales.x?.min ?? -Infinity;
  const max = u.scales.x?.max ?? Infinity;
  const css = getComputedStyle(document.documentElement);
  const bad = css.getPropertyValue("--rw-bad").trim() || "#dc2626";
  const warn = css.getPropertyValue("--rw-warn").trim() || "#d97706";
  const ok = css.getPropertyValue("--rw-ok").trim() || "#16a34a";
  ctx.save();
  ctx.beginPath();
  ctx.rect(bbox.left, bbox.top, bbox.width, bbox.height);
  ctx.clip();
  ctx.font = `${10 * dpr}px ${theme.font}`;
  ctx.textBaseline = "top";
  ctx.textAlign = "left";
  let labelEnd = -Infinity; // labels that would overlap the previous one are left out
  const ordered = [...marks].sort((a, b) => a.x - b.x);
  for (const mark of ordered) {
    if (mark.x < min || mark.x > max) continue;
    const cx = Math.round(u.valToPos(mark.x, "x", true)) + 0.5;
    const color = mark.firing ? (mark.critical ? bad : warn) : ok;
    ctx.strokeStyle = color;
    ctx.globalAlpha = 0.8;
    ctx.lineWidth = 1.5 * dpr;
    ctx.beginPath();
    ctx.moveTo(cx, bbox.top);
    ctx.lineTo(cx, bbox.top + bbox.height);
    ctx.stroke();
    ctx.globalAlpha = 1;
    ctx.fillStyle = color;
    const w = 7 * dpr;
    ctx.beginPath();
    ctx.moveTo(cx, bbox.top);
    ctx.lineTo(cx + w, bbox.top + w * 0.5);
    ctx.lineTo(cx, bbox.top + w);
    ctx.closePath();
    ctx.fill();
    const textX = cx + w + 2 * dpr;
    const width = ctx.measureText(mark.label).width;
    if (textX > labelEnd && textX + width < bbox.left + bbox.width) {
      ctx.fillText(mark.label, textX, bbox.top + 1 * dpr);
      labelEnd = textX + width + 4 * dpr;
    }
  }
  ctx.restore();
}
