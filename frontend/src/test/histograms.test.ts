import { describe, expect, it } from "vitest";

import { ansiSegments } from "../core/ansi";
import { binIndex, densityGrid, indexAtOrBefore, valueRange } from "../core/histograms";

describe("densityGrid", () => {
  it("spreads each bin over the cells it overlaps and scales each column to 1", () => {
    const grid = densityGrid(
      [
        { step: 0, edges: [0, 1, 2], counts: [2, 0] },
        { step: 1, edges: [0, 4], counts: [8] },
      ],
      4,
    );
    expect([grid.lo, grid.hi]).toEqual([0, 4]);
    expect([...grid.cells]).toEqual([1, 0, 0, 0, 1, 1, 1, 1]);
  });

  it("handles an empty input and a single value", () => {
    expect(valueRange([])).toEqual([0, 1]);
    expect(valueRange([{ step: 0, edges: [3, 3], counts: [1] }])).toEqual([2.5, 3.5]);
  });
});

describe("binIndex and indexAtOrBefore", () => {
  it.each([
    [0, 0],
    [0.5, 0],
    [1, 1],
    [2, 1],
    [-1, -1],
    [2.5, -1],
  ])("value %s is in bin %s of [0, 1, 2]", (value, bin) => {
    expect(binIndex([0, 1, 2], value)).toBe(bin);
  });

  it("finds the step at or before", () => {
    expect(indexAtOrBefore([10, 20, 30], 25)).toBe(1);
    expect(indexAtOrBefore([10, 20, 30], 5)).toBe(0);
    expect(indexAtOrBefore([10, 20, 30], 99)).toBe(2);
  });
});

describe("ansiSegments", () => {
  it("keeps plain text as one segment", () => {
    expect(ansiSegments("plain <b>")).toEqual([{ text: "plain <b>", className: "" }]);
  });

  it("turns SGR colours into themed classes, never HTML", () => {
    const segments = ansiSegments("\u001b[31mred <x>\u001b[0m ok");
    expect(segments.map((s) => [s.text, s.className])).toEqual([
      ["red <x>", "ansi-red-fg"],
      [" ok", ""],
    ]);
  });
});
