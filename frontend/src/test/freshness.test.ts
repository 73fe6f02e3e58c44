import { describe, expect, it } from "vitest";

import { attentionRank, liveness, recentlyEnded, shownStatus, type Liveness } from "../core/freshness";
import { middleEllipsis } from "../core/format";
import type { StatusMessage } from "../core/types";
import { run as makeRunWithId } from "./factories";
import type { RunInfo } from "../core/types";

const makeRun = (patch: Partial<RunInfo> & { run_id: string }): RunInfo => makeRunWithId(patch.run_id, patch);

const NOW = 1_700_000_000_000;
const live: StatusMessage = { state: "live", cause: null, error: null, since: null, last_poll: NOW, stale_after_sec: 60, ping_sec: 15 };
const down: StatusMessage = { ...live, state: "delayed", cause: "clickhouse_unreachable", since: NOW - 5000 };

describe("liveness", () => {
  it.each<[string, Parameters<typeof liveness>[0], Liveness]>([
    ["a live stream with a live server", { state: "live", lastMessageAt: NOW - 1000, server: live }, "live"],
    ["ClickHouse unreachable behind a live stream", { state: "live", lastMessageAt: NOW - 1000, server: down }, "delayed"],
    ["no frame for longer than 3 pings", { state: "live", lastMessageAt: NOW - 46_000, server: live }, "stalled"],
    ["the stream is down", { state: "disconnected", lastMessageAt: NOW - 1000, server: live }, "disconnected"],
    ["connecting", { state: "connecting", lastMessageAt: null, server: null }, "connecting"],
    ["an older server without status events", { state: "live", lastMessageAt: NOW, server: null }, "live"],
  ])("%s", (_, input, expected) => {
    expect(liveness(input, NOW)).toBe(expected);
  });
});

describe("shownStatus", () => {
  const running = makeRun({ run_id: "r", status: "running", last_event_time: NOW - 10_000 });
  it.each<[string, RunInfo, Liveness, string]>([
    ["running and recent", running, "live", "running"],
    ["running but silent past the threshold", { ...running, last_event_time: NOW - 61_000 }, "live", "stale"],
    ["running while the data is delayed: not claimed", running, "delayed", "unknown"],
    ["failed stays failed", { ...running, status: "failed" }, "delayed", "failed"],
  ])("%s", (_, run, level, expected) => {
    expect(shownStatus(run, NOW, 60, level)).toBe(expected);
  });

  it("puts failed and stale runs before running and finished ones", () => {
    const order = (["finished", "running", "stale", "failed"] as const).slice().sort((a, b) => attentionRank(a) - attentionRank(b));
    expect(order).toEqual(["failed", "stale", "running", "finished"]);
  });

  it("keeps an ended run for the configured time", () => {
    const ended = makeRun({ run_id: "e", status: "finished", last_event_time: NOW - 23 * 3_600_000 });
    expect(recentlyEnded(ended, NOW, 24 * 3_600_000)).toBe(true);
    expect(recentlyEnded(ended, NOW, 3_600_000)).toBe(false);
  });
});

describe("middleEllipsis", () => {
  it.each([
    ["short", 10, "short"],
    ["resnet50-lr0.006-2007-2", 16, "resnet…06-2007-2"],
    ["resnet50-lr0.006-2018-2", 16, "resnet…06-2018-2"],
    ["abcdefghij", 1, "…"],
  ])("%s at %d -> %s", (text, max, expected) => {
    expect(middleEllipsis(text, max)).toBe(expected);
    expect([...middleEllipsis(text, max)].length).toBeLessThanOrEqual(Math.max(max, 1));
  });

  it("keeps names that differ only at the end apart", () => {
    expect(middleEllipsis("resnet50-lr0.006-2007-2", 12)).not.toBe(middleEllipsis("resnet50-lr0.006-2018-2", 12));
  });
});
