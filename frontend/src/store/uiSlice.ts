import type { DeviceAggregate } from "../core/align";
import { DEFAULT_KEEP_ENDED_MS } from "../core/freshness";
import { DEFAULT_TABS } from "../core/tabs";
import type { StatusMessage, TabsConfig } from "../core/types";
import type { Timeline, XMode } from "../core/url";

/**
 * Which runs are shown. "exclude" (the default) shows every run but the listed ones, so a new
 * run appears without a click; "include" shows exactly the listed ones (None, or runs fixed
 * from the URL).
 */
export interface RunSelection {
  mode: "include" | "exclude";
  ids: readonly string[];
}

export type ConnectionState = "connecting" | "live" | "disconnected";
export type ThemePreference = "system" | "light" | "dark";
export type GpuView = "device" | DeviceAggregate;

export interface XRange {
  min: number;
  max: number;
}

export interface ConnectionInfo {
  state: ConnectionState;
  /** performance-independent wall clock (Date.now()) of the last data event. */
  lastEventAt: number | null;
  /** When the next reconnect attempt is due (Date.now() ms), while disconnected. */
  retryAt: number | null;
  attempts: number;
  /** Date.now() of the last frame of any kind, pings included: a frozen stream shows. */
  lastMessageAt: number | null;
  /** The server's last `status` event (null until one arrives, or from an older server). */
  server: StatusMessage | null;
}

/** UI slice: view state that must survive every update and reconnect. */
export interface UiSlice {
  tab: string;
  timeline: Timeline;
  xMode: XMode;
  smoothing: number;
  selection: RunSelection;
  gpuView: GpuView;
  /** A zoomed x range (in the current xMode's unit), or null to fit the data. */
  xRange: XRange | null;
  runSearch: string;
  panelFilter: string;
  groupByProject: boolean;
  /** Cards drawn with a logarithmic y axis. */
  logScale: readonly string[];
  /** Cards whose outlier handling the user flipped (robust range off for loss-like cards, on for others). */
  rangeToggled: readonly string[];
  theme: ThemePreference;
  kiosk: boolean;
  rotateSec: number;
  /** The selection (runs=), the tab (tab=) or the pinned cards (pin=) came from the URL: not written to localStorage. */
  runsPinned: boolean;
  tabPinned: boolean;
  cardsPinnedByUrl: boolean;
  /** Card ids the user pinned: first in their tab, and on every page of the wall. */
  pinnedCards: readonly string[];
  tabsConfig: TabsConfig;
  tabsSource: "server" | "default";
  connection: ConnectionInfo;
  /** How long ended runs stay on Progress and the kiosk (URL `ended=` hours). */
  keepEndedMs: number;
  /** The kiosk shows metric cards, or one health tile per run (URL `board=1`). */
  kioskView: "cards" | "board";
  /** Pages of the wall's current tab (KioskGrid): the tab rotation waits for the last one. */
  kioskPages: number;
}

export const initialUi = (): UiSlice => ({
  tab: "training",
  timeline: "all",
  xMode: "step",
  smoothing: 0,
  selection: { mode: "exclude", ids: [] },
  gpuView: "device",
  xRange: null,
  runSearch: "",
  panelFilter: "",
  groupByProject: false,
  logScale: [],
  rangeToggled: [],
  theme: "system",
  kiosk: false,
  rotateSec: 0,
  runsPinned: false,
  tabPinned: false,
  cardsPinnedByUrl: false,
  pinnedCards: [],
  tabsConfig: DEFAULT_TABS,
  tabsSource: "default",
  connection: { state: "connecting", lastEventAt: null, retryAt: null, attempts: 0, lastMessageAt: null, server: null },
  keepEndedMs: DEFAULT_KEEP_ENDED_MS,
  kioskView: "cards",
  kioskPages: 1,
});

export function isRunSelected(selection: RunSelection, runId: string): boolean {
  const listed = selection.ids.includes(runId);
  return selection.mode === "include" ? listed : !listed;
}

export function toggleRun(selection: RunSelection, runId: string): RunSelection {
  const listed = selection.ids.includes(runId);
  const ids = listed ? selection.ids.filter((id) => id !== runId) : [...selection.ids, runId];
  return { mode: selection.mode, ids };
}

export const SELECT_ALL: RunSelection = { mode: "exclude", ids: [] };
export const SELECT_NONE: RunSelection = { mode: "include", ids: [] };

/** Shows or hides a set of runs (the runs a search matched) leaving the others as they are. */
export function setRunsSelected(selection: RunSelection, runIds: readonly string[], selected: boolean): RunSelection {
  const ids = new Set(selection.ids);
  const listWanted = selection.mode === "include" ? selected : !selected;
  for (const id of runIds) {
    if (listWanted) ids.add(id);
    else ids.delete(id);
  }
  return { mode: selection.mode, ids: [...ids] };
}
