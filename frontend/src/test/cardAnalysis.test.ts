import { describe, expect, it } from "vitest";

import type { SmoothedSeries } from "../compare/api";
import { cardAnalysisOn, cardExportUrl, lastStep, mergeTail } from "../compare/cardAnalysis";
import { DEFAULT_SMOOTHING } from "../compare/viewState";

const series = (steps: number[], extra: Partial<SmoothedSeries> = {}): SmoothedSeries => ({
  run_id: "r",
  metric: "loss",
  host: "h",
  rank: 0,
  device: 65535,
  step: steps,
  time: steps.map((s) => 1000 + s),
  value: steps.map((s) => s * 10),
  smoothed: steps.map((s) => s * 100),
  ...extra,
});

describe("chart cards from the server", () => {
  it.each([
    [{ smoothing: DEFAULT_SMOOTHING, groupBy: [], xAxis: { kind: "step" } }, false],
    [{ smoothing: DEFAULT_SMOOTHING, groupBy: [], xAxis: { kind: "time" } }, false],
    [{ smoothing: { ...DEFAULT_SMOOTHING, kind: "gaussian" }, groupBy: [], xAxis: { kind: "step" } }, true],
    [{ smoothing: DEFAULT_SMOOTHING, groupBy: ["config.lr"], xAxis: { kind: "step" } }, true],
    [{ smoothing: DEFAULT_SMOOTHING, groupBy: [], xAxis: { kind: "relative" } }, true],
    [{ smoothing: DEFAULT_SMOOTHING, groupBy: [], xAxis: { kind: "metric", metric: "epoch" } }, true],
  ] as const)("switch to the server only when asked: %j → %s", (view, on) => {
    expect(cardAnalysisOn({ ...view, groupBy: [...view.groupBy] })).toBe(on);
  });

  it("joins a tail from its from_step: held points before it stay, the rest is the server's", () => {
    const held = [series([0, 5, 10, 15, 20]), series([0, 10], { host: "other" })];
    const tail = [{ ...series([14, 20, 25]), from_step: 14, smoothed: [1, 2, 3] }];
    const [joined, untouched] = mergeTail(held, tail);
    expect(joined?.step).toEqual([0, 5, 10, 14, 20, 25]);
    expect(joined?.smoothed).toEqual([0, 500, 1000, 1, 2, 3]);
    expect(joined?.value).toEqual([0, 50, 100, 140, 200, 250]);
    expect(joined?.time).toEqual([1000, 1005, 1010, 1014, 1020, 1025]);
    expect(untouched).toBe(held[1]);
    expect(held[0]?.step).toEqual([0, 5, 10, 15, 20]); // nothing held is changed in place
  });

  it("adds a series the run started meanwhile, and an empty tail keeps everything", () => {
    const held = [series([0, 1])];
    const fresh = series([7], { rank: 1 });
    expect(mergeTail(held, [fresh]).map((s) => s.rank)).toEqual([0, 1]);
    expect(mergeTail(held, [{ ...series([]), from_step: 2 }])[0]?.step).toEqual([0, 1]);
    expect(lastStep([series([0, 9]), series([3, 12], { rank: 2 })])).toBe(12);
    expect(lastStep([])).toBeNull();
  });

  it("downloads the shown runs in the zoomed window, in the card's x unit", () => {
    expect(cardExportUrl(["a", "b c"], "val/loss", "csv", null, "step")).toBe("export?format=csv&metric=val%2Floss&run_id=a&run_id=b+c");
    expect(cardExportUrl(["a"], "m", "parquet", { min: 10.4, max: 99.2 }, "step")).toBe("export?format=parquet&metric=m&run_id=a&from_step=10&to_step=100");
    expect(cardExportUrl(["a"], "m", "csv", { min: 1.7e12, max: 1.8e12 }, "time")).toBe("export?format=csv&metric=m&run_id=a&from_time=1700000000000&to_time=1800000000000");
  });
});
