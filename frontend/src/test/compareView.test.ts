import { describe, expect, it } from "vitest";

import { cellText, relativePosition } from "../compare/cells";
import { groupChartData, joinOnX, runChartData } from "../compare/chartData";
import { nextSort, visibleColumns } from "../compare/RunsView";
import {
  initialCompareView,
  parseCompareView,
  parseSmoothing,
  smoothingParams,
  withCompareView,
  type CompareView,
} from "../compare/viewState";

describe("compare view in the URL", () => {
  const full: CompareView = {
    view: "runs",
    filter: "optimizer.lr < 1e-3 and tags has a,b",
    sort: ["-val/loss:min", "config.seed"],
    columns: ["name", "config.optimizer.lr", "val/loss:min"],
    summaries: ["val/loss:min"],
    groupBy: ["config.model.depth"],
    metric: "train/loss",
    smoothing: { kind: "savgol", weight: 0.9, window: 31, sigma: 5, order: 2 },
    xAxis: { kind: "metric", metric: "train/tokens" },
    compareOpen: true,
    detail: "r1",
  };

  it("round-trips every field and keeps other keys", () => {
    const search = withCompareView("?runs=a,b&kiosk=0", full);
    expect(search).toContain("runs=a,b");
    expect(search).toContain("view=runs");
    expect(parseCompareView(search)).toEqual(full);
  });

  it("defaults leave the URL clean", () => {
    expect(withCompareView("", initialCompareView())).toBe("");
    expect(parseCompareView("")).toEqual(initialCompareView());
  });

  it.each([
    ["ema:0.95", { kind: "ema", weight: 0.95 }],
    ["ema:7", { kind: "ema", weight: 0.999 }],
    ["sma:10", { kind: "sma", window: 10 }],
    ["gaussian:2.5", { kind: "gaussian", sigma: 2.5 }],
    ["savgol:20:3", { kind: "savgol", window: 21, order: 3 }],
    ["median:3", { kind: "none" }],
  ])("parses smoothing %s", (text, expected) => {
    expect(parseSmoothing(text)).toMatchObject(expected);
  });

  it("maps a smoothing choice to /metrics parameters", () => {
    expect(smoothingParams(parseSmoothing("savgol:5:9"))).toEqual({ smoothing: "savgol", window: "5", order: "4" });
    expect(smoothingParams(parseSmoothing(null))).toEqual({});
  });
});

describe("runs table helpers", () => {
  it.each([
    [[], "a", false, ["a"]],
    [["a"], "a", false, ["-a"]],
    [["-a"], "a", false, []],
    [["a"], "b", false, ["b"]],
    [["a"], "b", true, ["a", "b"]],
    [["a", "b"], "a", true, ["-a", "b"]],
    [["-a", "b"], "a", true, ["b"]],
  ])("sort %j click %s (shift %s) → %j", (sort, column, add, expected) => {
    expect(nextSort(sort, column, add)).toEqual(expected);
  });

  it("shows the chosen columns in order, the default without run id", () => {
    const all = ["name", "run_id", "config.lr", "point_count"].map((id) => ({ id, label: id, kind: "string" as const, group: "run" as const }));
    expect(visibleColumns(all, null).map((c) => c.id)).toEqual(["name", "config.lr"]);
    expect(visibleColumns(all, ["config.lr", "gone", "name"]).map((c) => c.id)).toEqual(["config.lr", "name"]);
  });

  it.each([
    [0.000123456789, "number", "0.000123457"],
    [3e-4, "number", "0.0003"],
    [12, "number", "12"],
    [["a", "b"], "list", "a, b"],
    [null, "string", ""],
    [true, "string", "true"],
    [90_000, "duration", "1m 30s"],
  ] as const)("cell %j as %s → %s", (value, kind, text) => {
    expect(cellText(value as never, kind)).toBe(text);
  });

  it("places numbers between their row's extremes", () => {
    expect(relativePosition(1, [1, 2, 3])).toBe(-1);
    expect(relativePosition(3, [1, 2, 3])).toBe(1);
    expect(relativePosition("x", [1, 2])).toBeNull();
    expect(relativePosition(2, [2, 2])).toBeNull();
  });
});

describe("chart data", () => {
  it("joins tables on the union of x", () => {
    expect(joinOnX([{ x: [1, 3], ys: [[10, 30]] }, { x: [2, 3], ys: [[20, 31]] }])).toEqual({
      x: [1, 2, 3],
      ys: [
        [10, null, 30],
        [null, 20, 31],
      ],
    });
  });

  it("draws a group as a mean line and a min..max band", () => {
    const g = { key: {}, label: "depth=2", runs: ["a", "b"], size: 2, step: [0, 1], time: [0, 0], mean: [1, 2], min: [0.5, "NaN" as const], max: [1.5, 3], std: [0.5, 1], count: [2, 2] };
    const data = groupChartData([g], () => "#4c8bf5");
    expect(data.ys).toEqual([
      [1, 2],
      [1.5, 3],
      [0.5, null],
    ]);
    expect(data.bands).toEqual([{ upper: 1, lower: 2, fill: "rgba(76,139,245,0.18)" }]);
    expect(data.series.map((s) => s.band)).toEqual([false, true, true]);
    expect(data.series[0]?.label).toBe("depth=2 (n=2)");
  });

  it("puts raw and smoothed side by side, on another metric as x sorted", () => {
    const s = { run_id: "a", metric: "m", host: "", rank: 0, device: 65535, step: [0, 1, 2], time: [0, 1000, 2000], value: [3, "NaN" as const, 1], smoothed: [3, 2.5, 2], x: [5, "NaN" as const, 1] };
    const data = runChartData([{ runId: "a", name: "A", start: 0, series: [s] }], { kind: "metric", metric: "tokens" }, () => "#000000");
    expect(data.x).toEqual([1, 5]);
    expect(data.ys).toEqual([
      [1, 3],
      [2, 3],
    ]);
    expect(data.series.map((x) => x.label)).toEqual(["A raw", "A"]);
    const relative = runChartData([{ runId: "a", name: "A", start: -1000, series: [s] }], { kind: "relative" }, () => "#000000");
    expect(relative.x).toEqual([1, 2, 3]);
  });

  it("keeps NaN/Inf raw points as markers of their raw line at their x", () => {
    const s = { run_id: "a", metric: "m", host: "", rank: 0, device: 65535, step: [0, 1, 2, 3], time: [0, 1, 2, 3], value: [3, "NaN" as const, "-Infinity" as const, 1], smoothed: [3, 3, 3, 2] };
    const other = { ...s, run_id: "b", step: [5], time: [5], value: ["Infinity" as const], smoothed: [1] };
    const data = runChartData([{ runId: "a", name: "A", start: 0, series: [s] }, { runId: "b", name: "B", start: 0, series: [other] }], { kind: "step" }, (id) => (id === "a" ? "#111111" : "#222222"));
    expect(data.markers).toEqual([
      { column: 1, color: "#111111", idx: [1, 2], value: [NaN, -Infinity] },
      { column: 3, color: "#222222", idx: [4], value: [Infinity] },
    ]);
    expect(data.ys[1]).toEqual([3, 3, 3, 2, null]); // the smoothed line carries on
  });
});
