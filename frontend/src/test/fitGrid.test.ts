import { describe, expect, it } from "vitest";

import { fitGrid, pageSlice } from "../core/fitGrid";

const base = { gap: 12, minWidth: 352, minHeight: 256 };

describe("fitGrid", () => {
  it.each([
    // width, height, count → cols, rows, pages
    [1232, 620, 6, 3, 2, 1],
    [1232, 620, 14, 3, 2, 3],
    [1872, 960, 8, 4, 2, 1],
    [1872, 960, 1, 1, 1, 1],
    [1872, 960, 3, 3, 1, 1],
    [1872, 960, 30, 5, 3, 2],
  ])("%d×%d with %d cards → %d×%d, %d page(s)", (width, height, count, cols, rows, pages) => {
    const fit = fitGrid({ ...base, width, height, count });
    expect([fit.cols, fit.rows, fit.pages]).toEqual([cols, rows, pages]);
  });

  it.each([
    [1280, 640],
    [1920, 980],
    [3840, 2060],
    [700, 300],
  ])("never lays out more than fits in %d×%d", (width, height) => {
    for (let count = 1; count <= 40; count++) {
      const fit = fitGrid({ ...base, width, height, count });
      expect(fit.cols * fit.cardWidth + (fit.cols - 1) * base.gap).toBeLessThanOrEqual(width);
      expect(fit.rows * fit.cardHeight + (fit.rows - 1) * base.gap).toBeLessThanOrEqual(height);
      expect(fit.perPage * fit.pages).toBeGreaterThanOrEqual(count);
    }
  });
});

describe("pageSlice", () => {
  it.each([
    [0, ["a", "b"]],
    [1, ["c"]],
    [2, ["a", "b"]],
  ])("page %d", (page, expected) => {
    expect(pageSlice(["a", "b", "c"], 2, page)).toEqual(expected);
  });
});
