import { describe, expect, it } from "vitest";

import { etaSeconds, stepRate, totalSteps } from "../core/progress";

describe("totalSteps", () => {
  it.each([
    [{ total_steps: 1000 }, 1000],
    [{ max_steps: "500" }, 500],
    [{ trainer: { max_steps: 42 } }, 42],
    [{ total_steps: 0, max_steps: 7 }, 7],
    [{ lr: 0.1 }, null],
    [{}, null],
  ])("%j → %s", (config, total) => {
    expect(totalSteps(config)).toBe(total);
  });
});

describe("stepRate", () => {
  it("measures steps per second over the recent window", () => {
    const steps = [0, 10, 20, 30];
    const times = [0, 1000, 2000, 3000];
    expect(stepRate(steps, times)).toBeCloseTo(10);
  });
  it("ignores points older than the window", () => {
    const steps = [0, 1000, 1010];
    const times = [0, 1_000_000, 1_001_000];
    expect(stepRate(steps, times, 60_000)).toBeCloseTo(10);
  });
  it("is null with fewer than two points or no progress", () => {
    expect(stepRate([5], [1])).toBeNull();
    expect(stepRate([5, 5], [1, 2000])).toBeNull();
  });
});

describe("etaSeconds", () => {
  it("divides what is left by the rate", () => {
    expect(etaSeconds(100, 1100, 10)).toBe(100);
    expect(etaSeconds(2000, 1000, 10)).toBe(0);
    expect(etaSeconds(1, null, 10)).toBeNull();
    expect(etaSeconds(1, 10, null)).toBeNull();
  });
});
