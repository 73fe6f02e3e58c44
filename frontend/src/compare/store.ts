import { useStore } from "zustand";
import { createStore, type StoreApi } from "zustand/vanilla";

import { initialCompareView, parseCompareView, withCompareView, type CompareView } from "./viewState";

/**
 * The Runs view's own small store (the app store's slices are left to the live dashboard):
 * the view state, mirrored into the address bar on every change (history.replaceState).
 */
export type CompareStore = StoreApi<CompareView>;

let store: CompareStore | null = null;

export function compareStore(): CompareStore {
  if (store === null) {
    const made = createStore<CompareView>(() => ({ ...initialCompareView(), ...parseCompareView(location.search) }));
    made.subscribe((state) => {
      const next = withCompareView(location.search, state);
      if (next !== location.search) history.replaceState(history.state, "", `${location.pathname}${next}${location.hash}`);
    });
    store = made;
  }
  return store;
}

export function useCompare<T>(selector: (state: CompareView) => T): T {
  return useStore(compareStore(), selector);
}

export function patchCompare(patch: Partial<CompareView>): void {
  compareStore().setState(patch);
}
