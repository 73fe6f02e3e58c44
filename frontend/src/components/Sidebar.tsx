import { useMemo } from "react";
import { useShallow } from "zustand/react/shallow";

import { useApp, useServices } from "../app/services";
import { recentlyEnded } from "../core/freshness";
import { CHECKPOINTS_TAB_ID, PROGRESS_TAB, sidebarTabs } from "../core/tabs";
import type { TabDefinition } from "../core/types";
import { setTab } from "../store/actions";
import { cardIndexOf, hasSelectedRun } from "../store/selectors";
import type { AppState } from "../store/store";
import { isRunSelected } from "../store/uiSlice";
import { DotsIcon, TAB_ICONS } from "./icons";

/** How many things a tab holds for the selected runs: cards, checkpoints, or active runs. */
export function tabCounts(state: AppState): Record<string, number> {
  const index = cardIndexOf(state);
  const counts: Record<string, number> = {};
  for (const [tab, cards] of index.byTab) {
    counts[tab] = cards.filter((card) => hasSelectedRun(card, state.selection)).length;
  }
  let checkpoints = 0;
  for (const s of state.series.values()) {
    if (s.metric === "checkpoint" && isRunSelected(state.selection, s.runId)) checkpoints += s.step.length;
  }
  counts[CHECKPOINTS_TAB_ID] = (counts[CHECKPOINTS_TAB_ID] ?? 0) + checkpoints;
  let active = 0;
  // ended runs stay on Progress for keepEndedMs, so the tab (and the kiosk's rotation) keeps them
  const now = Date.now();
  for (const run of state.runs.values()) {
    if ((run.is_active || recentlyEnded(run, now, state.keepEndedMs)) && isRunSelected(state.selection, run.run_id)) active++;
  }
  counts[PROGRESS_TAB.id] = active;
  return counts;
}

/** Saved SQL queries as panels (components/sql/SqlPanels.tsx). */
export const SQL_TAB: TabDefinition = { id: "sql", title: "SQL", prefixes: [] };

export function useTabs(): TabDefinition[] {
  const config = useApp((s) => s.tabsConfig);
  return useMemo(() => [...sidebarTabs(config), SQL_TAB], [config]);
}

export function Sidebar() {
  const { store } = useServices();
  const tabs = useTabs();
  const current = useApp((s) => s.tab);
  const counts = useApp(useShallow(tabCounts));
  const source = useApp((s) => s.tabsSource);
  return (
    <nav
      aria-label="Tabs"
      className="hidden w-52 flex-none flex-col overflow-y-auto border-r border-line px-2 py-3 md:flex"
    >
      <ul className="flex flex-col gap-0.5" role="tablist" aria-orientation="vertical">
        {tabs.map((tab) => {
          const Icon = TAB_ICONS[tab.id] ?? DotsIcon;
          const active = tab.id === current;
          const count = counts[tab.id] ?? 0;
          return (
            <li key={tab.id} role="presentation">
              <button
                type="button"
                role="tab"
                aria-selected={active}
                data-testid={`tab-${tab.id}`}
                onClick={() => setTab(store, tab.id)}
                className={`flex w-full items-center gap-2.5 rounded-lg px-2.5 py-2 text-sm transition-colors ${
                  active ? "bg-accent-soft font-semibold text-accent" : "text-muted hover:bg-subtle hover:text-fg"
                }`}
              >
                <Icon size={17} />
                <span className="flex-1 text-left">{tab.title}</span>
                {count > 0 && (
                  <span className={`rounded-md px-1.5 text-[0.6875rem] tabular-nums ${active ? "bg-card text-accent" : "bg-subtle text-muted"}`}>
                    {count}
                  </span>
                )}
              </button>
            </li>
          );
        })}
      </ul>
      <div className="mt-auto space-y-1 px-2.5 text-[0.6875rem] leading-relaxed text-muted">
        <p>
          Drag to zoom · Shift-drag to pan · Double-click to reset · Ctrl-scroll to zoom
        </p>
        <p title={source === "server" ? "Tab mapping from the server (GET /tabs)" : "Server mapping unavailable: built-in default"}>
          Tabs: {source === "server" ? "server mapping" : "default mapping"}
        </p>
      </div>
    </nav>
  );
}
