/**
 * Drawing-side decimation: a chart a few hundred pixels wide cannot show more than a couple of
 * points per pixel, so a long series is cut into buckets of `width` x-units (a power of two, so
 * it only changes when the visible span doubles) and each bucket keeps its min and its max,
 * in the order they occurred. Every series of a card uses the same bucket grid and the same
 * two x positions per bucket, so they still align on one shared x column. A non-finite value
 * in a bucket always survives (it takes the first slot), so NaN/Inf stay marked.
 *
 * Bucket boundaries depend on x alone (floor(x / width)), not on where the data starts, so
 * when points are appended only the last bucket is recomputed (see DecimationCache).
 */

/** The bucket width for a visible span on `pixels` pixels, or 0 when no decimation is due. */
export function bucketWidth(span: number, pixels: number, minSpacing = 1): number {
  if (!(span > 0) || pixels <= 0) return 0;
  const raw = span / pixels;
  if (raw <= minSpacing) return 0;
  return Math.pow(2, Math.ceil(Math.log2(raw)));
}

export interface Decimated {
  x: number[];
  y: number[];
}

function flush(out: Decimated, x: ArrayLike<number>, y: ArrayLike<number>, from: number, to: number, width: number): void {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let minAt = -1;
  let maxAt = -1;
  let special = Number.NaN;
  let hasSpecial = false;
  for (let i = from; i < to; i++) {
    const v = y[i] as number;
    if (!Number.isFinite(v)) {
      if (!hasSpecial) {
        special = v;
        hasSpecial = true;
      }
      continue;
    }
    if (v < min) {
      min = v;
      minAt = i;
    }
    if (v > max) {
      max = v;
      maxAt = i;
    }
  }
  const k = Math.floor((x[from] as number) / width);
  const x0 = k * width;
  const x1 = x0 + width / 2;
  let first: number;
  let second: number;
  if (hasSpecial) {
    first = special;
    second = minAt < 0 ? special : Math.abs(max) >= Math.abs(min) ? max : min;
  } else if (minAt <= maxAt) {
    first = min;
    second = max;
  } else {
    first = max;
    second = min;
  }
  out.x.push(x0, x1);
  out.y.push(first, second);
}

/** Decimates x[from..to) (sorted by x) into two points per non-empty bucket. */
export function decimateRange(out: Decimated, x: ArrayLike<number>, y: ArrayLike<number>, from: number, to: number, width: number): number {
  if (from >= to) return from;
  let bucketStart = from;
  let k = Math.floor((x[from] as number) / width);
  for (let i = from + 1; i < to; i++) {
    const kb = Math.floor((x[i] as number) / width);
    if (kb !== k) {
      flush(out, x, y, bucketStart, i, width);
      bucketStart = i;
      k = kb;
    }
  }
  flush(out, x, y, bucketStart, to, width);
  return bucketStart;
}

interface Entry {
  xRef: ArrayLike<number>;
  yRef: ArrayLike<number>;
  start: number;
  width: number;
  consumed: number;
  /** Raw index where the last (possibly partial) bucket began, and output length before it. */
  lastFrom: number;
  lastOut: number;
  out: Decimated;
  /** The sweep generation this entry was last asked for in. */
  seen: number;
}

/**
 * Keeps each series' decimation between frames. A series that only grew (same arrays, same
 * start and width) recomputes its last bucket and the new ones; anything else starts over.
 */
export class DecimationCache {
  private entries = new Map<string, Entry>();
  private epoch = 0;
  /** Distinct entries asked for since the last sweep. */
  private seenCount = 0;

  get(key: string, x: ArrayLike<number>, y: ArrayLike<number>, start: number, width: number): Decimated {
    const n = Math.min(x.length, y.length);
    let entry = this.entries.get(key);
    const seen = entry !== undefined && entry.seen === this.epoch;
    if (
      entry === undefined ||
      entry.xRef !== x ||
      entry.yRef !== y ||
      entry.start !== start ||
      entry.width !== width ||
      n < entry.consumed
    ) {
      entry = { xRef: x, yRef: y, start, width, consumed: start, lastFrom: start, lastOut: 0, out: { x: [], y: [] }, seen: this.epoch };
      this.entries.set(key, entry);
    }
    if (!seen) {
      entry.seen = this.epoch;
      this.seenCount++;
    }
    if (n > entry.consumed || entry.out.x.length === 0) {
      entry.out.x.length = entry.lastOut;
      entry.out.y.length = entry.lastOut;
      const before = entry.out.x.length;
      const lastFrom = decimateRange(entry.out, x, y, entry.lastFrom, n, width);
      // The last bucket's two points are the final two of the output.
      entry.lastOut = Math.max(before, entry.out.x.length - 2);
      entry.lastFrom = lastFrom;
      entry.consumed = n;
    }
    return entry.out;
  }

  /** Forgets series not asked for since the last prune (removed runs, deselected series). */
  retain(keys: Iterable<string>): void {
    const keep = new Set(keys);
    for (const key of this.entries.keys()) if (!keep.has(key)) this.entries.delete(key);
  }

  /**
   * Forgets series not asked for since the previous sweep (removed runs, deselected series,
   * lines no longer decimated): what retain does, without building the list of keys, and
   * nothing to scan when every entry was asked for.
   */
  sweep(): void {
    if (this.seenCount < this.entries.size) {
      for (const [key, entry] of this.entries) if (entry.seen !== this.epoch) this.entries.delete(key);
    }
    this.epoch++;
    this.seenCount = 0;
  }

  get size(): number {
    return this.entries.size;
  }
}
