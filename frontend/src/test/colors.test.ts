import { describe, expect, it } from "vitest";

import { assignRunColors, colorForRun, hashString, PALETTE, shade } from "../core/colors";

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

describe("assignRunColors", () => {
  // Two ids with the same hashed colour.
  const ids = Array.from({ length: 200 }, (_, i) => `run-${i}`);
  const first = ids[0] as string;
  const clash = ids.find((id) => id !== first && colorForRun(id) === colorForRun(first)) as string;

  it("gives runs seen together different colours, the older one keeping its hashed colour", () => {
    const colors = assignRunColors([first, clash]);
    expect(colors.get(first)).toBe(colorForRun(first));
    expect(colors.get(clash)).not.toBe(colors.get(first));
  });

  it("is the same for the same runs, and a newer run never recolours an older one", () => {
    const before = assignRunColors(ids.slice(0, 10));
    const after = assignRunColors(ids.slice(0, 11));
    for (const id of ids.slice(0, 10)) expect(after.get(id)).toBe(before.get(id));
    expect(assignRunColors(ids.slice(0, 10))).toEqual(before);
  });

  it("keeps a second run away from the first one's hue (blue, then not indigo)", () => {
    const blue = ids.find((id) => colorForRun(id) === "#4c8bf5") as string;
    const indigo = ids.find((id) => colorForRun(id) === "#5a6ce0") as string;
    const colors = assignRunColors([blue, indigo]);
    expect(colors.get(blue)).toBe("#4c8bf5");
    expect(colors.get(indigo)).not.toBe("#5a6ce0");
  });

  it("uses every colour once before repeating one", () => {
    const colors = assignRunColors(ids.slice(0, PALETTE.length));
    expect(new Set(colors.values()).size).toBe(PALETTE.length);
  });
});
