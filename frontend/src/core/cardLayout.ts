/**
 * The normal view's card grid: on a laptop as many 24rem cards as fit; on wider screens
 * fewer, bigger cards (a card is at least 23 % of the grid wide, so at most four columns) and
 * charts that grow with the card and the screen, so six charts fill a 4K screen rather than a
 * strip along its top. Pure.
 */
export interface CardLayout {
  cols: number;
  cardWidth: number;
  /** The chart's height inside the card, px. */
  plotHeight: number;
}

export const MIN_CARD_REM = 24;
const MIN_SHARE = 0.23;
const MIN_PLOT = 190;
/** A chart is about this much as tall as its card is wide... */
const PLOT_ASPECT = 0.42;
/** ...but never taller than this share of the screen (two rows of cards stay in view). */
const MAX_SCREEN_SHARE = 0.36;

export function cardLayout(width: number, viewportHeight: number, rem = 16, gap = 12): CardLayout {
  const minWidth = Math.max(MIN_CARD_REM * rem, MIN_SHARE * width);
  const cols = Math.max(1, Math.floor((width + gap) / (minWidth + gap)));
  const cardWidth = cols > 0 ? Math.floor((width - (cols - 1) * gap) / cols) : width;
  const tallest = Math.max(MIN_PLOT, MAX_SCREEN_SHARE * viewportHeight);
  // in 10 px steps: a window being resized re-creates its charts a few times, not per pixel
  const plotHeight = Math.round(Math.min(tallest, Math.max(MIN_PLOT, PLOT_ASPECT * cardWidth)) / 10) * 10;
  return { cols, cardWidth, plotHeight };
}
