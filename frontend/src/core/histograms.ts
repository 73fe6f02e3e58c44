/** Pure helpers of the distribution card: a step × value density grid and lookups. */

export interface Binned {
  step: number;
  edges: readonly number[];
  counts: readonly number[];
}

export interface Grid {
  lo: number;
  hi: number;
  rows: number;
  /** column-major: cells[column * rows + row], row 0 = lowest values; each column scaled to max 1 */
  cells: Float32Array;
}

/** The value range every histogram fits in. */
export function valueRange(histograms: readonly Binned[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const h of histograms) {
    if (h.edges.length < 2) continue;
    lo = Math.min(lo, h.edges[0] as number);
    hi = Math.max(hi, h.edges[h.edges.length - 1] as number);
  }
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  return hi > lo ? [lo, hi] : [lo - 0.5, hi + 0.5];
}

/**
 * Each histogram resampled onto `rows` equal value cells over the common range: a bin's count
 * is spread over the cells it overlaps in proportion to the overlap (mass is conserved), then
 * each column is scaled to its own maximum so a narrow and a wide distribution both show.
 */
export function densityGrid(histograms: readonly Binned[], rows: number): Grid {
  const [lo, hi] = valueRange(histograms);
  const cells = new Float32Array(histograms.length * rows);
  const cell = (hi - lo) / rows;
  histograms.forEach((h, column) => {
    const base = column * rows;
    for (let i = 0; i < h.counts.length; i++) {
      const count = h.counts[i] as number;
      const a = h.edges[i] as number;
      const b = h.edges[i + 1] as number;
      if (!(count > 0) || !(b >= a)) continue;
      if (b === a) {
        const r = Math.min(rows - 1, Math.max(0, Math.floor((a - lo) / cell)));
        cells[base + r] = (cells[base + r] as number) + count;
        continue;
      }
      const first = Math.max(0, Math.floor((a - lo) / cell));
      const last = Math.min(rows - 1, Math.floor((b - lo) / cell - 1e-9));
      for (let r = first; r <= last; r++) {
        const overlap = Math.min(b, lo + (r + 1) * cell) - Math.max(a, lo + r * cell);
        if (overlap > 0) cells[base + r] = (cells[base + r] as number) + (count * overlap) / (b - a);
      }
    }
    let max = 0;
    for (let r = 0; r < rows; r++) max = Math.max(max, cells[base + r] as number);
    if (max > 0) for (let r = 0; r < rows; r++) cells[base + r] = (cells[base + r] as number) / max;
  });
  return { lo, hi, rows, cells };
}

/** The index of the bin holding `value` (last bin closed), or -1 outside the edges. */
export function binIndex(edges: readonly number[], value: number): number {
  const n = edges.length - 1;
  if (n < 1 || !(value >= (edges[0] as number)) || !(value <= (edges[n] as number))) return -1;
  let low = 0;
  let high = n;
  while (high - low > 1) {
    const mid = (low + high) >> 1;
    if ((edges[mid] as number) <= value) low = mid;
    else high = mid;
  }
  return low;
}

/** The index of the largest step <= `step` (or 0). `steps` ascending. */
export function indexAtOrBefore(steps: readonly number[], step: number): number {
  let found = 0;
  for (let i = 0; i < steps.length; i++) {
    if ((steps[i] as number) <= step) found = i;
    else break;
  }
  return found;
}
