import { describe, expect, it } from "vitest";

import { isConstant } from "../core/constant";
import { applyDelta, applySnapshot } from "../store/apply";
import { constantCardKey } from "../store/constantCards";
import { cardIndexOf } from "../store/selectors";
import { createAppStore } from "../store/store";
import { delta, run, series, snapshot } from "./factories";

describe("isConstant", () => {
  it.each([
    [[80e9, 80e9, 80e9], true],
    [[1, 1], false], // two points do not tell
    [[1, 1, 1.0000001], false],
    [[NaN, NaN, NaN], false], // a NaN is news, never folded away
    [[1, 1, NaN], false],
    [[Infinity, Infinity, Infinity], false],
    [[], false],
  ])("%j → %s", (values, constant) => {
    expect(isConstant(values)).toBe(constant);
  });
});

describe("constant cards", () => {
  it("a card is a stat card while every selected series is constant, and a chart again once one moves", () => {
    const store = createAppStore();
    applySnapshot(store, snapshot(1, [run("a"), run("b")], [
      series("a", "sys.gpu.0.mem_total_bytes", [1, 2, 3], [80e9, 80e9, 80e9]),
      series("b", "sys.gpu.0.mem_total_bytes", [1, 2, 3], [40e9, 40e9, 40e9]),
      series("a", "train/loss", [1, 2, 3], [1, 0.9, 0.8]),
    ]));
    const cards = () => cardIndexOf(store.getState()).byTab.get("system") ?? [];
    expect(constantCardKey(store.getState(), cards())).toBe("sys.gpu.mem_total_bytes");
    applyDelta(store, delta(1, 2, [series("b", "sys.gpu.0.mem_total_bytes", [4], [41e9])]));
    expect(constantCardKey(store.getState(), cards())).toBe("");
    // hiding the run that moved leaves only a constant series on the card
    store.setState({ selection: { mode: "exclude", ids: ["b"] } });
    expect(constantCardKey(store.getState(), cards())).toBe("sys.gpu.mem_total_bytes");
  });
});
