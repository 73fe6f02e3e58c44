import { describe, expect, it } from "vitest";

import { buildCardData, linesForCard } from "../charts/cardData";
import { applySnapshot } from "../store/apply";
import { cardIndexOf, visibleCards } from "../store/selectors";
import { createAppStore } from "../store/store";
import { run, series, snapshot } from "./factories";

function gpuStore() {
  const store = createAppStore();
  applySnapshot(
    store,
    snapshot(1, [run("a", { start_time: 2 }), run("b", { start_time: 1 })], [
      series("a", "sys.gpu.0.util_percent", [1, 2], [10, 20], { device: 0, unit: "%" }),
      series("a", "sys.gpu.1.util_percent", [1, 2], [30, 40], { device: 1, unit: "%" }),
      series("b", "sys.gpu.0.util_percent", [1, 2], [50, 60], { device: 0, unit: "%" }),
      series("a", "train/loss", [1, 2, 3], [1, "NaN", 0.5]),
      series("b", "train/loss", [2, 4], [2, 1]),
      series("a", "checkpoint", [2], [1024], { unit: "bytes" }),
    ]),
  );
  return store;
}

const options = { xMode: "step" as const, cutoffTime: null, smoothing: 0, gpuView: "device" as const, detail: new Map() };

describe("card index", () => {
  it("groups per-GPU metrics into one card and maps cards to tabs", () => {
    const index = cardIndexOf(gpuStore().getState());
    expect([...index.cards.keys()].sort()).toEqual(["sys.gpu.util_percent", "train/loss"]);
    expect(index.cards.get("sys.gpu.util_percent")?.perDevice).toBe(true);
    expect(index.cards.get("sys.gpu.util_percent")?.unitKind).toBe("percent");
    expect(index.byTab.get("system")?.map((c) => c.id)).toEqual(["sys.gpu.util_percent"]);
    expect(index.byTab.get("training")?.map((c) => c.id)).toEqual(["train/loss"]);
  });

  it("hides cards whose runs are all deselected", () => {
    const state = gpuStore().getState();
    const index = cardIndexOf(state);
    expect(visibleCards(index, "training", { mode: "include", ids: [] }, "")).toEqual([]);
    expect(visibleCards(index, "training", { mode: "include", ids: ["b"] }, "").map((c) => c.id)).toEqual(["train/loss"]);
    expect(visibleCards(index, "training", { mode: "exclude", ids: [] }, "nothing")).toEqual([]);
  });
});

describe("linesForCard and buildCardData", () => {
  it("draws one line per device per run, and one per run when aggregated", () => {
    const state = gpuStore().getState();
    const card = cardIndexOf(state).cards.get("sys.gpu.util_percent");
    if (!card) throw new Error("card missing");
    const perDevice = linesForCard(card, state, "device");
    expect(perDevice.map((l) => l.label)).toEqual(["a · gpu0", "a · gpu1", "b · gpu0"]);
    const mean = linesForCard(card, state, "mean");
    expect(mean.map((l) => l.label)).toEqual(["a · mean", "b · mean"]);
    const data = buildCardData(mean, { ...options, gpuView: "mean" });
    expect(data.aligned.ys[0]).toEqual([20, 30]);
    const max = buildCardData(linesForCard(card, state, "max"), { ...options, gpuView: "max" });
    expect(max.aligned.ys[0]).toEqual([30, 40]);
  });

  it("removes a deselected run's series", () => {
    const store = gpuStore();
    store.setState({ selection: { mode: "exclude", ids: ["b"] } });
    const state = store.getState();
    const card = cardIndexOf(state).cards.get("train/loss");
    if (!card) throw new Error("card missing");
    expect(linesForCard(card, state, "device").map((l) => l.runId)).toEqual(["a"]);
  });

  it("aligns runs on step and reports NaN as a marked point", () => {
    const state = gpuStore().getState();
    const card = cardIndexOf(state).cards.get("train/loss");
    if (!card) throw new Error("card missing");
    const data = buildCardData(linesForCard(card, state, "device"), options);
    expect(data.aligned.x).toEqual([1, 2, 3, 4]);
    expect(data.aligned.ys[0]).toEqual([1, null, 0.5, undefined]);
    expect(data.aligned.ys[1]).toEqual([undefined, 2, undefined, 1]);
    expect(data.nonFinite).toBe(1);
    expect(data.lastValue).toEqual([0.5, 1]);
    expect(data.lastStep).toBe(4);
  });

  it("adds a smoothed column per line when smoothing is on", () => {
    const state = gpuStore().getState();
    const card = cardIndexOf(state).cards.get("train/loss");
    if (!card) throw new Error("card missing");
    const data = buildCardData(linesForCard(card, state, "device"), { ...options, smoothing: 0.5 });
    expect(data.aligned.ys).toHaveLength(4);
    expect(data.rawColumn).toEqual([0, 2]);
    expect(data.smoothColumn).toEqual([1, 3]);
    expect(data.nonFinite).toBe(1);
  });

  it("leaves out points older than the timeline window", () => {
    const state = gpuStore().getState();
    const card = cardIndexOf(state).cards.get("train/loss");
    if (!card) throw new Error("card missing");
    const data = buildCardData(linesForCard(card, state, "device"), { ...options, cutoffTime: 1_700_000_003_000 });
    expect(data.aligned.x).toEqual([3, 4]);
  });

  it("uses full-resolution detail inside a zoomed range", () => {
    const state = gpuStore().getState();
    const card = cardIndexOf(state).cards.get("train/loss");
    if (!card) throw new Error("card missing");
    const lines = linesForCard(card, state, "device").slice(0, 1);
    const key = lines[0]?.series[0]?.key as string;
    const detail = new Map([[key, { xMode: "step" as const, from: 2, to: 3, step: [2, 2.5, 3], time: [0, 0, 0], value: [7, 8, 9] }]]);
    const data = buildCardData(lines, { ...options, detail });
    expect(data.aligned.x).toEqual([1, 2, 2.5, 3]);
    expect(data.aligned.ys[0]).toEqual([1, 7, 8, 9]);
  });
});
