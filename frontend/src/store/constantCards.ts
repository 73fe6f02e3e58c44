import { isConstant } from "../core/constant";
import type { CardSpec } from "./selectors";
import type { SeriesData } from "./seriesSlice";
import type { AppState } from "./store";
import { isRunSelected } from "./uiSlice";

/** Per series, whether it was constant at the revision last checked (series change in place). */
const checked = new WeakMap<SeriesData, { rev: number; constant: boolean }>();

function constantSeries(s: SeriesData): boolean {
  const seen = checked.get(s);
  if (seen && seen.rev === s.rev) return seen.constant;
  const constant = isConstant(s.value);
  checked.set(s, { rev: s.rev, constant });
  return constant;
}

/** A card every selected series of which is constant: drawn as a stat card (core/constant). */
export function isConstantCard(state: AppState, card: CardSpec): boolean {
  let any = false;
  for (const key of card.seriesKeys) {
    const s = state.series.get(key);
    if (!s || !isRunSelected(state.selection, s.runId)) continue;
    if (!constantSeries(s)) return false;
    any = true;
  }
  return any;
}

/** The ids of the constant cards among `cards`, as one string (a stable selector result). */
export function constantCardKey(state: AppState, cards: readonly CardSpec[]): string {
  return cards.filter((card) => isConstantCard(state, card)).map((card) => card.id).join("\n");
}
