import { describe, expect, it } from "vitest";

import { aggregateLines, alignLines, lowerBound, sortedLine } from "../core/align";

describe("alignLines", () => {
  it("shares the x column when every line has the same x", () => {
    const a = alignLines([
      { x: [1, 2, 3], y: [1, 2, 3] },
      { x: [1, 2, 3], y: [4, Number.NaN, 6] },
    ]);
    expect(a.x).toEqual([1, 2, 3]);
    expect(a.ys).toEqual([
      [1, 2, 3],
      [4, null, 6],
    ]);
    expect(a.nonFinite[1]).toEqual({ idx: [1], value: [Number.NaN] });
  });

  it("joins different x: missing slots are undefined, non-finite slots null and reported", () => {
    const a = alignLines([
      { x: [1, 3, 5], y: [10, Number.POSITIVE_INFINITY, 50] },
      { x: [2, 3, 4], y: [20, 30, Number.NEGATIVE_INFINITY] },
    ]);
    expect(a.x).toEqual([1, 2, 3, 4, 5]);
    expect(a.ys[0]).toEqual([10, undefined, null, undefined, 50]);
    expect(a.ys[1]).toEqual([undefined, 20, 30, null, undefined]);
    expect(a.nonFinite).toEqual([
      { idx: [2], value: [Number.POSITIVE_INFINITY] },
      { idx: [3], value: [Number.NEGATIVE_INFINITY] },
    ]);
  });

  it("keeps the last of duplicate x in one line", () => {
    const a = alignLines([
      { x: [1, 2, 2, 3], y: [1, 2, 22, 3] },
      { x: [3], y: [9] },
    ]);
    expect(a.x).toEqual([1, 2, 3]);
    expect(a.ys[0]).toEqual([1, 22, 3]);
  });

  it("handles no lines and empty lines", () => {
    expect(alignLines([])).toEqual({ x: [], ys: [], nonFinite: [] });
    const a = alignLines([{ x: [], y: [] }, { x: [1], y: [1] }]);
    expect(a.x).toEqual([1]);
    expect(a.ys[0]).toEqual([undefined]);
  });
});

describe("aggregateLines", () => {
  const devices = [
    { x: [1, 2, 3], y: [10, 20, 30] },
    { x: [1, 2, 3], y: [30, 40, Number.NaN] },
  ];
  it("takes the mean across devices", () => {
    const line = aggregateLines(devices, "mean");
    expect(Array.from(line.x)).toEqual([1, 2, 3]);
    expect(Array.from(line.y).slice(0, 2)).toEqual([20, 30]);
  });
  it("takes the max across devices", () => {
    expect(Array.from(aggregateLines(devices, "max").y).slice(0, 2)).toEqual([30, 40]);
  });
  it("keeps a device's NaN visible in the aggregate", () => {
    expect(Number.isNaN(aggregateLines(devices, "mean").y[2])).toBe(true);
  });
});

describe("helpers", () => {
  it("lowerBound finds the first index at or after a value", () => {
    expect(lowerBound([1, 3, 5], 0)).toBe(0);
    expect(lowerBound([1, 3, 5], 3)).toBe(1);
    expect(lowerBound([1, 3, 5], 4)).toBe(2);
    expect(lowerBound([1, 3, 5], 9)).toBe(3);
  });
  it("sortedLine orders points by x", () => {
    expect(sortedLine({ x: [3, 1, 2], y: [30, 10, 20] })).toEqual({ x: [1, 2, 3], y: [10, 20, 30] });
  });
});
