import { describe, expect, it } from "vitest";

import { colorForRun, hashString, PALETTE, runDash, shade, validColor } from "../core/colors";

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

describe("a run's colour depends on its id only", () => {
  const ids = Array.from({ length: 40 }, (_, i) => `run-${i}`);

  it("has at least 20 distinct colours", () => {
    expect(new Set(PALETTE).size).toBeGreaterThanOrEqual(20);
  });

  it("keeps a run's colour when 10 older runs are loaded", () => {
    const alone = colorForRun("newest");
    for (const id of ids.slice(0, 10)) colorForRun(id);
    expect(colorForRun("newest")).toBe(alone);
  });

  it("gives runs sharing a colour different dashes most of the time", () => {
    const byColor = new Map<string, string[]>();
    for (const id of ids) byColor.set(colorForRun(id), [...(byColor.get(colorForRun(id)) ?? []), id]);
    const pairs = [...byColor.values()].filter((list) => list.length > 1);
    const told = pairs.filter((list) => new Set(list.map((id) => runDash(id).join(","))).size > 1);
    expect(told.length).toBeGreaterThanOrEqual(pairs.length / 2);
  });
});

describe("validColor", () => {
  it.each([
    ["#A1b2C3", "#a1b2c3"],
    ["red", null],
    ["#abc", null],
    [42, null],
  ])("%s -> %s", (input, expected) => {
    expect(validColor(input)).toBe(expected);
  });
});
