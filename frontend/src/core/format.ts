/** Value formatting with units. Pure and locale-fixed (en-US) so tests assert exact strings. */

export type UnitKind =
  | "bytes"
  | "bytes_per_s"
  | "percent"
  | "watts"
  | "celsius"
  | "seconds"
  | "milliseconds"
  | "plain";

const UNIT_ALIASES: Record<string, UnitKind> = {
  bytes: "bytes",
  byte: "bytes",
  b: "bytes",
  bytes_per_s: "bytes_per_s",
  "bytes/s": "bytes_per_s",
  "b/s": "bytes_per_s",
  "%": "percent",
  percent: "percent",
  pct: "percent",
  w: "watts",
  watt: "watts",
  watts: "watts",
  "°c": "celsius",
  c: "celsius",
  celsius: "celsius",
  degc: "celsius",
  s: "seconds",
  sec: "seconds",
  secs: "seconds",
  second: "seconds",
  seconds: "seconds",
  ms: "milliseconds",
  milliseconds: "milliseconds",
};

const NAME_SUFFIXES: [string, UnitKind][] = [
  ["_bytes_per_s", "bytes_per_s"],
  ["_bytes", "bytes"],
  ["_percent", "percent"],
  ["_pct", "percent"],
  ["_watts", "watts"],
  ["_celsius", "celsius"],
  ["_seconds", "seconds"],
  ["_sec", "seconds"],
  ["_ms", "milliseconds"],
];

/** The unit of a series: its `unit` field when known, else a unit suffix of its name. */
export function unitKind(unit: string, metric = ""): UnitKind {
  const alias = UNIT_ALIASES[unit.trim().toLowerCase()];
  if (alias) return alias;
  const lower = metric.toLowerCase();
  if (/_per_(s|sec|second)$/.test(lower) && !lower.endsWith("_bytes_per_s")) return "plain";
  for (const [suffix, kind] of NAME_SUFFIXES) if (lower.endsWith(suffix)) return kind;
  return "plain";
}

/** A short label for a unit, shown beside a card title; empty when the unit is plain. */
export function unitLabel(kind: UnitKind, rawUnit: string): string {
  switch (kind) {
    case "bytes":
      return "bytes";
    case "bytes_per_s":
      return "bytes/s";
    case "percent":
      return "%";
    case "watts":
      return "W";
    case "celsius":
      return "°C";
    case "seconds":
      return "s";
    case "milliseconds":
      return "ms";
    default:
      return rawUnit;
  }
}

const SIG4 = new Intl.NumberFormat("en-US", { maximumSignificantDigits: 4 });
const COMPACT = new Intl.NumberFormat("en-US", { notation: "compact", maximumSignificantDigits: 4 });
const INTEGER = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

function nonFinite(value: number): string | null {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+∞";
  if (value === Number.NEGATIVE_INFINITY) return "−∞";
  return null;
}

/** A plain number: 4 significant digits, compact from 100k up, exponent below 0.001. */
export function formatNumber(value: number): string {
  const special = nonFinite(value);
  if (special !== null) return special;
  if (value === 0) return "0";
  const abs = Math.abs(value);
  if (abs >= 1e5) return COMPACT.format(value);
  if (abs < 1e-3) return value.toExponential(2).replace(/\.?0+e/, "e");
  // Same text as Intl with 4 significant digits, without Intl's cost (this runs for every
  // latest value of every on-screen card on every delta).
  const text = String(Number(value.toPrecision(4)));
  return abs >= 1000 ? text.replace(/\B(?=(\d{3})+(?!\d))/, ",") : text;
}

function scaled(value: number, base: number, units: readonly string[]): string {
  let v = value;
  let i = 0;
  while (Math.abs(v) >= base && i < units.length - 1) {
    v /= base;
    i++;
  }
  const abs = Math.abs(v);
  const digits = i === 0 ? 0 : abs < 10 ? 2 : abs < 100 ? 1 : 0;
  return `${v.toFixed(digits)} ${units[i]}`;
}

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"] as const;

export function formatBytes(value: number): string {
  return nonFinite(value) ?? scaled(value, 1024, BYTE_UNITS);
}

function trimFixed(value: number, digits: number): string {
  return value.toFixed(digits).replace(/\.0+$/, "").replace(/(\.\d*?)0+$/, "$1");
}

/** A duration in seconds: 850 µs, 120 ms, 12.3 s, 3m 20s, 2h 05m, 3d 4h. */
export function formatSeconds(seconds: number): string {
  const special = nonFinite(seconds);
  if (special !== null) return special;
  const sign = seconds < 0 ? "−" : "";
  const s = Math.abs(seconds);
  if (s === 0) return "0 s";
  if (s < 1e-3) return `${sign}${trimFixed(s * 1e6, 0)} µs`;
  if (s < 1) return `${sign}${trimFixed(s * 1e3, s < 0.01 ? 2 : s < 0.1 ? 1 : 0)} ms`;
  if (s < 60) return `${sign}${trimFixed(s, s < 10 ? 2 : 1)} s`;
  return sign + formatDuration(s);
}

/** A longer duration, coarse: 45s, 3m 20s, 2h 05m, 3d 4h. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "—";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, "0")}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${String(m % 60).padStart(2, "0")}m`;
  const d = Math.floor(h / 24);
  return `${d}d ${h % 24}h`;
}

/** A value with its unit, for the latest-value labels and tooltips. */
export function formatValue(value: number, kind: UnitKind, rawUnit = ""): string {
  const special = nonFinite(value);
  if (special !== null) return special;
  switch (kind) {
    case "bytes":
      return formatBytes(value);
    case "bytes_per_s":
      return `${formatBytes(value)}/s`;
    case "percent":
      return `${trimFixed(value, Math.abs(value) >= 100 ? 0 : 1)}%`;
    case "watts":
      return `${trimFixed(value, Math.abs(value) >= 100 ? 0 : 1)} W`;
    case "celsius":
      return `${trimFixed(value, 1)} °C`;
    case "seconds":
      return formatSeconds(value);
    case "milliseconds":
      return formatSeconds(value / 1000);
    default:
      return rawUnit && rawUnit !== "1" ? `${formatNumber(value)} ${rawUnit}` : formatNumber(value);
  }
}

/** Axis tick labels: as formatValue but terse. */
export function formatTick(value: number, kind: UnitKind): string {
  switch (kind) {
    case "bytes":
    case "bytes_per_s":
      return formatBytes(value);
    case "percent":
      return `${trimFixed(value, 1)}%`;
    default:
      return formatValue(value, kind);
  }
}

/** A step count: 12,345 in labels, 12.3k on axes. */
export function formatStep(step: number, compact = false): string {
  if (!Number.isFinite(step)) return "—";
  if (compact && Math.abs(step) >= 1e4) return COMPACT.format(step).replace("K", "k");
  return INTEGER.format(step);
}

/** "just now", "12 s ago", "4 min ago", "3 h ago", "2 d ago". */
export function formatAgo(thenMs: number, nowMs: number): string {
  const s = Math.max(0, Math.floor((nowMs - thenMs) / 1000));
  if (s < 2) return "just now";
  if (s < 60) return `${s} s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.floor(h / 24)} d ago`;
}

/** Steps per second, e.g. "12.4 steps/s" or "3.1 steps/min" when slow. */
export function formatRate(stepsPerSecond: number): string {
  if (!Number.isFinite(stepsPerSecond) || stepsPerSecond <= 0) return "—";
  if (stepsPerSecond < 0.1) return `${SIG4.format(Number((stepsPerSecond * 60).toPrecision(3)))} steps/min`;
  return `${SIG4.format(Number(stepsPerSecond.toPrecision(3)))} steps/s`;
}

const TIME_FMT = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit" });
const DATE_TIME_FMT = new Intl.DateTimeFormat("en-GB", {
  year: "numeric",
  month: "short",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
});

export function formatClock(ms: number): string {
  return TIME_FMT.format(ms);
}

export function formatDateTime(ms: number): string {
  return DATE_TIME_FMT.format(ms);
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

/**
 * Wall-time tick labels (local time): 14:05:30 when ticks are seconds apart, 14:05 for
 * minutes and hours, "Nov 23" at midnight, "Nov 23 14:00" for ticks a day or more apart.
 */
export function formatTimeTicks(ticks: readonly number[], incrementMs: number): string[] {
  return ticks.map((t) => {
    const d = new Date(t);
    const hm = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
    const day = `${MONTHS[d.getMonth()]} ${d.getDate()}`;
    if (incrementMs < 60_000) return `${hm}:${pad2(d.getSeconds())}`;
    if (incrementMs >= 86_400_000) return day;
    if (d.getHours() === 0 && d.getMinutes() === 0) return day;
    return hm;
  });
}

/**
 * `text` cut to at most `max` characters from the middle, so both the start and the
 * distinguishing end stay: "resnet50-lr0.006-2018-2" → "resnet50-l…0.006-2018-2". The end
 * gets the larger share (run names differ at the end: seeds, dates, counters).
 */
export function middleEllipsis(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  if (max <= 1) return "…";
  const keep = max - 1;
  const head = Math.floor(keep * 0.4);
  const tail = keep - head;
  return `${chars.slice(0, head).join("")}…${chars.slice(chars.length - tail).join("")}`;
}
