/**
 * How metric names become cards. Per-GPU system metrics `sys.gpu.<i>.<name>` share one card
 * `sys.gpu.<name>` with one series per device; everything else is one card per metric name.
 */

const GPU_METRIC = /^sys\.gpu\.(\d+)\.(.+)$/;

export interface CardIdentity {
  id: string;
  /** True when the card gathers one series per GPU. */
  perDevice: boolean;
}

export function cardForMetric(metric: string): CardIdentity {
  const match = GPU_METRIC.exec(metric);
  if (match) return { id: `sys.gpu.${match[2]}`, perDevice: true };
  return { id: metric, perDevice: false };
}

/** The device index encoded in a per-GPU metric name, or null. */
export function deviceOfMetric(metric: string): number | null {
  const match = GPU_METRIC.exec(metric);
  return match ? Number(match[1]) : null;
}

export interface SeriesIdentity {
  run_id: string;
  metric: string;
  host: string;
  rank: number;
  device: number;
}

/** The cache key of a series, same fields as the backend's: (run_id, metric, host, rank, device). */
export function seriesKey(s: SeriesIdentity): string {
  return `${s.run_id}\u0000${s.metric}\u0000${s.host}\u0000${s.rank}\u0000${s.device}`;
}

/** The section a card is grouped under inside its tab: its first name segment. */
export function sectionOf(cardId: string): string {
  if (cardId.startsWith("sys.")) {
    const part = cardId.split(".")[1] ?? "";
    return part.length > 0 ? part : "sys";
  }
  const slash = cardId.indexOf("/");
  if (slash > 0) return cardId.slice(0, slash);
  const dot = cardId.indexOf(".");
  if (dot > 0) return cardId.slice(0, dot);
  return "";
}
