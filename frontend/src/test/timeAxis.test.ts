import { describe, expect, it } from "vitest";

import { timeIncrement } from "../charts/timeAxis";

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
// the normal view's axis font: 6.4 px per character, 14 px between labels
const CHAR = 6.4;
const PAD = 14;

/** Ticks inside a span, as uPlot places them (multiples of the step; floor is the fewest). */
function ticks(span: number, plotPx: number): number {
  return Math.floor(span / timeIncrement(span, plotPx, CHAR, PAD));
}

describe("time axis ticks", () => {
  it("a few minutes on a small card gets several ticks, not one", () => {
    // a 4-minute run on a 250 px plot: uPlot's own steps gave one tick (5 min)
    expect(ticks(4 * MIN, 250)).toBeGreaterThanOrEqual(3);
  });

  it.each([180, 250, 400, 700, 1200, 2400, 3600])("a %i px plot gets 2 to 10 readable ticks over any span", (plotPx) => {
    for (const span of [20_000, 3 * MIN, 7 * MIN, 45 * MIN, 300 * MIN, 3 * DAY, 40 * DAY, 400 * DAY]) {
      const incr = timeIncrement(span, plotPx, CHAR, PAD);
      const n = Math.floor(span / incr);
      expect(n, `${span} ms`).toBeGreaterThanOrEqual(plotPx >= 400 ? 3 : 2);
      expect(n, `${span} ms`).toBeLessThanOrEqual(10);
      // labels never touch: "14:05:30" needs 8 characters, "14:05" 5
      expect((plotPx * incr) / span, `${span} ms`).toBeGreaterThanOrEqual((incr < MIN ? 8 : 5) * CHAR + PAD);
    }
  });

  it("a 4K wall card gets at most ten ticks", () => {
    expect(ticks(10 * MIN, 3400)).toBeLessThanOrEqual(10);
  });
});
