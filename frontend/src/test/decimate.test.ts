import { describe, expect, it } from "vitest";

import { bucketWidth, DecimationCache, decimateRange } from "../core/decimate";

describe("bucketWidth", () => {
  it("is a power of two at least span/pixels, or 0 when every point fits", () => {
    expect(bucketWidth(2000, 400)).toBe(8);
    expect(bucketWidth(4096, 1024)).toBe(4);
    expect(bucketWidth(300, 400)).toBe(0);
    expect(bucketWidth(0, 400)).toBe(0);
  });
});

describe("decimateRange", () => {
  it("keeps min and max of each bucket in the order they occurred, on a shared x grid", () => {
    const out = { x: [] as number[], y: [] as number[] };
    decimateRange(out, [0, 1, 2, 3, 4, 5, 6, 7], [5, 1, 9, 3, 2, 8, 4, 6], 0, 8, 4);
    expect(out.x).toEqual([0, 2, 4, 6]);
    expect(out.y).toEqual([1, 9, 2, 8]);
  });

  it("never drops a one-step spike or a NaN", () => {
    const n = 10_000;
    const x = Array.from({ length: n }, (_, i) => i);
    const y = x.map((i) => Math.sin(i / 100));
    y[4321] = 50;
    y[7777] = Number.NaN;
    y[9000] = Number.NEGATIVE_INFINITY;
    const out = { x: [] as number[], y: [] as number[] };
    decimateRange(out, x, y, 0, n, 64);
    expect(out.y).toContain(50);
    expect(out.y.some((v) => Number.isNaN(v))).toBe(true);
    expect(out.y).toContain(Number.NEGATIVE_INFINITY);
    expect(out.x.length).toBeLessThan(400);
  });
});

describe("DecimationCache", () => {
  it("gives the same result incrementally as from scratch when points are appended", () => {
    const x: number[] = [];
    const y: number[] = [];
    const cache = new DecimationCache();
    for (let i = 0; i < 1000; i++) {
      x.push(i);
      y.push(Math.cos(i / 7) * (i % 13));
      if (i % 37 === 0) cache.get("k", x, y, 0, 16);
    }
    const incremental = cache.get("k", x, y, 0, 16);
    const scratch = { x: [] as number[], y: [] as number[] };
    decimateRange(scratch, x, y, 0, x.length, 16);
    expect(incremental.x).toEqual(scratch.x);
    expect(incremental.y).toEqual(scratch.y);
  });

  it("starts over when the arrays are replaced, the start moves or the width changes", () => {
    const cache = new DecimationCache();
    const a = cache.get("k", [0, 1, 2, 3], [1, 2, 3, 4], 0, 2);
    expect(a.x).toEqual([0, 1, 2, 3]);
    const b = cache.get("k", [0, 1, 2, 3], [4, 3, 2, 1], 0, 2);
    expect(b.y).toEqual([4, 3, 2, 1]);
    const c = cache.get("k", [0, 1, 2, 3], [4, 3, 2, 1], 2, 2);
    expect(c.x).toEqual([2, 3]);
    cache.retain([]);
    expect(cache.size).toBe(0);
  });

  it("sweep forgets only the series not asked for since the previous sweep", () => {
    const cache = new DecimationCache();
    const x = [0, 1, 2, 3];
    const y = [1, 2, 3, 4];
    const a = cache.get("a", x, y, 0, 2);
    cache.get("b", x, y, 0, 2);
    cache.get("b", x, [4, 3, 2, 1], 0, 2); // replaced within the generation: still one entry
    cache.sweep();
    expect(cache.size).toBe(2);
    expect(cache.get("a", x, y, 0, 2)).toBe(a); // kept, not recomputed
    cache.sweep();
    expect(cache.size).toBe(1);
    cache.sweep();
    expect(cache.size).toBe(0);
  });
});
