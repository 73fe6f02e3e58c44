import type { TabsConfig } from "../core/types";
import type { Timeline, XMode } from "../core/url";
import type { AppStore } from "./store";
import {
  SELECT_ALL,
  SELECT_NONE,
  setRunsSelected,
  toggleRun,
  type ConnectionInfo,
  type GpuView,
  type ThemePreference,
  type XRange,
} from "./uiSlice";

/** UI actions: plain functions over the store (no React), called by components and tests. */

export function setTab(store: AppStore, tab: string): void {
  store.setState({ tab });
}

export function setTimeline(store: AppStore, timeline: Timeline): void {
  store.setState({ timeline, xRange: null });
}

export function setXMode(store: AppStore, xMode: XMode): void {
  if (store.getState().xMode !== xMode) store.setState({ xMode, xRange: null });
}

export function setSmoothing(store: AppStore, smoothing: number): void {
  store.setState({ smoothing: Math.max(0, Math.min(0.99, smoothing)) });
}

export function setGpuView(store: AppStore, gpuView: GpuView): void {
  store.setState({ gpuView });
}

export function toggleRunSelected(store: AppStore, runId: string): void {
  store.setState({ selection: toggleRun(store.getState().selection, runId) });
}

export function selectRuns(store: AppStore, runIds: readonly string[] | "all" | "none", selected = true): void {
  if (runIds === "all") store.setState({ selection: SELECT_ALL });
  else if (runIds === "none") store.setState({ selection: SELECT_NONE });
  else store.setState({ selection: setRunsSelected(store.getState().selection, runIds, selected) });
}

export function setXRange(store: AppStore, range: XRange | null): void {
  if (range !== null && !(range.max > range.min)) return;
  store.setState({ xRange: range });
}

export function setRunSearch(store: AppStore, runSearch: string): void {
  store.setState({ runSearch });
}

export function setPanelFilter(store: AppStore, panelFilter: string): void {
  store.setState({ panelFilter });
}

export function setGroupByProject(store: AppStore, groupByProject: boolean): void {
  store.setState({ groupByProject });
}

export function setTheme(store: AppStore, theme: ThemePreference): void {
  store.setState({ theme });
}

export function setKiosk(store: AppStore, kiosk: boolean): void {
  store.setState({ kiosk });
}

export function setTabsConfig(store: AppStore, tabsConfig: TabsConfig, source: "server" | "default"): void {
  store.setState({ tabsConfig, tabsSource: source });
}

export function setConnection(store: AppStore, patch: Partial<ConnectionInfo>): void {
  store.setState({ connection: { ...store.getState().connection, ...patch } });
}

export function toggleLogScale(store: AppStore, cardId: string): void {
  const current = store.getState().logScale;
  store.setState({ logScale: current.includes(cardId) ? current.filter((id) => id !== cardId) : [...current, cardId] });
}

/** Pins a run's colour (null: back to the one its id hashes to); persistColors keeps it. */
export function setRunColor(store: AppStore, runId: string, color: string | null): void {
  const next = new Map(store.getState().runColors);
  if (color === null) next.delete(runId);
  else next.set(runId, color);
  store.setState({ runColors: next });
}

export function toggleRobustRange(store: AppStore, cardId: string): void {
  const current = store.getState().rangeToggled;
  store.setState({ rangeToggled: current.includes(cardId) ? current.filter((id) => id !== cardId) : [...current, cardId] });
}

/** Pins a card (first in its tab, on every page of the wall) or unpins it. */
export function togglePinnedCard(store: AppStore, cardId: string): void {
  const current = store.getState().pinnedCards;
  store.setState({ pinnedCards: current.includes(cardId) ? current.filter((id) => id !== cardId) : [...current, cardId] });
}
