/**
 * How many run badges the run bar draws. Folded it shows two rows (about 80 badges on a 4K
 * screen), expanded a scrolling box; a badge re-renders every second (its "last point 5 s ago"),
 * so drawing all of 10,000 live runs froze the page for seconds. Past the limit the bar counts
 * the rest ("+N more", "All N") and the search finds any of them.
 */
export const FOLDED_BADGES = 150;
export const EXPANDED_BADGES = 600;

/** The first `limit` items across the groups, in order (groups left empty are dropped). */
export function firstOfGroups<T, G extends { runs: readonly T[] }>(groups: readonly G[], limit: number): G[] {
  const out: G[] = [];
  let left = limit;
  for (const group of groups) {
    if (left <= 0) break;
    const runs = group.runs.length <= left ? group.runs : group.runs.slice(0, left);
    left -= runs.length;
    if (runs.length > 0) out.push(runs === group.runs ? group : { ...group, runs });
  }
  return out;
}
