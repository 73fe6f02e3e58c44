/** Chart colours from the CSS custom properties of the current theme (see index.css). */
export interface ChartTheme {
  key: string;
  axis: string;
  grid: string;
  text: string;
  background: string;
  nonFinite: string;
  font: string;
  /** How much bigger than the 20 px kiosk base the wall's type is (1 outside the kiosk). */
  scale: number;
}

export function readChartTheme(kiosk: boolean): ChartTheme {
  const root = document.documentElement;
  const css = getComputedStyle(root);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  const dark = root.classList.contains("dark");
  // The wall's root font follows the viewport (index.css), and so do the chart's type and lines.
  const rootPx = Number.parseFloat(css.fontSize) || 20;
  const scale = kiosk ? Math.max(0.8, rootPx / 20) : 1;
  const size = kiosk ? Math.round(15 * scale) : 11;
  return {
    key: `${dark ? "dark" : "light"}${kiosk ? `-kiosk${scale.toFixed(2)}` : ""}`,
    scale,
    axis: v("--rw-chart-axis", dark ? "#8b93a7" : "#5b6475"),
    grid: v("--rw-chart-grid", dark ? "#262b36" : "#e8eaef"),
    text: v("--rw-chart-text", dark ? "#e6e8ee" : "#1d2330"),
    background: v("--rw-card", dark ? "#151922" : "#ffffff"),
    nonFinite: v("--rw-nonfinite", "#ef4444"),
    font: `${size}px ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif`,
  };
}
