import uPlot from "uplot";

/**
 * A faster stand-in for uPlot's linear path builder, for the lines of a card (no fill, no
 * bands). On every redraw uPlot rebuilds each series' path through a chain of closures per
 * point and also copies it into a fill path that a line without fill never uses; with 20 lines
 * of a few hundred points on each of nine charts that was most of a delta's cost. This draws
 * the same pixels (the same arithmetic and rounding as uPlot's valToPos + pxRound), computes
 * the shared x column's pixels once per chart and redraw, and leaves everything it does not
 * cover to uPlot's own builder: non-linear scales (log y), gaps to clip (a line with NaN/Inf,
 * spanGaps off), rotated or reversed scales, and the per-pixel accumulation uPlot switches to
 * when a series has more than four points per pixel.
 */

const fallback = uPlot.paths.linear!();

interface InternalScale {
  _min: number | null;
  _max: number | null;
}

interface XPixels {
  data: ArrayLike<number>;
  length: number;
  min: number;
  max: number;
  off: number;
  dim: number;
  px: Float64Array;
}

/** Per chart: the x column's pixels for the last redraw (every line of a card shares them). */
const xCache = new WeakMap<uPlot, XPixels>();

function xPixels(u: uPlot, data: ArrayLike<number>, min: number, max: number, off: number, dim: number): Float64Array {
  const hit = xCache.get(u);
  if (hit && hit.data === data && hit.length === data.length && hit.min === min && hit.max === max && hit.off === off && hit.dim === dim) {
    return hit.px;
  }
  const delta = max - min;
  // The previous buffer is reused when it is large enough (one redraw per frame needs one).
  const px = hit && hit.px.length === data.length ? hit.px : new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) px[i] = Math.round(off + dim * (((data[i] as number) - min) / delta));
  xCache.set(u, { data, length: data.length, min, max, off, dim, px });
  return px;
}

export const linePaths: uPlot.Series.PathBuilder = (u, seriesIdx, idx0, idx1) => {
  const series = u.series[seriesIdx];
  const sx = u.scales.x;
  const sy = series?.scale === undefined ? undefined : u.scales[series.scale];
  if (
    !series ||
    !sx ||
    !sy ||
    series.spanGaps !== true ||
    // uPlot's default pixel alignment (pxAlign 1: Math.round), which this reproduces.
    (series.pxAlign ?? 1) !== 1 ||
    (sx.distr ?? 1) !== 1 ||
    (sy.distr ?? 1) !== 1 ||
    (sx.ori ?? 0) !== 0 ||
    (sx.dir ?? 1) !== 1 ||
    (sy.dir ?? 1) !== 1 ||
    ((u as unknown as { bands?: unknown[] }).bands?.length ?? 0) > 0
  ) {
    return fallback(u, seriesIdx, idx0, idx1);
  }
  const dataX = u.data[0] as ArrayLike<number>;
  const dataY = u.data[seriesIdx] as ArrayLike<number | null | undefined>;
  // As uPlot's nonNullIdxs: the first and last points with a value.
  while (idx0 <= idx1 && dataY[idx0] == null) idx0++;
  while (idx1 >= idx0 && dataY[idx1] == null) idx1--;
  const { left, top, width, height } = u.bbox;
  if (idx1 - idx0 >= width * 4) return fallback(u, seriesIdx, idx0, idx1);
  const xs = sx as unknown as InternalScale;
  const ys = sy as unknown as InternalScale;
  const xMin = xs._min;
  const xMax = xs._max;
  const yMin = ys._min;
  const yMax = ys._max;
  if (xMin == null || xMax == null || yMin == null || yMax == null) return fallback(u, seriesIdx, idx0, idx1);
  const stroke = new Path2D();
  if (idx0 <= idx1) {
    const px = xPixels(u, dataX, xMin, xMax, left, width);
    const yDelta = yMax - yMin;
    for (let i = idx0; i <= idx1; i++) {
      const v = dataY[i];
      if (v == null) continue;
      stroke.lineTo(px[i] as number, Math.round(top + height * (1 - (v - yMin) / yDelta)));
    }
  }
  return { stroke, fill: null, clip: null, band: null, gaps: null, flags: 1 } as unknown as uPlot.Series.Paths;
};
