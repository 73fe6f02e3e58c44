import { afterEach, describe, expect, it, vi } from "vitest";

import { AlertsFeed } from "../alerts/feed";

import { alertMarks } from "../charts/alertMarkers";
import type { LineSpec } from "../charts/cardData";
import { statusChip } from "../components/RunBadge";
import type { RunInfo } from "../core/types";
import { allAlerts, applyAlert, applyAlertList, firingAlerts, firingCountForRun, type AlertInfo } from "../store/alertsSlice";
import type { SeriesData } from "../store/seriesSlice";
import { createAppStore } from "../store/store";

function alert(over: Partial<AlertInfo>): AlertInfo {
  return {
    alert_id: "a1", rule: "loss-nan", kind: "nonfinite", state: "firing", severity: "warning", run_id: "r1", project: "p",
    series: "train/loss||0|65535", metric: "train/loss", host: "", rank: 0, device: 65535, step: 10, value: "NaN",
    message: "train/loss is NaN at step 10", fired_at: 1000, resolved_at: null, notified: [], ...over,
  };
}

describe("alerts slice", () => {
  it("an alert event adds a firing alert once, and its resolution replaces it", () => {
    const store = createAppStore();
    expect(applyAlert(store, alert({}))?.alert_id).toBe("a1");
    expect(applyAlert(store, alert({ notified: ["ops"] }))).toBeNull();
    expect(firingAlerts(store.getState()).map((a) => a.alert_id)).toEqual(["a1"]);
    expect(firingCountForRun(store.getState(), "r1")).toBe(1);
    applyAlert(store, alert({ state: "resolved", resolved_at: 2000 }));
    expect(firingAlerts(store.getState())).toEqual([]);
    expect(allAlerts(store.getState()).map((a) => a.state)).toEqual(["resolved"]);
  });

  it("ignores what is not an alert and replaces everything on a list", () => {
    const store = createAppStore();
    expect(applyAlert(store, { hello: 1 })).toBeNull();
    applyAlert(store, alert({ alert_id: "old" }));
    applyAlertList(store, [alert({ alert_id: "b", fired_at: 5 }), alert({ alert_id: "c", fired_at: 9 }), 3]);
    expect(allAlerts(store.getState()).map((a) => a.alert_id)).toEqual(["c", "b"]);
  });
});

describe("the alerts feed", () => {
  afterEach(() => vi.unstubAllGlobals());

  /** GET /alerts answered when the test says (the page's request is in flight meanwhile). */
  function pendingList(): (alerts: AlertInfo[]) => Promise<void> {
    let answer: (alerts: AlertInfo[]) => void = () => undefined;
    const body = new Promise<AlertInfo[]>((resolve) => (answer = resolve));
    vi.stubGlobal("fetch", () => body.then((alerts) => ({ ok: true, json: () => Promise.resolve({ alerts }) })));
    return async (alerts) => {
      answer(alerts);
      await new Promise((resolve) => setTimeout(resolve, 0));
    };
  }

  it("keeps an alert that fired while the list was on its way (the list was read before it)", async () => {
    const store = createAppStore();
    const feed = new AlertsFeed(store, null);
    const answer = pendingList();
    feed.reload();
    feed.onEvent(JSON.stringify(alert({ alert_id: "new", fired_at: 2000 })));
    await answer([alert({ alert_id: "old", fired_at: 1000 })]);
    expect(allAlerts(store.getState()).map((a) => a.alert_id)).toEqual(["new", "old"]);
  });

  it("takes the list as it is once it arrived, and the stream's later states over it", async () => {
    const store = createAppStore();
    const feed = new AlertsFeed(store, null);
    const answer = pendingList();
    feed.reload();
    feed.onEvent(JSON.stringify(alert({ alert_id: "x", state: "resolved", resolved_at: 3000 })));
    await answer([alert({ alert_id: "x" }), alert({ alert_id: "y", fired_at: 500 })]);
    expect(allAlerts(store.getState()).map((a) => [a.alert_id, a.state])).toEqual([["x", "resolved"], ["y", "firing"]]);
    const again = pendingList();
    feed.reload(); // nothing came from the stream since: the list is what the page holds
    await again([]);
    expect(allAlerts(store.getState())).toEqual([]);
  });
});

describe("alert markers", () => {
  const series = (metric: string, device = 65535) => ({ metric, device }) as unknown as SeriesData;
  const line = (runId: string, s: SeriesData[]) => ({ id: runId, runId, label: runId, color: "#000", dash: [], series: s }) as LineSpec;
  it.each([
    ["the same run and metric, by step", [line("r1", [series("train/loss")])], alert({}), "step", [10]],
    ["by time", [line("r1", [series("train/loss")])], alert({}), "time", [1000]],
    ["another run", [line("r2", [series("train/loss")])], alert({}), "step", []],
    ["another GPU", [line("r1", [series("sys.gpu.t", 1)])], alert({ metric: "sys.gpu.t", device: 0 }), "step", []],
    ["a run alert (no metric)", [line("r1", [series("train/loss")])], alert({ metric: "", step: null }), "step", []],
  ] as const)("%s", (_name, lines, a, xMode, xs) => {
    const marks = alertMarks(lines, new Map([[a.alert_id, a]]), xMode);
    expect(marks.map((m) => m.x)).toEqual(xs);
  });
});

describe("status chip", () => {
  const run = (over: Partial<RunInfo>) => ({ status: "running", ...over }) as RunInfo;
  it.each([
    [run({}), null],
    [run({ status: "finished" }), null],
    [run({ status: "crashed" }), "crashed"],
    [run({ status: "stale" }), "stale"],
    [run({ status: "failed" }), "failed"],
    [run({ status: "failed", failure: { reason: "oom", type: "OutOfMemoryError", message: "" } }), "oom"],
  ])("%o → %s", (r, chip) => {
    expect(statusChip(r)).toBe(chip);
  });
});
