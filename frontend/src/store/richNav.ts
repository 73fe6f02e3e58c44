import { createStore } from "zustand/vanilla";

/**
 * Where the Logs view should look: set by a "logs around this step" action elsewhere (a
 * distribution card), read by the Logs view. Framework-free, like the app store's slices.
 */
export interface LogsTarget {
  runId: string;
  step: number | null;
  /** epoch ms, when the chart's x axis is time */
  time?: number | null;
}

export interface RichNavState {
  logsTarget: LogsTarget | null;
}

export const richNav = createStore<RichNavState>(() => ({ logsTarget: null }));

export function showLogsAround(runId: string, step: number | null, time: number | null = null): void {
  richNav.setState({ logsTarget: { runId, step, time } });
}
