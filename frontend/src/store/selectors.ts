import { cardForMetric, sectionOf } from "../core/metrics";
import { tabForMetric } from "../core/tabs";
import { unitKind, type UnitKind } from "../core/format";
import type { TabsConfig } from "../core/types";
import type { SeriesData } from "./seriesSlice";
import type { AppState } from "./store";
import { isRunSelected, type RunSelection } from "./uiSlice";

/** A metric card: one metric name, or one `sys.gpu.<name>` family with a series per device. */
export interface CardSpec {
  id: string;
  tab: string;
  section: string;
  perDevice: boolean;
  unit: string;
  unitKind: UnitKind;
  /** Every series of the card, of every run (selection is applied when drawing). */
  seriesKeys: string[];
  runIds: ReadonlySet<string>;
}

export interface CardIndex {
  cards: ReadonlyMap<string, CardSpec>;
  byTab: ReadonlyMap<string, readonly CardSpec[]>;
}

/** Metrics that have a dedicated view instead of a chart. */
const NOT_CHARTED = new Set(["checkpoint"]);

function compareCards(a: CardSpec, b: CardSpec): number {
  const agentA = a.id.startsWith("agent.") ? 1 : 0;
  const agentB = b.id.startsWith("agent.") ? 1 : 0;
  if (agentA !== agentB) return agentA - agentB;
  if (a.section !== b.section) return a.section < b.section ? -1 : 1;
  return a.id.localeCompare(b.id, "en", { numeric: true });
}

export function buildCardIndex(series: ReadonlyMap<string, SeriesData>, tabs: TabsConfig): CardIndex {
  const cards = new Map<string, CardSpec>();
  for (const data of series.values()) {
    if (NOT_CHARTED.has(data.metric)) continue;
    let card = cards.get(data.cardId);
    if (card === undefined) {
      const identity = cardForMetric(data.metric);
      card = {
        id: identity.id,
        tab: tabForMetric(data.metric, tabs),
        section: sectionOf(identity.id),
        perDevice: identity.perDevice,
        unit: data.unit,
        unitKind: unitKind(data.unit, identity.id),
        seriesKeys: [],
        runIds: new Set<string>(),
      };
      cards.set(card.id, card);
    }
    card.seriesKeys.push(data.key);
    (card.runIds as Set<string>).add(data.runId);
    if (!card.unit && data.unit) {
      card.unit = data.unit;
      card.unitKind = unitKind(data.unit, card.id);
    }
  }
  const byTab = new Map<string, CardSpec[]>();
  for (const card of cards.values()) {
    const list = byTab.get(card.tab);
    if (list) list.push(card);
    else byTab.set(card.tab, [card]);
  }
  for (const list of byTab.values()) list.sort(compareCards);
  return { cards, byTab };
}

let memo: { series: unknown; rev: number; tabs: TabsConfig; index: CardIndex } | null = null;

/** The card index, rebuilt only when series appear/disappear or the tab mapping changes. */
export function cardIndexOf(state: AppState): CardIndex {
  if (memo && memo.series === state.series && memo.rev === state.structureRev && memo.tabs === state.tabsConfig) {
    return memo.index;
  }
  const index = buildCardIndex(state.series, state.tabsConfig);
  memo = { series: state.series, rev: state.structureRev, tabs: state.tabsConfig, index };
  return index;
}

export function hasSelectedRun(card: CardSpec, selection: RunSelection): boolean {
  for (const runId of card.runIds) if (isRunSelected(selection, runId)) return true;
  return false;
}

let visibleMemo: { index: CardIndex; tab: string; selection: RunSelection; filter: string; cards: CardSpec[] } | null = null;

/** Cards of a tab that have at least one selected run, matching the panel filter (memoised). */
export function visibleCards(index: CardIndex, tab: string, selection: RunSelection, filter: string): CardSpec[] {
  const m = visibleMemo;
  if (m && m.index === index && m.tab === tab && m.selection === selection && m.filter === filter) return m.cards;
  const needle = filter.trim().toLowerCase();
  const cards = (index.byTab.get(tab) ?? []).filter(
    (card) => hasSelectedRun(card, selection) && (needle === "" || card.id.toLowerCase().includes(needle)),
  );
  visibleMemo = { index, tab, selection, filter, cards };
  return cards;
}

export function selectedRunIds(state: AppState): string[] {
  return state.runOrder.filter((runId) => isRunSelected(state.selection, runId));
}
