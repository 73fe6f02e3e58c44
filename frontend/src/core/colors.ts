/**
 * Run colours: a hash of the run id into a palette, and nothing else — so the same run has the
 * same colour in every view, in every browser, across reloads, whichever other runs are
 * loaded (a colour assigned by position would repaint every run when older ones appear). Two
 * runs can share a colour; past the palette's size a card tells them apart by a dash pattern
 * that also comes from the id (runDash), and a user can pin a colour (kept in the browser).
 * 24 mid-lightness colours, each readable on the dark and the light background.
 */
export const PALETTE: readonly string[] = [
  "#4c8bf5", "#f2555a", "#2eb67d", "#f5a524", "#9b6bf2", "#22b8cf", "#ec6cb9", "#8bc34a",
  "#f07c2e", "#a1887f", "#5a6ce0", "#d4b000", "#c04ac7", "#14a38b", "#e0457b", "#0ea5e9",
  "#3f9142", "#ff8a65", "#8e24aa", "#9e9d24", "#78909c", "#c0392b", "#4db6ac", "#b8860b",
];

/** FNV-1a, 32 bit: fast, well spread for short ids, and identical in every JS engine. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export function colorForRun(runId: string): string {
  return PALETTE[hashString(runId) % PALETTE.length] ?? "#4c8bf5";
}

/** Dash patterns for runs when a card shows more runs than there are colours. */
const RUN_DASHES: readonly number[][] = [[], [8, 4], [2, 3], [12, 3, 3, 3], [5, 5]];

/** The run's dash on a card with more runs than colours (from the id alone, like its colour). */
export function runDash(runId: string): number[] {
  return RUN_DASHES[Math.floor(hashString(runId) / PALETTE.length) % RUN_DASHES.length] ?? [];
}

/** A #rrggbb the user picked, or null for anything else (what the browser storage may hold). */
export function validColor(value: unknown): string | null {
  return typeof value === "string" && /^#[0-9a-f]{6}$/i.test(value) ? value.toLowerCase() : null;
}

/** Line dash of the i-th device of one run: devices share the run's colour. */
const DASHES: readonly number[][] = [[], [7, 4], [2, 3], [10, 3, 2, 3], [4, 4], [1, 3], [12, 4], [6, 2, 2, 2]];

export function dashForDevice(index: number): number[] {
  return DASHES[index % DASHES.length] ?? [];
}

/** Mixes a #rrggbb colour toward white (amount > 0) or black (amount < 0). */
export function shade(hex: string, amount: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  const target = amount > 0 ? 255 : 0;
  const t = Math.min(1, Math.abs(amount));
  const mix = (c: number) => Math.round(c + (target - c) * t);
  const r = mix((n >> 16) & 0xff);
  const g = mix((n >> 8) & 0xff);
  const b = mix(n & 0xff);
  return `#${((1 << 24) | (r << 16) | (g << 8) | b).toString(16).slice(1)}`;
}

export function withAlpha(hex: string, alpha: number): string {
  const a = Math.round(Math.max(0, Math.min(1, alpha)) * 255);
  return `${hex}${a.toString(16).padStart(2, "0")}`;
}
