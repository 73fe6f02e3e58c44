import { describe, expect, it } from "vitest";

import { emaSmooth } from "../core/smoothing";

describe("emaSmooth", () => {
  it("returns the input at weight 0", () => {
    expect(emaSmooth([1, 5, 3], 0)).toEqual([1, 5, 3]);
  });

  it("is debiased: the first point equals the data", () => {
    const out = emaSmooth([4, 4, 4, 4], 0.9);
    for (const v of out) expect(v).toBeCloseTo(4, 10);
  });

  it("follows TensorBoard's formula", () => {
    const out = emaSmooth([0, 10], 0.5);
    // last = 0 → 0/(1-0.5) = 0; then last = 0*0.5 + 0.5*10 = 5 → 5/(1-0.25) = 6.666…
    expect(out[0]).toBeCloseTo(0);
    expect(out[1]).toBeCloseTo(20 / 3);
  });

  it("passes non-finite values through without poisoning what follows", () => {
    const out = emaSmooth([1, Number.NaN, 1, Number.POSITIVE_INFINITY, 1], 0.8);
    expect(Number.isNaN(out[1])).toBe(true);
    expect(out[3]).toBe(Number.POSITIVE_INFINITY);
    expect(out[4]).toBeCloseTo(1);
  });
});
