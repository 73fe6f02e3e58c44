import { describe, expect, it } from "vitest";

import { seriesKey } from "../core/metrics";
import { applyDelta, applyRunsMeta, applySnapshot } from "../store/apply";
import { createAppStore } from "../store/store";
import { delta, run, series, snapshot } from "./factories";

const key = (runId: string, metric: string) => seriesKey({ run_id: runId, metric, host: "h", rank: 0, device: 65535 });

describe("applySnapshot", () => {
  it("replaces runs and series and takes the version", () => {
    const store = createAppStore();
    applySnapshot(store, snapshot(7, [run("a"), run("b")], [series("a", "train/loss", [1, 2], [0.5, 0.4])]));
    const s = store.getState();
    expect(s.version).toBe(7);
    expect([...s.runs.keys()].sort()).toEqual(["a", "b"]);
    expect(s.series.get(key("a", "train/loss"))?.value).toEqual([0.5, 0.4]);

    applySnapshot(store, snapshot(9, [run("c")], [series("c", "x", [1], [1])]));
    expect(store.getState().series.has(key("a", "train/loss"))).toBe(false);
    expect([...store.getState().runs.keys()]).toEqual(["c"]);
  });

  it("decodes NaN and infinities sent as strings", () => {
    const store = createAppStore();
    applySnapshot(store, snapshot(1, [run("a")], [series("a", "m", [1, 2, 3, 4], [1, "NaN", "Infinity", "-Infinity"])]));
    const values = store.getState().series.get(key("a", "m"))?.value ?? [];
    expect(values[0]).toBe(1);
    expect(Number.isNaN(values[1])).toBe(true);
    expect(values[2]).toBe(Number.POSITIVE_INFINITY);
    expect(values[3]).toBe(Number.NEGATIVE_INFINITY);
  });

  it("keeps the ui slice (zoom, selection, smoothing) across a snapshot", () => {
    const store = createAppStore({ smoothing: 0.6, xRange: { min: 10, max: 20 }, selection: { mode: "exclude", ids: ["b"] } });
    applySnapshot(store, snapshot(1, [run("a"), run("b")], []));
    const s = store.getState();
    expect(s.smoothing).toBe(0.6);
    expect(s.xRange).toEqual({ min: 10, max: 20 });
    expect(s.selection).toEqual({ mode: "exclude", ids: ["b"] });
  });

  it("gives runs that only have series a placeholder", () => {
    const store = createAppStore();
    applySnapshot(store, snapshot(1, [], [series("ghost", "m", [1], [1])]));
    expect(store.getState().runs.get("ghost")?.status).toBe("running");
  });
});

describe("applyDelta", () => {
  it("appends points when replace is false", () => {
    const store = createAppStore();
    applySnapshot(store, snapshot(1, [run("a")], [series("a", "m", [1, 2], [1, 2])]));
    const rev = store.getState().dataRev;
    expect(applyDelta(store, delta(1, 2, [series("a", "m", [3], [3])]))).toBe("applied");
    const s = store.getState();
    expect(s.version).toBe(2);
    expect(s.series.get(key("a", "m"))?.step).toEqual([1, 2, 3]);
    expect(s.series.get(key("a", "m"))?.value).toEqual([1, 2, 3]);
    expect(s.dataRev).toBeGreaterThan(rev);
  });

  it("replaces the series when replace is true", () => {
    const store = createAppStore();
    applySnapshot(store, snapshot(1, [run("a")], [series("a", "m", [1, 2, 3, 4], [1, 2, 3, 4])]));
    applyDelta(store, delta(1, 2, [series("a", "m", [1, 4, 5], [1, 4, "NaN"], { replace: true })]));
    const data = store.getState().series.get(key("a", "m"));
    expect(data?.step).toEqual([1, 4, 5]);
    expect(Number.isNaN(data?.value[2])).toBe(true);
  });

  it("creates a new series and a placeholder run, and bumps the structure revision", () => {
    const store = createAppStore();
    applySnapshot(store, snapshot(1, [run("a")], []));
    const structure = store.getState().structureRev;
    applyDelta(store, delta(1, 2, [series("new", "val/acc", [5], [0.9])]));
    const s = store.getState();
    expect(s.structureRev).toBe(structure + 1);
    expect(s.runs.has("new")).toBe(true);
    expect(s.runOrder).toContain("new");
  });

  it("answers resync and changes nothing when prev_version does not match", () => {
    const store = createAppStore();
    applySnapshot(store, snapshot(5, [run("a")], [series("a", "m", [1], [1])]));
    expect(applyDelta(store, delta(6, 7, [series("a", "m", [2], [2])]))).toBe("resync");
    expect(store.getState().version).toBe(5);
    expect(store.getState().series.get(key("a", "m"))?.step).toEqual([1]);
  });

  it("answers resync before any snapshot", () => {
    const store = createAppStore();
    expect(applyDelta(store, delta(0, 1, []))).toBe("resync");
  });

  it("merges a late point into step order", () => {
    const store = createAppStore();
    applySnapshot(store, snapshot(1, [run("a")], [series("a", "m", [1, 3], [1, 3])]));
    applyDelta(store, delta(1, 2, [series("a", "m", [2], [2])]));
    expect(store.getState().series.get(key("a", "m"))?.step).toEqual([1, 2, 3]);
    expect(store.getState().series.get(key("a", "m"))?.value).toEqual([1, 2, 3]);
  });

  it("keeps memory bounded when a server never re-decimates", () => {
    const store = createAppStore();
    applySnapshot(store, snapshot(1, [run("a")], [series("a", "m", [0], [0])], 500));
    let version = 1;
    for (let i = 1; i <= 20_000; i += 100) {
      const steps = Array.from({ length: 100 }, (_, j) => i + j);
      applyDelta(store, delta(version, version + 1, [series("a", "m", steps, steps)]));
      version++;
    }
    const data = store.getState().series.get(key("a", "m"));
    expect(data?.step.length).toBeLessThanOrEqual(1000);
    expect(data?.step.at(-1)).toBe(20_000);
  });
});

describe("applyRunsMeta", () => {
  it("replaces run metadata, keeps placeholders for runs with series, never lowers the version", () => {
    const store = createAppStore();
    applySnapshot(store, snapshot(4, [run("a"), run("b")], [series("b", "m", [1], [1])]));
    applyRunsMeta(store, { version: 3, runs: [run("a", { status: "finished", is_active: false })] });
    const s = store.getState();
    expect(s.runs.get("a")?.status).toBe("finished");
    expect(s.runs.has("b")).toBe(true);
    expect(s.version).toBe(4);
    applyRunsMeta(store, { version: 6, runs: [run("a")] });
    expect(store.getState().version).toBe(6);
  });

  it("orders runs newest first", () => {
    const store = createAppStore();
    applyRunsMeta(store, { version: 1, runs: [run("old", { start_time: 1 }), run("new", { start_time: 5 }), run("mid", { start_time: 3 })] });
    expect(store.getState().runOrder).toEqual(["new", "mid", "old"]);
  });
});
