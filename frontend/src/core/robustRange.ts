/**
 * "Ignore outliers" y scaling. One diverging run (1e6 before it goes NaN) must not squash
 * every other curve into a flat line, but nothing may be hidden either: the range spans the
 * finite values within 1.5 spans of the 2nd..98th percentile (plus a margin), and the points
 * outside it are drawn as markers on the plot's edge (charts/edgeMarkers). When nothing lies
 * that far out, this is the ordinary min..max range, so well-behaved cards look as before. Pure.
 */
export interface YRange {
  min: number;
  max: number;
  /** Whether some values lie outside [min, max] (edge markers are due). */
  clipped: boolean;
}

const LOW = 0.02;
const HIGH = 0.98;
const MARGIN = 0.08;
/** Values further than this many percentile spans beyond the percentiles are outliers. */
const FAR = 1.5;

export function robustRange(columns: readonly ArrayLike<number | null | undefined>[]): YRange | null {
  const values: number[] = [];
  for (const column of columns) {
    for (let i = 0; i < column.length; i++) {
      const v = column[i];
      if (typeof v === "number" && Number.isFinite(v)) values.push(v);
    }
  }
  if (values.length === 0) return null;
  values.sort((a, b) => a - b);
  const lo = values[Math.floor(LOW * (values.length - 1))] as number;
  const hi = values[Math.ceil(HIGH * (values.length - 1))] as number;
  const reach = FAR * Math.max(hi - lo, Math.abs(hi) * 1e-9, Number.MIN_VALUE);
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < lo - reach || v > hi + reach) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const clipped = min > (values[0] as number) || max < (values[values.length - 1] as number);
  return pad(min, max, clipped);
}

function pad(min: number, max: number, clipped: boolean): YRange {
  const span = max - min || Math.abs(max) || 1;
  return { min: min - span * MARGIN, max: max + span * MARGIN, clipped };
}

/** Cards where outliers are ignored unless the user asks for the full range. */
export function isLossLike(metric: string): boolean {
  return /(^|[/._])(loss|nll|perplexity|ppl|grad_norm)([/._]|$)|loss/i.test(metric);
}
