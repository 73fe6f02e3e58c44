import { createStore, type StoreApi } from "zustand/vanilla";

import { initialAlerts, type AlertsSlice } from "./alertsSlice";
import { initialRuns, type RunsSlice } from "./runsSlice";
import { initialSeries, type SeriesSlice } from "./seriesSlice";
import { initialUi, type UiSlice } from "./uiSlice";

/**
 * The app state, in three slices (runs, series, ui). There are no actions inside the store:
 * plain functions (apply.ts for the stream, actions.ts for the UI) take the store and set
 * state, so the SSE client and the tests drive it without React.
 */
export type AppState = RunsSlice & SeriesSlice & UiSlice & AlertsSlice;
export type AppStore = StoreApi<AppState>;

export function createAppStore(ui: Partial<UiSlice> = {}): AppStore {
  return createStore<AppState>()(() => ({
    ...initialRuns,
    ...initialSeries(),
    ...initialUi(),
    ...initialAlerts,
    ...ui,
  }));
}
