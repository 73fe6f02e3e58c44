import { memo, useEffect, useMemo, useRef, useState } from "react";

import type { HistogramRow } from "../api/rich";
import { formatNumber, formatStep } from "../core/format";
import { binIndex, densityGrid } from "../core/histograms";
import { showLogsAround } from "../store/richNav";

const ROWS = 80;
const HEAT_HEIGHT = 150;
const BARS_HEIGHT = 90;

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#5b5bd6";
}

function sizeCanvas(canvas: HTMLCanvasElement, height: number): CanvasRenderingContext2D | null {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  canvas.width = Math.max(1, Math.round(width * ratio));
  canvas.height = Math.max(1, Math.round(height * ratio));
  const ctx = canvas.getContext("2d");
  ctx?.setTransform(ratio, 0, 0, ratio, 0, 0);
  return ctx;
}

/**
 * One histogram metric of one run: a step × value heatmap (each column a step, darker = more
 * values there) above the selected step's bars. The slider picks the step; it follows the
 * newest step while it sits at the end. Drawing is imperative on canvases, outside React.
 */
export const DistributionCard = memo(function DistributionCard({
  runId,
  runLabel,
  color,
  metric,
  histograms,
  theme,
}: {
  runId: string;
  runLabel: string;
  color: string;
  metric: string;
  histograms: readonly HistogramRow[];
  theme: string;
}) {
  const heatRef = useRef<HTMLCanvasElement>(null);
  const barsRef = useRef<HTMLCanvasElement>(null);
  const [picked, setPicked] = useState<number | null>(null); // null: follow the newest
  const [hover, setHover] = useState<string>("");
  const [width, setWidth] = useState(0);
  const index = picked === null ? histograms.length - 1 : Math.min(picked, histograms.length - 1);
  const current = histograms[index];
  const grid = useMemo(() => densityGrid(histograms, ROWS), [histograms]);

  useEffect(() => {
    const el = heatRef.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setWidth(el.clientWidth));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    const canvas = heatRef.current;
    if (!canvas || histograms.length === 0) return;
    const ctx = sizeCanvas(canvas, HEAT_HEIGHT);
    if (!ctx) return;
    const w = canvas.clientWidth;
    const columns = histograms.length;
    const colWidth = w / columns;
    const cellHeight = HEAT_HEIGHT / grid.rows;
    ctx.clearRect(0, 0, w, HEAT_HEIGHT);
    ctx.fillStyle = color;
    // Integer cell bounds: overlapping translucent rectangles would paint stripes.
    for (let c = 0; c < columns; c++) {
      const x0 = Math.round(c * colWidth);
      const x1 = Math.round((c + 1) * colWidth);
      for (let r = 0; r < grid.rows; r++) {
        const v = grid.cells[c * grid.rows + r] as number;
        if (v <= 0) continue;
        const y0 = Math.round(HEAT_HEIGHT - (r + 1) * cellHeight);
        const y1 = Math.round(HEAT_HEIGHT - r * cellHeight);
        ctx.globalAlpha = Math.min(1, 0.08 + Math.sqrt(v) * 0.92);
        ctx.fillRect(x0, y0, Math.max(1, x1 - x0), Math.max(1, y1 - y0));
      }
    }
    ctx.globalAlpha = 1;
    ctx.strokeStyle = cssVar("--rw-text");
    ctx.lineWidth = 1.5;
    const x = (index + 0.5) * colWidth;
    ctx.beginPath();
    ctx.moveTo(x, 0);
    ctx.lineTo(x, HEAT_HEIGHT);
    ctx.stroke();
  }, [grid, histograms, index, color, theme, width]);

  useEffect(() => {
    const canvas = barsRef.current;
    if (!canvas || !current) return;
    const ctx = sizeCanvas(canvas, BARS_HEIGHT);
    if (!ctx) return;
    const w = canvas.clientWidth;
    ctx.clearRect(0, 0, w, BARS_HEIGHT);
    const max = Math.max(...current.counts, 1);
    const bins = current.counts.length;
    const barWidth = w / bins;
    ctx.fillStyle = color;
    current.counts.forEach((count, i) => {
      const h = (count / max) * (BARS_HEIGHT - 4);
      ctx.fillRect(i * barWidth + 0.5, BARS_HEIGHT - h, Math.max(1, barWidth - 1), h);
    });
  }, [current, color, theme, width]);

  if (!current) return null;
  const lo = current.edges[0] ?? 0;
  const hi = current.edges[current.edges.length - 1] ?? 1;

  const hoverHeat = (e: React.MouseEvent<HTMLCanvasElement>) => {
    const rect = e.currentTarget.getBoundingClientRect();
    const column = Math.min(histograms.length - 1, Math.max(0, Math.floor(((e.clientX - rect.left) / rect.width) * histograms.length)));
    const value = grid.hi - ((e.clientY - rect.top) / rect.height) * (grid.hi - grid.lo);
    const h = histograms[column];
    if (!h) return;
    const bin = binIndex(h.edges, value);
    const count = bin >= 0 ? (h.counts[bin] ?? 0) : 0;
    setHover(`step ${formatStep(h.step)} · value ≈ ${formatNumber(value)} · ${formatNumber(count)} in bin`);
  };
  const hoverBars = (e: React.MouseEvent<HTMLCanvasElement>) => {
    const rect = e.currentTarget.getBoundingClientRect();
    const bin = Math.min(current.counts.length - 1, Math.max(0, Math.floor(((e.clientX - rect.left) / rect.width) * current.counts.length)));
    setHover(`[${formatNumber(current.edges[bin] ?? 0)}, ${formatNumber(current.edges[bin + 1] ?? 0)}): ${formatNumber(current.counts[bin] ?? 0)}`);
  };

  return (
    <article
      data-testid="distribution-card"
      data-metric={metric}
      data-run={runId}
      className="flex min-w-0 flex-col gap-1.5 rounded-xl border border-line bg-card px-3.5 py-3 shadow-[0_1px_2px_rgb(0_0_0/0.04)]"
    >
      <header className="flex items-center gap-2">
        <span className="h-2.5 w-2.5 flex-none rounded-full" style={{ background: color }} />
        <h3 className="min-w-0 flex-1 truncate text-[0.8125rem] font-semibold tracking-tight" title={`${metric} · ${runLabel}`}>
          {metric} <span className="font-normal text-muted">· {runLabel}</span>
        </h3>
        {current.nonfinite > 0 && (
          <span className="rounded-md bg-[color-mix(in_srgb,var(--rw-nonfinite)_14%,transparent)] px-1.5 py-px text-[0.625rem] font-semibold text-[var(--rw-nonfinite)]">
            {formatNumber(current.nonfinite)} NaN/Inf
          </span>
        )}
        <button
          type="button"
          className="rounded-md px-1.5 py-px text-[0.6875rem] text-muted hover:bg-subtle hover:text-fg"
          title="Show the console lines around this step"
          data-testid="distribution-logs"
          onClick={() => showLogsAround(runId, current.step)}
        >
          logs
        </button>
      </header>
      <canvas
        ref={heatRef}
        className="w-full cursor-crosshair rounded-md bg-subtle"
        style={{ height: HEAT_HEIGHT }}
        role="img"
        aria-label={`Distribution of ${metric} over steps`}
        onMouseMove={hoverHeat}
        onMouseLeave={() => setHover("")}
        onClick={(e) => {
          const rect = e.currentTarget.getBoundingClientRect();
          setPicked(Math.floor(((e.clientX - rect.left) / rect.width) * histograms.length));
        }}
      />
      <canvas
        ref={barsRef}
        className="w-full cursor-crosshair"
        style={{ height: BARS_HEIGHT }}
        role="img"
        aria-label={`Histogram of ${metric} at step ${current.step}`}
        onMouseMove={hoverBars}
        onMouseLeave={() => setHover("")}
      />
      <div className="flex justify-between text-[0.6875rem] tabular-nums text-muted">
        <span>{formatNumber(lo)}</span>
        <span data-testid="distribution-hover" className="truncate px-2">{hover}</span>
        <span>{formatNumber(hi)}</span>
      </div>
      <label className="flex items-center gap-2 text-[0.75rem] text-muted">
        <span className="w-24 flex-none tabular-nums" data-testid="distribution-step">
          step {formatStep(current.step)}
        </span>
        <input
          type="range"
          min={0}
          max={Math.max(0, histograms.length - 1)}
          value={index}
          data-testid="distribution-slider"
          aria-label={`Step of ${metric}`}
          className="flex-1 accent-[var(--rw-accent)]"
          onChange={(e) => {
            const next = Number(e.target.value);
            setPicked(next >= histograms.length - 1 ? null : next);
          }}
        />
      </label>
      <div className="flex gap-3 text-[0.6875rem] tabular-nums text-muted">
        <span>n {formatNumber(current.count)}</span>
        <span>min {formatNumber(current.min)}</span>
        <span>max {formatNumber(current.max)}</span>
        <span>mean {current.count ? formatNumber(current.sum / current.count) : "–"}</span>
      </div>
    </article>
  );
});
