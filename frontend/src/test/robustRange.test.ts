import { describe, expect, it } from "vitest";

import { isLossLike, robustRange } from "../core/robustRange";

const ramp = (n: number, from: number, to: number) => Array.from({ length: n }, (_, i) => from + ((to - from) * i) / (n - 1));

describe("robustRange", () => {
  it("ignores a 1e6 spike of one run: the others keep most of the height", () => {
    const calm = ramp(200, 0.3, 2.3);
    const diverging = [...ramp(190, 0.4, 2.0), 10, 1e3, 1e5, 1e6, NaN];
    const range = robustRange([calm, diverging]);
    expect(range?.clipped).toBe(true);
    expect(range!.max).toBeLessThan(20);
    expect((2.3 - 0.3) / (range!.max - range!.min)).toBeGreaterThan(0.6);
  });

  it.each([
    ["no outlier: plain min..max plus margin", [ramp(50, 0, 10)], -0.8, 10.8, false],
    ["a constant series gets a non-empty range", [[5, 5, 5]], 4.6, 5.4, false],
  ])("%s", (_, columns, min, max, clipped) => {
    const range = robustRange(columns);
    expect(range?.min).toBeCloseTo(min);
    expect(range?.max).toBeCloseTo(max);
    expect(range?.clipped).toBe(clipped);
  });

  it("is null without a finite value", () => {
    expect(robustRange([[NaN, null, Infinity]])).toBeNull();
  });
});

describe("isLossLike", () => {
  it.each([
    ["train/loss", true],
    ["val/loss", true],
    ["train/grad_norm", true],
    ["train/lr", false],
    ["sys.gpu.0.util_percent", false],
  ])("%s -> %s", (metric, expected) => {
    expect(isLossLike(metric)).toBe(expected);
  });
});
