/**
 * Turning per-series (x, y) arrays into uPlot's aligned columns: one shared x column, one y
 * column per line. A line has no point at an x another line has: that slot is `undefined`
 * (uPlot draws across it). A non-finite value is `null` (a visible break) and is reported in
 * `nonFinite` so the chart can mark it: NaN and ±Inf are never silently dropped.
 */

export interface Line {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

export type YColumn = (number | null | undefined)[];

export interface NonFinitePoints {
  idx: number[];
  value: number[];
}

export interface Aligned {
  x: number[];
  ys: YColumn[];
  nonFinite: NonFinitePoints[];
}

/** First index i with sorted[i] >= value (sorted.length when none). */
export function lowerBound(sorted: ArrayLike<number>, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function isSorted(x: ArrayLike<number>): boolean {
  for (let i = 1; i < x.length; i++) if ((x[i] as number) < (x[i - 1] as number)) return false;
  return true;
}

/** The line with its points in x order (stable), when they were not already. */
export function sortedLine(line: Line): Line {
  if (isSorted(line.x)) return line;
  const order = Array.from({ length: line.x.length }, (_, i) => i);
  order.sort((a, b) => (line.x[a] as number) - (line.x[b] as number) || a - b);
  return { x: order.map((i) => line.x[i] as number), y: order.map((i) => line.y[i] as number) };
}

function sameX(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = a.length - 1; i >= 0; i--) if (a[i] !== b[i]) return false;
  return true;
}

function column(y: ArrayLike<number>, nonFinite: NonFinitePoints): YColumn {
  let finite = true;
  for (let i = 0; i < y.length && finite; i++) finite = Number.isFinite(y[i] as number);
  // All finite (the usual case): a plain copy, which the engine does in bulk.
  if (finite) return Array.prototype.slice.call(y) as number[];
  const out: YColumn = new Array(y.length);
  for (let i = 0; i < y.length; i++) {
    const v = y[i] as number;
    if (Number.isFinite(v)) out[i] = v;
    else {
      out[i] = null;
      nonFinite.idx.push(i);
      nonFinite.value.push(v);
    }
  }
  return out;
}

function union(lines: readonly Line[]): number[] {
  let total = 0;
  for (const line of lines) total += line.x.length;
  const all = new Float64Array(total);
  let k = 0;
  for (const line of lines) for (let i = 0; i < line.x.length; i++) all[k++] = line.x[i] as number;
  all.sort();
  const out: number[] = [];
  for (let i = 0; i < all.length; i++) {
    const v = all[i] as number;
    if (i === 0 || v !== all[i - 1]) out.push(v);
  }
  return out;
}

/** Aligns lines whose x are sorted ascending (see sortedLine). */
export function alignLines(lines: readonly Line[]): Aligned {
  const nonFinite = lines.map(() => ({ idx: [], value: [] }) as NonFinitePoints);
  if (lines.length === 0) return { x: [], ys: [], nonFinite };
  const first = lines[0] as Line;
  if (lines.every((line) => sameX(line.x, first.x))) {
    return {
      x: Array.from(first.x),
      ys: lines.map((line, i) => column(line.y, nonFinite[i] as NonFinitePoints)),
      nonFinite,
    };
  }
  const x = union(lines);
  const ys = lines.map((line, li) => {
    const out: YColumn = new Array(x.length);
    const nf = nonFinite[li] as NonFinitePoints;
    const n = line.x.length;
    let p = 0;
    for (let k = 0; k < x.length && p < n; k++) {
      const xk = x[k] as number;
      if ((line.x[p] as number) > xk) continue;
      while (p + 1 < n && (line.x[p + 1] as number) <= xk) p++;
      if (line.x[p] === xk) {
        const v = line.y[p] as number;
        if (Number.isFinite(v)) out[k] = v;
        else {
          out[k] = null;
          nf.idx.push(k);
          nf.value.push(v);
        }
        p++;
      }
    }
    return out;
  });
  return { x, ys, nonFinite };
}

export type DeviceAggregate = "mean" | "max";

/**
 * One line from several (the devices of one run): mean or max across devices at every x any
 * device has. A non-finite value at an x makes the aggregate there non-finite too, so a
 * device that produced NaN is still marked on the aggregated chart.
 */
export function aggregateLines(lines: readonly Line[], mode: DeviceAggregate): Line {
  if (lines.length === 1) return lines[0] as Line;
  const aligned = alignLines(lines);
  const y = new Array<number>(aligned.x.length);
  const nonFiniteAt = new Map<number, number>();
  aligned.nonFinite.forEach((nf) => nf.idx.forEach((idx, j) => {
    if (!nonFiniteAt.has(idx)) nonFiniteAt.set(idx, nf.value[j] as number);
  }));
  for (let k = 0; k < aligned.x.length; k++) {
    const special = nonFiniteAt.get(k);
    if (special !== undefined) {
      y[k] = special;
      continue;
    }
    let sum = 0;
    let count = 0;
    let max = Number.NEGATIVE_INFINITY;
    for (const col of aligned.ys) {
      const v = col[k];
      if (typeof v === "number") {
        sum += v;
        count++;
        if (v > max) max = v;
      }
    }
    y[k] = mode === "mean" ? sum / count : max;
  }
  return { x: aligned.x, y };
}
