import type { TabDefinition, TabsConfig } from "./types";

/**
 * The built-in mapping, identical to the backend's default; used when GET /tabs fails.
 * A metric belongs to the tab with the longest matching prefix; a metric that matches no
 * prefix goes to the fallback tab, so no logged metric is ever invisible.
 */
export const DEFAULT_TABS: TabsConfig = {
  tabs: [
    { id: "training", title: "Training", prefixes: ["train/", "loss", "throughput", "lr"] },
    { id: "model", title: "Model", prefixes: ["model/"] },
    { id: "evaluation", title: "Evaluation", prefixes: ["val/", "eval/"] },
    { id: "system", title: "System", prefixes: ["sys."] },
    { id: "checkpoints", title: "Checkpoints", prefixes: ["checkpoint"] },
    { id: "other", title: "Other", prefixes: [] },
  ],
  fallback: "other",
};

export const PROGRESS_TAB: TabDefinition = { id: "progress", title: "Progress", prefixes: [] };
export const CHECKPOINTS_TAB_ID = "checkpoints";
/** Views of the histograms, media and run_logs tables (not of metric names), always present. */
export const DISTRIBUTIONS_TAB: TabDefinition = { id: "distributions", title: "Distributions", prefixes: [] };
export const MEDIA_TAB: TabDefinition = { id: "media", title: "Media", prefixes: [] };
export const LOGS_TAB: TabDefinition = { id: "logs", title: "Logs", prefixes: [] };
const TABLE_TABS = [DISTRIBUTIONS_TAB, MEDIA_TAB, LOGS_TAB];

/** The tab a metric is shown in: longest matching prefix wins, ties go to the earlier tab. */
export function tabForMetric(metric: string, config: TabsConfig): string {
  let best = config.fallback;
  let bestLength = -1;
  for (const tab of config.tabs) {
    for (const prefix of tab.prefixes) {
      if (prefix.length > bestLength && metric.startsWith(prefix)) {
        best = tab.id;
        bestLength = prefix.length;
      }
    }
  }
  return best;
}

/**
 * The tabs in sidebar order: the configured ones, with Checkpoints and the fallback tab always
 * present, then Distributions, Media and Logs, and the client-side Progress tab just before the
 * fallback tab.
 */
export function sidebarTabs(config: TabsConfig): TabDefinition[] {
  const fixed = new Set([PROGRESS_TAB.id, ...TABLE_TABS.map((tab) => tab.id)]);
  const tabs = config.tabs.filter((tab) => tab.id !== config.fallback && !fixed.has(tab.id));
  if (!tabs.some((tab) => tab.id === CHECKPOINTS_TAB_ID)) {
    tabs.push({ id: CHECKPOINTS_TAB_ID, title: "Checkpoints", prefixes: [] });
  }
  const fallback = config.tabs.find((tab) => tab.id === config.fallback) ?? {
    id: config.fallback,
    title: "Other",
    prefixes: [],
  };
  return [...tabs, ...TABLE_TABS, PROGRESS_TAB, fallback];
}

/** Validates a /tabs answer; anything malformed is refused rather than half-used. */
export function parseTabsConfig(raw: unknown): TabsConfig | null {
  if (typeof raw !== "object" || raw === null) return null;
  const candidate = raw as { tabs?: unknown; fallback?: unknown };
  if (!Array.isArray(candidate.tabs) || typeof candidate.fallback !== "string") return null;
  const tabs: TabDefinition[] = [];
  for (const item of candidate.tabs) {
    if (typeof item !== "object" || item === null) return null;
    const tab = item as { id?: unknown; title?: unknown; prefixes?: unknown };
    if (typeof tab.id !== "string" || !Array.isArray(tab.prefixes)) return null;
    const prefixes = tab.prefixes.filter((p): p is string => typeof p === "string");
    tabs.push({ id: tab.id, title: typeof tab.title === "string" ? tab.title : tab.id, prefixes });
  }
  return { tabs, fallback: candidate.fallback };
}
