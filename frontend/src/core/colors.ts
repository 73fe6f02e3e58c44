/**
 * Run colours: a hash of the run id into a palette, so the same run has the same colour in
 * every view, in every browser, across reloads. Mid-lightness hues read on dark and light.
 * Runs shown together get colours that are neither equal nor close in hue while the palette
 * allows (assignRunColors).
 */
export const PALETTE: readonly string[] = [
  "#4c8bf5", "#f2555a", "#2eb67d", "#f5a524", "#9b6bf2", "#22b8cf", "#ec6cb9",
  "#8bc34a", "#f07c2e", "#a1887f", "#5a6ce0", "#d4b000", "#c04ac7", "#14a38b",
];

/** Hue of each palette colour (degrees); null for the one greyish colour. */
const HUES: readonly (number | null)[] = [217, 358, 154, 38, 262, 189, 323, 88, 24, null, 232, 51, 298, 170];

function close(a: number, b: number): boolean {
  const ha = HUES[a];
  const hb = HUES[b];
  if (ha == null || hb == null) return a === b;
  const d = Math.abs(ha - hb) % 360;
  return Math.min(d, 360 - d) < 28;
}

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

/**
 * Colours for a set of runs, oldest first: each run takes its hashed colour unless an older
 * run has that colour or a close hue, then the next colour that is neither. Runs seen together
 * never share a colour while there are fewer runs than colours, the first few are far apart
 * in hue, and a new run never changes the colour of an older one.
 */
export function assignRunColors(runIdsOldestFirst: readonly string[]): Map<string, string> {
  const colors = new Map<string, string>();
  const taken: number[] = [];
  const n = PALETTE.length;
  for (const runId of runIdsOldestFirst) {
    const start = hashString(runId) % n;
    let pick = start;
    if (taken.length < n) {
      // The hashed colour if it is free and unlike every colour in use, else the first such
      // colour after it, else the first free one.
      let free = -1;
      let distinct = -1;
      for (let k = 0; k < n && distinct < 0; k++) {
        const i = (start + k) % n;
        if (taken.includes(i)) continue;
        if (free < 0) free = i;
        if (!taken.some((t) => close(t, i))) distinct = i;
      }
      pick = distinct >= 0 ? distinct : free;
    }
    taken.push(pick);
    colors.set(runId, PALETTE[pick] ?? PALETTE[start] ?? "#4c8bf5");
  }
  return colors;
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
