/** The last queries run in this browser (localStorage), newest first, without duplicates. */
const KEY = "runwatch.sql.history";
export const HISTORY_SIZE = 50;

export function readHistory(storage: Storage | undefined = globalThis.localStorage): string[] {
  try {
    const raw = storage?.getItem(KEY);
    const parsed: unknown = raw ? JSON.parse(raw) : [];
    return Array.isArray(parsed) ? parsed.filter((q): q is string => typeof q === "string") : [];
  } catch {
    return [];
  }
}

export function pushHistory(query: string, storage: Storage | undefined = globalThis.localStorage): string[] {
  const next = [query, ...readHistory(storage).filter((q) => q !== query)].slice(0, HISTORY_SIZE);
  try {
    storage?.setItem(KEY, JSON.stringify(next));
  } catch {
    /* full or disabled storage: history is a convenience */
  }
  return next;
}
