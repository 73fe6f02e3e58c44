/**
 * Wall-time tick steps. uPlot's own jump from 1 to 5 minutes with a fixed spacing, so a few
 * minutes of a run on a small card got one tick ("22:40"). Here the step is chosen for the
 * card's width and for the width of the labels it will produce ("14:05:30" is wider than
 * "14:05"): the smallest step whose labels do not touch, at most ten ticks, from a list with
 * no gap wider than 2.5x (so a card gets about as many ticks as it can read).
 */

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;
/** uPlot counts months as 30 days: multiples of it align to month starts. */
const MO = 30 * D;

export const TIME_INCRS_MS: readonly number[] = [
  S, 2 * S, 3 * S, 5 * S, 10 * S, 15 * S, 20 * S, 30 * S,
  M, 2 * M, 3 * M, 5 * M, 10 * M, 15 * M, 20 * M, 30 * M,
  H, 2 * H, 3 * H, 4 * H, 6 * H, 8 * H, 12 * H,
  D, 2 * D, 3 * D, 7 * D, 14 * D, MO, 2 * MO, 3 * MO, 6 * MO, 12 * MO, 24 * MO, 60 * MO, 120 * MO,
];

const MOST_TICKS = 10;

/** Characters of a tick label at this step (core/format formatTimeTicks). */
function labelChars(incr: number): number {
  if (incr < M) return 8; // 14:05:30
  if (incr < D) return 5; // 14:05
  return 6; // Nov 23
}

/** The step for `span` ms on a plot `plotPx` wide, labels `charPx` per character plus `padPx`. */
export function timeIncrement(span: number, plotPx: number, charPx: number, padPx: number): number {
  for (const incr of TIME_INCRS_MS) {
    const px = (plotPx * incr) / span;
    if (px >= labelChars(incr) * charPx + padPx && incr * MOST_TICKS >= span) return incr;
  }
  return TIME_INCRS_MS[TIME_INCRS_MS.length - 1] as number;
}
