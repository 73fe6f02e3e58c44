import { useEffect, useRef } from "react";
import uPlot from "uplot";

import { drawNonFinite } from "../charts/markers";
import { readChartTheme } from "../charts/theme";
import { formatTick } from "../core/format";
import { alpha, type ChartData } from "./chartData";

/** One uPlot for the Runs view (grouped bands or smoothed runs), made anew per data change. */
export function AnalysisChart({ data, xLabel, timeAxis, height = 320, legend = true }: { data: ChartData; xLabel: string; timeAxis: boolean; height?: number; legend?: boolean }) {
  const holder = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = holder.current;
    if (!el) return;
    const theme = readChartTheme(false);
    const axis = { stroke: theme.axis, grid: { stroke: theme.grid, width: 1 }, ticks: { stroke: theme.grid }, font: theme.font };
    const opts: uPlot.Options = {
      width: Math.max(300, el.clientWidth),
      height,
      scales: { x: { time: timeAxis } },
      legend: { show: legend },
      cursor: { drag: { x: true, y: false } },
      axes: [
        { ...axis, label: xLabel, labelFont: theme.font },
        { ...axis, size: 60, values: (_u, ticks) => ticks.map((t) => formatTick(t, "plain")) },
      ],
      series: [
        { label: xLabel },
        ...data.series.map((s) => ({
          label: s.label,
          stroke: s.band ? "transparent" : s.alpha < 1 ? alpha(s.color, s.alpha) : s.color,
          width: s.width,
          points: { show: false },
          spanGaps: true,
          show: true,
        })),
      ],
      bands: data.bands.map((b) => ({ series: [b.upper + 1, b.lower + 1] as [number, number], fill: b.fill })),
      hooks: { draw: [(u) => drawNonFinite(u, data.markers ?? [], theme)] },
    };
    const plot = new uPlot(opts, [data.x, ...data.ys] as uPlot.AlignedData, el);
    // A band's two edges are not lines of their own: keep them out of the legend.
    const legendRows = plot.root.querySelectorAll<HTMLElement>(".u-legend .u-series");
    data.series.forEach((s, i) => {
      const row = legendRows[i + 1];
      if (s.band && row) row.style.display = "none";
    });
    el.dataset.series = String(data.series.filter((s) => !s.band).length);
    el.dataset.bands = String(data.bands.length);
    el.dataset.lastX = String(data.x[data.x.length - 1] ?? "");
    el.dataset.nonFinite = String((data.markers ?? []).reduce((n, m) => n + m.idx.length, 0));
    const observer = new ResizeObserver(() => plot.setSize({ width: Math.max(300, el.clientWidth), height }));
    observer.observe(el);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [data, xLabel, timeAxis, height, legend]);
  return <div ref={holder} className="w-full" data-testid="analysis-chart" />;
}
