/**
 * What the page may honestly claim about its data, from the stream's state, the server's
 * `status` event and the clock. Pure: every view (pill, header, badges, progress, kiosk)
 * derives its words from here, so none of them says "live" or "active" while another says
 * "delayed".
 */
import type { RunInfo, RunStatus, StatusMessage } from "./types";

export type Liveness = "live" | "delayed" | "stalled" | "connecting" | "disconnected";

export interface LivenessInput {
  state: "connecting" | "live" | "disconnected";
  /** Date.now() of the last frame of any kind (data, status or ping). */
  lastMessageAt: number | null;
  server: StatusMessage | null;
}

/** No frame at all for this long on an open stream: the page is showing a frozen picture. */
export function stalledAfterMs(server: StatusMessage | null): number {
  const ping = server?.ping_sec ?? 15;
  return Math.max(3 * ping * 1000, 20_000);
}

export function liveness(input: LivenessInput, now: number): Liveness {
  if (input.state !== "live") return input.state;
  if (input.lastMessageAt !== null && now - input.lastMessageAt > stalledAfterMs(input.server)) return "stalled";
  if (input.server !== null && input.server.state !== "live") return "delayed";
  return "live";
}

const CAUSES: Record<string, string> = {
  clickhouse_unreachable: "ClickHouse unreachable",
  poll_failing: "reading ClickHouse fails",
  poll_late: "the server's poller is stuck",
  poller_stopped: "the server's poller stopped",
  starting: "waiting for the first read of ClickHouse",
};

export function causeText(server: StatusMessage | null): string {
  if (server === null || server.cause === null) return "";
  return CAUSES[server.cause] ?? server.cause;
}

/** Whether "active" and "running" can be believed: only while live. */
export function trusted(level: Liveness): boolean {
  return level === "live";
}

/** A run's status as it should be shown now: `running` turns stale once silent too long. */
export type ShownStatus = RunStatus | "unknown";

export const DEFAULT_STALE_AFTER_SEC = 300;

export function shownStatus(run: RunInfo, now: number, staleAfterSec: number, level: Liveness): ShownStatus {
  if (run.status !== "running") return run.status;
  if (!trusted(level)) return "unknown";
  if (run.last_event_time !== null && now - run.last_event_time > staleAfterSec * 1000) return "stale";
  return "running";
}

/** Attention first: failed and crashed, then stale, then running, unknown, finished. */
const ATTENTION: Record<ShownStatus, number> = { failed: 0, crashed: 0, stale: 1, running: 2, unknown: 3, finished: 4 };

export function attentionRank(status: ShownStatus): number {
  return ATTENTION[status];
}

/** Ended (or gone silent) within `keepEndedMs`: still shown on Progress and the kiosk. */
export function recentlyEnded(run: RunInfo, now: number, keepEndedMs: number): boolean {
  const last = run.last_event_time ?? run.start_time;
  return last !== null && now - last <= keepEndedMs;
}

export const DEFAULT_KEEP_ENDED_MS = 24 * 3_600_000;

/** Words and an icon that do not rely on hue alone. */
export const STATUS_LOOK: Record<ShownStatus, { icon: string; text: string; tone: "ok" | "warn" | "bad" | "idle" }> = {
  running: { icon: "▶", text: "running", tone: "ok" },
  finished: { icon: "✓", text: "finished", tone: "idle" },
  failed: { icon: "✕", text: "failed", tone: "bad" },
  crashed: { icon: "✕", text: "crashed (process gone)", tone: "bad" },
  stale: { icon: "‖", text: "stale (no data)", tone: "warn" },
  unknown: { icon: "?", text: "unknown (data delayed)", tone: "idle" },
};
