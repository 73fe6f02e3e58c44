/**
 * Run colours: a hash of the run id into a palette, so the same run has the same colour in
 * every view, in every browser, across reloads. Mid-lightness hues read on dark and light.
 */
export const PALETTE: readonly string[] = [
  "#4c8bf5", "#f2555a", "#2eb67d", "#f5a524", "#9b6bf2",
  "#ec6cb9", "#22b8cf", "#f07c2e", "#7c8cf8", "#8bc34a",
  "#c04ac7", "#14a38b", "#d4b000", "#e0607e", "#5a6ce0",
  "#a1887f", "#3fa9f5", "#c2702a", "#5fc98f", "#b794f6",
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
