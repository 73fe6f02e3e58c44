import { describe, expect, it } from "vitest";

import { fitGrid, pageSlice, pinnedPage } from "../core/fitGrid";

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

describe("pinnedPage", () => {
  const cards = ["a", "b", "c", "d", "e", "f", "g", "h"];
  const pins = new Set(["c", "g"]);
  const pinned = (card: string) => pins.has(card);

  it("puts the pinned cards on every page and rotates the others through the slots left", () => {
    const pages = [0, 1, 2].map((page) => pinnedPage(cards, pinned, 4, page));
    expect(pages.map((p) => p.pages)).toEqual([3, 3, 3]);
    expect(pages.map((p) => p.shown)).toEqual([
      ["c", "g", "a", "b"],
      ["c", "g", "d", "e"],
      ["c", "g", "f", "h"],
    ]);
  });

  it("shows every card once, pinned first, when all fit", () => {
    expect(pinnedPage(cards, pinned, 8, 0)).toEqual({ shown: ["c", "g", "a", "b", "d", "e", "f", "h"], pages: 1 });
  });

  it("pages the pinned cards alone when they fill a page by themselves", () => {
    expect(pinnedPage(cards, pinned, 1, 1)).toEqual({ shown: ["g"], pages: 2 });
  });

  it("pages as before when nothing is pinned", () => {
    expect(pinnedPage(cards, () => false, 3, 2)).toEqual({ shown: ["g", "h"], pages: 3 });
  });
});
