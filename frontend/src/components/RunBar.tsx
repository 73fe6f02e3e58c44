import { useCallback, useMemo, useState } from "react";
import { useShallow } from "zustand/react/shallow";

import { useApp, useServices } from "../app/services";
import type { RunInfo } from "../core/types";
import { selectRuns, setGroupByProject, setRunSearch, toggleRunSelected } from "../store/actions";
import { RunDetailButton } from "../compare/RunDetailButton";
import { colorOf, runLabel } from "../store/runsSlice";
import { isRunSelected } from "../store/uiSlice";
import { ChevronIcon, CloseIcon } from "./icons";
import { RunBadge } from "./RunBadge";
import { EXPANDED_BADGES, FOLDED_BADGES, firstOfGroups } from "./badgeLimit";
import { RunColorMenu, type ColorMenuTarget } from "./RunColorMenu";
import { SearchInput } from "./SearchInput";
import { useOverflows } from "./useOverflows";

function matches(run: RunInfo, needle: string): boolean {
  if (needle === "") return true;
  const hay = `${run.name} ${run.run_id} ${run.project} ${run.tags.join(" ")} ${run.user}`.toLowerCase();
  return needle.split(/\s+/).every((word) => hay.includes(word));
}

/** Run badges: search, All / None, grouping by project; folded to two rows (with "All N") whenever they need more. */
export function RunBar() {
  const { store } = useServices();
  const { runs, runOrder, colors, selection, search, grouped, kiosk } = useApp(
    useShallow((s) => ({
      runs: s.runs,
      runOrder: s.runOrder,
      colors: s.runColors,
      selection: s.selection,
      search: s.runSearch,
      grouped: s.groupByProject,
      kiosk: s.kiosk,
    })),
  );
  const [expanded, setExpanded] = useState(false);
  const [badgesRef, hiddenBadges] = useOverflows();
  const [colorMenu, setColorMenu] = useState<ColorMenuTarget | null>(null);
  const onToggle = useCallback((runId: string) => toggleRunSelected(store, runId), [store]);
  const onPickColor = useCallback((runId: string, at: { x: number; y: number }) => setColorMenu({ runId, ...at }), []);
  const closeColorMenu = useCallback(() => setColorMenu(null), []);
  const needle = search.trim().toLowerCase();
  const shown = useMemo(
    () =>
      runOrder
        .map((id) => runs.get(id))
        .filter((run): run is RunInfo => run !== undefined && matches(run, needle))
        .filter((run) => !kiosk || isRunSelected(selection, run.run_id)),
    [runOrder, runs, needle, kiosk, selection],
  );
  const groups = useMemo(() => {
    if (!grouped) return [{ project: "", runs: shown, size: shown.length }];
    const byProject = new Map<string, RunInfo[]>();
    for (const run of shown) {
      const list = byProject.get(run.project);
      if (list) list.push(run);
      else byProject.set(run.project, [run]);
    }
    return [...byProject.entries()]
      .sort(([a], [b]) => (a === "" ? 1 : b === "" ? -1 : a.localeCompare(b)))
      .map(([project, list]) => ({ project, runs: list, size: list.length }));
  }, [grouped, shown]);
  const limit = expanded ? EXPANDED_BADGES : FOLDED_BADGES;
  const drawn = useMemo(() => firstOfGroups(groups, limit), [groups, limit]);
  const drawnCount = Math.min(shown.length, limit);
  // the badges below the fold, and those not drawn at all
  const hiddenCount = hiddenBadges + (shown.length - drawnCount);
  const selectedCount = runOrder.filter((id) => isRunSelected(selection, id)).length;

  if (runOrder.length === 0) return null;

  if (kiosk) {
    return (
      <div className="flex flex-none items-start gap-3 border-b border-line px-6 py-3" data-testid="run-bar">
        {/* two rows at most: the cards get the screen; the rest are counted, and on Progress */}
        <div ref={badgesRef} className="flex max-h-[5.3rem] min-w-0 flex-1 flex-wrap gap-2 overflow-hidden" data-testid="run-badges">
          {shown.slice(0, FOLDED_BADGES).map((run) => (
            <RunBadge key={run.run_id} run={run} color={colorOf({ runColors: colors }, run.run_id)} selected large onToggle={onToggle} />
          ))}
        </div>
        {hiddenCount > 0 && (
          <span className="flex-none self-end pb-2 text-base font-semibold text-muted" data-testid="runs-hidden">
            +{hiddenCount} more runs
          </span>
        )}
      </div>
    );
  }

  const matchedIds = shown.map((run) => run.run_id);
  return (
    <div className="flex-none border-b border-line bg-bg px-4 py-2" data-testid="run-bar">
      <div className="flex flex-wrap items-start gap-x-3 gap-y-1.5">
        <div className="flex flex-none items-center gap-1.5 pt-px">
          <SearchInput
            label="Search runs"
            value={search}
            onChange={(value) => setRunSearch(store, value)}
            height="h-7"
            testId="run-search"
          />
          <button
            type="button"
            className="h-7 rounded-lg px-2 text-xs font-medium text-muted hover:bg-subtle hover:text-fg"
            onClick={() => (needle ? selectRuns(store, matchedIds, true) : selectRuns(store, "all"))}
            data-testid="runs-all"
            title={needle ? "Show the runs that match" : "Show every run"}
          >
            All
          </button>
          <button
            type="button"
            className="h-7 rounded-lg px-2 text-xs font-medium text-muted hover:bg-subtle hover:text-fg"
            onClick={() => (needle ? selectRuns(store, matchedIds, false) : selectRuns(store, "none"))}
            data-testid="runs-none"
            title={needle ? "Hide the runs that match" : "Hide every run"}
          >
            None
          </button>
          <button
            type="button"
            aria-pressed={grouped}
            className={`h-7 rounded-lg px-2 text-xs font-medium hover:bg-subtle ${grouped ? "bg-accent-soft text-accent" : "text-muted hover:text-fg"}`}
            onClick={() => setGroupByProject(store, !grouped)}
            title="Group runs by project"
          >
            By project
          </button>
          <span className="ml-1 whitespace-nowrap text-[0.6875rem] text-muted tabular-nums" data-testid="run-count">
            {selectedCount}/{runOrder.length} shown
          </span>
        </div>
        <div
          ref={badgesRef}
          className={`flex min-w-[12rem] flex-1 flex-wrap items-center gap-1.5 ${expanded ? "max-h-[40vh] overflow-y-auto" : "max-h-[3.6rem] overflow-hidden"}`}
          aria-label="Runs"
          data-testid="run-badges"
        >
          {drawn.map((group) => (
            <div key={group.project || "-"} className="contents">
              {grouped && (
                <span className="ml-1 mr-0.5 text-[0.6875rem] font-semibold uppercase tracking-wide text-muted">
                  {group.project || "no project"} <span className="font-normal">{group.size}</span>
                </span>
              )}
              {group.runs.map((run) => (
                <span key={run.run_id} className="inline-flex items-center">
                  <RunBadge
                    run={run}
                    color={colorOf({ runColors: colors }, run.run_id)}
                    selected={isRunSelected(selection, run.run_id)}
                    onToggle={onToggle}
                    onPickColor={onPickColor}
                  />
                  <RunDetailButton runId={run.run_id} label={runLabel(run, run.run_id)} />
                </span>
              ))}
            </div>
          ))}
          {expanded && shown.length > drawnCount && (
            <span className="px-1 text-xs text-muted" data-testid="runs-not-drawn">
              {drawnCount} of {shown.length} drawn: search to find the others
            </span>
          )}
          {shown.length === 0 && (
            <span className="flex items-center gap-1 text-xs text-muted">
              No run matches “{search}”
              <button type="button" className="rounded p-0.5 hover:bg-subtle" aria-label="Clear search" onClick={() => setRunSearch(store, "")}>
                <CloseIcon size={12} />
              </button>
            </span>
          )}
        </div>
        {(hiddenCount > 0 || expanded) && (
          <button
            type="button"
            aria-expanded={expanded}
            onClick={() => setExpanded(!expanded)}
            className="flex h-7 flex-none items-center gap-1 rounded-lg px-2 text-xs font-medium text-muted hover:bg-subtle hover:text-fg"
            data-testid="runs-expand"
          >
            {expanded ? "Less" : `All ${shown.length}`}
            <ChevronIcon size={14} className={expanded ? "rotate-180" : ""} />
          </button>
        )}
      </div>
      {colorMenu && <RunColorMenu target={colorMenu} onClose={closeColorMenu} />}
    </div>
  );
}
