import { validColor } from "../core/colors";
import { TIMELINES, type Timeline, type UrlOptions } from "../core/url";
import type { AppStore } from "./store";
import type { GpuView, RunSelection, ThemePreference, UiSlice } from "./uiSlice";

/**
 * View state kept across reloads (localStorage), merged with what the URL fixes. The URL wins:
 * a wall screen opened at /?kiosk=1&runs=a,b&tab=system shows exactly that after a reboot.
 */

export const STORAGE_KEY = "runwatch.ui.v1";
export const THEME_KEY = "runwatch.theme";

interface Persisted {
  tab?: string;
  timeline?: Timeline;
  xMode?: "step" | "time";
  smoothing?: number;
  selection?: RunSelection;
  gpuView?: GpuView;
  groupByProject?: boolean;
  logScale?: string[];
  pinnedCards?: string[];
}

type StorageLike = Pick<Storage, "getItem" | "setItem">;

function readPersisted(storage: StorageLike | null): Persisted {
  if (!storage) return {};
  try {
    const raw = storage.getItem(STORAGE_KEY);
    const parsed: unknown = raw ? JSON.parse(raw) : {};
    return typeof parsed === "object" && parsed !== null ? (parsed as Persisted) : {};
  } catch {
    return {};
  }
}

function validSelection(value: unknown): value is RunSelection {
  if (typeof value !== "object" || value === null) return false;
  const s = value as RunSelection;
  return (s.mode === "include" || s.mode === "exclude") && Array.isArray(s.ids) && s.ids.every((id) => typeof id === "string");
}

export function initialUiState(url: UrlOptions, storage: StorageLike | null): Partial<UiSlice> {
  const saved = readPersisted(storage);
  const ui: Partial<UiSlice> = {};
  if (typeof saved.tab === "string") ui.tab = saved.tab;
  if (saved.timeline && TIMELINES.includes(saved.timeline)) ui.timeline = saved.timeline;
  if (saved.xMode === "step" || saved.xMode === "time") ui.xMode = saved.xMode;
  if (typeof saved.smoothing === "number" && saved.smoothing >= 0 && saved.smoothing < 1) ui.smoothing = saved.smoothing;
  if (validSelection(saved.selection)) ui.selection = saved.selection;
  if (saved.gpuView === "device" || saved.gpuView === "mean" || saved.gpuView === "max") ui.gpuView = saved.gpuView;
  if (typeof saved.groupByProject === "boolean") ui.groupByProject = saved.groupByProject;
  if (Array.isArray(saved.logScale) && saved.logScale.every((id) => typeof id === "string")) ui.logScale = saved.logScale;
  if (Array.isArray(saved.pinnedCards) && saved.pinnedCards.every((id) => typeof id === "string")) ui.pinnedCards = saved.pinnedCards;
  const theme = storage?.getItem(THEME_KEY);
  if (theme === "light" || theme === "dark" || theme === "system") ui.theme = theme as ThemePreference;

  if (url.timeline) ui.timeline = url.timeline;
  if (url.xMode) ui.xMode = url.xMode;
  if (url.runs) {
    ui.selection = { mode: "include", ids: url.runs };
    ui.runsPinned = true;
  }
  if (url.pin) {
    ui.pinnedCards = url.pin;
    ui.cardsPinnedByUrl = true;
  }
  if (url.tab) {
    ui.tab = url.tab;
    ui.tabPinned = true;
  }
  if (url.endedHours !== null) ui.keepEndedMs = url.endedHours * 3_600_000;
  if (url.board) ui.kioskView = "board";
  if (url.kiosk) {
    ui.kiosk = true;
    // A wall screen rotates every 30 s unless told otherwise or fixed to one tab.
    ui.rotateSec = url.rotateSec ?? (url.tab ? 0 : 30);
  } else if (url.rotateSec !== null) {
    ui.rotateSec = url.rotateSec;
  }
  return ui;
}

/** Writes the persisted fields whenever they change (not the URL-pinned ones). */
export function persistUi(store: AppStore, storage: StorageLike): () => void {
  let last = "";
  const saved = readPersisted(storage);
  return store.subscribe((state) => {
    const data: Persisted = {
      timeline: state.timeline,
      xMode: state.xMode,
      smoothing: state.smoothing,
      gpuView: state.gpuView,
      groupByProject: state.groupByProject,
      logScale: [...state.logScale],
    };
    data.tab = state.tabPinned ? saved.tab : state.tab;
    data.selection = state.runsPinned ? saved.selection : state.selection;
    data.pinnedCards = state.cardsPinnedByUrl ? saved.pinnedCards : [...state.pinnedCards];
    const text = JSON.stringify(data) + state.theme;
    if (text !== last) {
      last = text;
      try {
        storage.setItem(STORAGE_KEY, JSON.stringify(data));
        storage.setItem(THEME_KEY, state.theme);
      } catch {
        // Private mode or a full quota: the view still works, it just is not remembered.
      }
    }
  });
}

export const COLORS_KEY = "runwatch.colors.v1";

/** The colours the user picked, as saved in this browser. */
export function readColors(storage: StorageLike | null): Map<string, string> {
  const colors = new Map<string, string>();
  try {
    const raw: unknown = JSON.parse(storage?.getItem(COLORS_KEY) ?? "{}");
    if (raw && typeof raw === "object") {
      for (const [runId, value] of Object.entries(raw as Record<string, unknown>)) {
        const color = validColor(value);
        if (color !== null) colors.set(runId, color);
      }
    }
  } catch {
    // unreadable: no overrides
  }
  return colors;
}

export function persistColors(store: AppStore, storage: StorageLike): () => void {
  let last = store.getState().runColors;
  return store.subscribe((state) => {
    if (state.runColors === last) return;
    last = state.runColors;
    try {
      storage.setItem(COLORS_KEY, JSON.stringify(Object.fromEntries(state.runColors)));
    } catch {
      // as for the view: works, just not remembered
    }
  });
}
