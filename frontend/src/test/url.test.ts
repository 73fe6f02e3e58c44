import { describe, expect, it } from "vitest";

import { backoffDelay } from "../core/backoff";
import { parseUrlOptions, withParam } from "../core/url";
import { initialUiState, persistUi, STORAGE_KEY } from "../store/persist";
import { createAppStore } from "../store/store";

describe("parseUrlOptions", () => {
  it("reads the wall-monitor parameters", () => {
    expect(parseUrlOptions("?kiosk=1&rotate=30&runs=a,b&tab=System&range=6h&x=time&ended=2&board=1&pin=train/loss,,val/acc")).toEqual({
      kiosk: true,
      rotateSec: 30,
      runs: ["a", "b"],
      tab: "system",
      timeline: "6h",
      xMode: "time",
      endedHours: 2,
      board: true,
      pin: ["train/loss", "val/acc"],
    });
  });
  it("ignores what it does not understand", () => {
    expect(parseUrlOptions("?kiosk=0&rotate=abc&range=3w&x=log&ended=-1")).toEqual({
      kiosk: false,
      rotateSec: null,
      runs: null,
      tab: null,
      timeline: null,
      xMode: null,
      endedHours: null,
      board: false,
      pin: null,
    });
  });
  it("withParam sets and removes parameters", () => {
    expect(withParam("?a=1", "kiosk", "1")).toBe("?a=1&kiosk=1");
    expect(withParam("?kiosk=1", "kiosk", null)).toBe("");
  });
});

class MemoryStorage {
  data = new Map<string, string>();
  getItem(k: string) {
    return this.data.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.data.set(k, v);
  }
}

describe("initialUiState and persistUi", () => {
  it("keeps pinned cards across reloads, and pins from the URL win without being saved", () => {
    const storage = new MemoryStorage();
    const store = createAppStore();
    persistUi(store, storage);
    store.setState({ pinnedCards: ["train/loss"] });
    expect(initialUiState(parseUrlOptions(""), storage).pinnedCards).toEqual(["train/loss"]);
    const wall = createAppStore(initialUiState(parseUrlOptions("?pin=val/acc"), storage));
    expect(wall.getState().pinnedCards).toEqual(["val/acc"]);
    persistUi(wall, storage);
    wall.setState({ smoothing: 0.5 });
    expect(initialUiState(parseUrlOptions(""), storage).pinnedCards).toEqual(["train/loss"]);
  });

  it("restores selection and smoothing from storage", () => {
    const storage = new MemoryStorage();
    const store = createAppStore();
    persistUi(store, storage);
    store.setState({ smoothing: 0.7, selection: { mode: "exclude", ids: ["x"] }, tab: "system" });
    const restored = initialUiState(parseUrlOptions(""), storage);
    expect(restored.smoothing).toBe(0.7);
    expect(restored.selection).toEqual({ mode: "exclude", ids: ["x"] });
    expect(restored.tab).toBe("system");
  });

  it("lets the URL fix runs and tab, and kiosk rotate by default", () => {
    const storage = new MemoryStorage();
    storage.setItem(STORAGE_KEY, JSON.stringify({ tab: "model", selection: { mode: "exclude", ids: [] } }));
    const ui = initialUiState(parseUrlOptions("?kiosk=1&runs=a,b"), storage);
    expect(ui.selection).toEqual({ mode: "include", ids: ["a", "b"] });
    expect(ui.kiosk).toBe(true);
    expect(ui.rotateSec).toBe(30);
    expect(ui.tab).toBe("model");
    expect(initialUiState(parseUrlOptions("?kiosk=1&tab=system"), storage).rotateSec).toBe(0);
  });

  it("does not write a URL-pinned selection over the saved one", () => {
    const storage = new MemoryStorage();
    storage.setItem(STORAGE_KEY, JSON.stringify({ selection: { mode: "exclude", ids: ["z"] } }));
    const store = createAppStore(initialUiState(parseUrlOptions("?runs=a"), storage));
    persistUi(store, storage);
    store.setState({ smoothing: 0.5 });
    expect(JSON.parse(storage.getItem(STORAGE_KEY) ?? "{}").selection).toEqual({ mode: "exclude", ids: ["z"] });
  });

  it("survives garbage in storage", () => {
    const storage = new MemoryStorage();
    storage.setItem(STORAGE_KEY, "{not json");
    expect(initialUiState(parseUrlOptions(""), storage)).toEqual({});
  });
});

describe("backoffDelay", () => {
  it("doubles up to the cap, with jitter between half and all of it", () => {
    expect(backoffDelay(0, { random: () => 1 })).toBe(500);
    expect(backoffDelay(0, { random: () => 0 })).toBe(250);
    expect(backoffDelay(3, { random: () => 1 })).toBe(4000);
    expect(backoffDelay(20, { random: () => 1 })).toBe(30_000);
    expect(backoffDelay(20, { random: () => 0 })).toBe(15_000);
  });
});
