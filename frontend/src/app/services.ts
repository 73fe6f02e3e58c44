import { createContext, useContext } from "react";
import { useStore } from "zustand";

import type { ChartScheduler } from "../charts/scheduler";
import type { PerfLog } from "../perf";
import type { StreamClient } from "../sse/client";
import type { AppState, AppStore } from "../store/store";
import type { VisibilityTracker } from "./visibility";

/** The long-lived objects of the page, made once in main.tsx and handed down by context. */
export interface Services {
  store: AppStore;
  scheduler: ChartScheduler;
  visibility: VisibilityTracker;
  perf: PerfLog;
  client: StreamClient;
}

export const ServicesContext = createContext<Services | null>(null);

export function useServices(): Services {
  const services = useContext(ServicesContext);
  if (services === null) throw new Error("ServicesContext is missing");
  return services;
}

/** Selects the smallest slice of state a component needs (wrap object results in useShallow). */
export function useApp<T>(selector: (state: AppState) => T): T {
  return useStore(useServices().store, selector);
}
