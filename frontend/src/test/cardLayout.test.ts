import { describe, expect, it } from "vitest";

import { cardLayout } from "../core/cardLayout";

describe("cardLayout", () => {
  it.each([
    // grid width, screen height → columns, chart height
    [1030, 720, 2, 210], // 1280×720 less the sidebar: two laptop cards
    [1670, 1080, 4, 190], // 1080p: four 24rem cards
    [2300, 1440, 4, 240],
    [3600, 2160, 4, 370], // 4K: four wide cards with tall charts, not nine slivers
    [360, 800, 1, 190], // a phone: one column, the smallest chart
  ])("a %i px grid on a %i px screen has %i columns and %i px charts", (width, height, cols, plot) => {
    const layout = cardLayout(width, height);
    expect(layout.cols).toBe(cols);
    expect(layout.plotHeight).toBe(plot);
  });

  it("never gets charts taller than a third of the screen, so two rows stay in view", () => {
    const layout = cardLayout(3600, 900);
    expect(layout.plotHeight).toBe(320); // 0.36 × 900, in 10 px steps
  });

  it("fills the grid's width with its columns", () => {
    for (const width of [800, 1234, 1920, 2877, 3800]) {
      const { cols, cardWidth } = cardLayout(width, 1000);
      expect(cols * cardWidth + (cols - 1) * 12).toBeLessThanOrEqual(width);
      expect(cols * cardWidth + (cols - 1) * 12).toBeGreaterThan(width - cols);
    }
  });
});
