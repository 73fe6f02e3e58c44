import { describe, expect, it } from "vitest";

import { kioskLabelChars, kioskLegendCapacity, legendSplit } from "../charts/legend";

describe("wall legend", () => {
  it.each([
    // legend width, rem → entries (two rows of 13rem + 1.5rem gaps)
    [400, 16, 2],
    [440, 16, 4],
    [900, 20, 6],
    [1800, 40, 6],
  ])("%d px at %d px/rem holds %d entries", (width, rem, capacity) => {
    expect(kioskLegendCapacity(width, rem)).toBe(capacity);
  });

  it("keeps one slot for +N more so the shown and the counted add up to every series", () => {
    expect(legendSplit(12, 6)).toEqual({ shown: 5, more: 7 });
    expect(legendSplit(6, 6)).toEqual({ shown: 6, more: 0 });
    expect(legendSplit(3, Infinity)).toEqual({ shown: 3, more: 0 });
  });
});

describe("wall legend names", () => {
  it.each([
    // a 1280 px wall card (5 columns of ~227 px at 16 px/rem) and a 4K one
    [1212, 16, 17],
    [3600, 40, 17], // the type scales with the screen: the same names fit
  ])("a %d px legend at %d px/rem fits %d characters of a name", (width, rem, chars) => {
    expect(kioskLabelChars(width, rem)).toBe(chars);
  });
});
