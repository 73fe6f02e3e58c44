import { describe, expect, it } from "vitest";

import { colorForRun, hashString, PALETTE, shade } from "../core/colors";

describe("colorForRun", () => {
  it("is the same colour for the same run, on every call (and so across reloads)", () => {
    expect(colorForRun("run-2024-05-01-abc")).toBe(colorForRun("run-2024-05-01-abc"));
    // Pinned values: a change of the hash would recolour every user's runs.
    expect(hashString("a")).toBe(0xe40c292c);
    expect(hashString("run-1")).toBe(hashString("run-1"));
    expect(colorForRun("a")).toBe(PALETTE[0xe40c292c % PALETTE.length]);
  });

  it("spreads 100 runs over most of the palette", () => {
    const used = new Set(Array.from({ length: 100 }, (_, i) => colorForRun(`run-${i}`)));
    expect(used.size).toBeGreaterThanOrEqual(PALETTE.length - 2);
  });

  it("uses only palette colours", () => {
    for (let i = 0; i < 50; i++) expect(PALETTE).toContain(colorForRun(`x${i}`));
  });
});

describe("shade", () => {
  it("mixes toward white and black", () => {
    expect(shade("#000000", 1)).toBe("#ffffff");
    expect(shade("#ffffff", -1)).toBe("#000000");
    expect(shade("#808080", 0)).toBe("#808080");
  });
});
