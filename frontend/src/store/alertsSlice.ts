import type { WireValue } from "../core/types";
import type { AppState, AppStore } from "./store";

/** An alert as GET /alerts and the `alert` SSE event carry it (runwatch.server.alerts.model). */
export interface AlertInfo {
  alert_id: string;
  rule: string;
  kind: string;
  state: "firing" | "resolved";
  severity: "critical" | "warning" | "info";
  run_id: string;
  project: string;
  series: string;
  metric: string;
  host: string;
  rank: number;
  device: number;
  step: number | null;
  value: WireValue;
  message: string;
  fired_at: number;
  resolved_at: number | null;
  notified: string[];
}

/** Alerts slice: every alert the page knows (firing and history), newest first. */
export interface AlertsSlice {
  alerts: ReadonlyMap<string, AlertInfo>;
  /** Bumped on every change: charts redraw their alert markers on it. */
  alertsRev: number;
  alertsPanelOpen: boolean;
}

export const initialAlerts: AlertsSlice = { alerts: new Map(), alertsRev: 0, alertsPanelOpen: false };

const KEEP = 2000;

function isAlert(value: unknown): value is AlertInfo {
  if (typeof value !== "object" || value === null) return false;
  const a = value as Record<string, unknown>;
  return typeof a.alert_id === "string" && typeof a.rule === "string" && typeof a.run_id === "string" && (a.state === "firing" || a.state === "resolved");
}

function trimmed(map: Map<string, AlertInfo>): Map<string, AlertInfo> {
  if (map.size <= KEEP) return map;
  const sorted = [...map.values()].sort((a, b) => b.fired_at - a.fired_at);
  return new Map(sorted.slice(0, KEEP).map((a) => [a.alert_id, a]));
}

/** One alert from the stream; returns it when it is new and firing (worth a notification). */
export function applyAlert(store: AppStore, value: unknown): AlertInfo | null {
  if (!isAlert(value)) return null;
  const state = store.getState();
  const before = state.alerts.get(value.alert_id);
  const alerts = new Map(state.alerts);
  alerts.set(value.alert_id, value);
  store.setState({ alerts: trimmed(alerts), alertsRev: state.alertsRev + 1 });
  return before === undefined && value.state === "firing" ? value : null;
}

/** The server's list (after a (re)connect): replaces what the page held, except the alerts
 * that came from the stream while the list was on its way (`newer`): those are newer than it. */
export function applyAlertList(store: AppStore, values: unknown, newer: Iterable<unknown> = []): void {
  if (!Array.isArray(values)) return;
  const alerts = new Map<string, AlertInfo>();
  for (const v of values) if (isAlert(v)) alerts.set(v.alert_id, v);
  for (const v of newer) if (isAlert(v)) alerts.set(v.alert_id, v);
  store.setState({ alerts: trimmed(alerts), alertsRev: store.getState().alertsRev + 1 });
}

export function setAlertsPanelOpen(store: AppStore, open: boolean): void {
  store.setState({ alertsPanelOpen: open });
}

let memo: { alerts: ReadonlyMap<string, AlertInfo>; firing: AlertInfo[]; all: AlertInfo[] } | null = null;

function sortedOf(alerts: ReadonlyMap<string, AlertInfo>): { firing: AlertInfo[]; all: AlertInfo[] } {
  if (memo?.alerts !== alerts) {
    const all = [...alerts.values()].sort((a, b) => b.fired_at - a.fired_at || a.alert_id.localeCompare(b.alert_id));
    memo = { alerts, all, firing: all.filter((a) => a.state === "firing") };
  }
  return memo;
}

/** Firing alerts, critical first, then newest first (stable between renders). */
export function firingAlerts(state: AppState): AlertInfo[] {
  return sortedOf(state.alerts).firing;
}

export function allAlerts(state: AppState): AlertInfo[] {
  return sortedOf(state.alerts).all;
}

export function firingCountForRun(state: AppState, runId: string): number {
  let n = 0;
  for (const a of firingAlerts(state)) if (a.run_id === runId) n++;
  return n;
}
