import { causeText, type Liveness } from "../core/freshness";
import { formatAgo, formatClock } from "../core/format";
import { useApp } from "../app/services";
import { useLiveness } from "./useLiveness";

const LABELS: Record<Liveness, string> = {
  live: "Live",
  delayed: "Data delayed",
  stalled: "No updates",
  connecting: "Connecting",
  disconnected: "Reconnecting",
};
const DOTS: Record<Liveness, string> = {
  live: "bg-ok",
  delayed: "bg-warn",
  stalled: "bg-warn",
  connecting: "bg-warn rw-pulse",
  disconnected: "bg-bad rw-pulse",
};
/** A shape per state as well as a hue, for colour-blind eyes and a glance from across a room. */
const ICONS: Record<Liveness, string> = { live: "●", delayed: "▲", stalled: "■", connecting: "◌", disconnected: "✕" };

/**
 * The one place the page says whether what it shows is current: live; data delayed (the
 * server answers but cannot read ClickHouse, with the cause and since when); no updates (the
 * stream went silent: a frozen page); reconnecting (the server is unreachable).
 */
export function ConnectionStatus({ large = false }: { large?: boolean }) {
  const { level, server, now } = useLiveness();
  const { lastEventAt, lastMessageAt, retryAt } = useApp((s) => s.connection);
  let detail = "";
  if (level === "disconnected") {
    const secs = retryAt === null ? 0 : Math.max(0, Math.ceil((retryAt - now) / 1000));
    detail = secs > 0 ? `server unreachable, retry in ${secs} s` : "server unreachable, retrying";
  } else if (level === "delayed") {
    const since = server?.since ?? null;
    detail = `${since !== null ? `since ${formatClock(since)}, ` : ""}${causeText(server)}`;
  } else if (level === "stalled") {
    detail = lastMessageAt !== null ? `nothing from the server since ${formatAgo(lastMessageAt, now).replace(" ago", "")}` : "";
  } else if (lastEventAt !== null) {
    detail = `last event ${formatAgo(lastEventAt, now)}`;
  }
  const title = [server?.error, lastEventAt ? `Last data event at ${new Date(lastEventAt).toLocaleString()}` : null]
    .filter(Boolean)
    .join("\n");
  return (
    <div
      role="status"
      aria-live="polite"
      data-testid="connection"
      data-state={level}
      data-cause={server?.cause ?? ""}
      className={`flex items-center gap-2 rounded-full border ${level === "live" ? "border-line bg-card" : "border-warn/60 bg-warn/10"} ${large ? "px-4 py-1.5 text-base" : "px-3 py-1 text-xs"}`}
      title={title || undefined}
    >
      <span className={`inline-flex items-center justify-center rounded-full ${large ? "h-3 w-3" : "h-2 w-2"} ${DOTS[level]}`} aria-hidden="true" />
      <span className="font-semibold">
        <span className="sr-only">{ICONS[level]} </span>
        {LABELS[level]}
      </span>
      {detail && <span className="text-muted tabular-nums" data-testid="connection-detail">{detail}</span>}
    </div>
  );
}
