import { formatAgo } from "../core/format";
import { useApp } from "../app/services";
import { useNow } from "./useNow";

const LABELS = { live: "Live", connecting: "Connecting", disconnected: "Disconnected" } as const;
const DOTS = { live: "bg-ok", connecting: "bg-warn rw-pulse", disconnected: "bg-bad" } as const;

/** The stream's state as a coloured dot, with the time since the last event. */
export function ConnectionStatus({ large = false }: { large?: boolean }) {
  const connection = useApp((s) => s.connection);
  const now = useNow(1000);
  const { state, lastEventAt, retryAt } = connection;
  let detail = "";
  if (state === "disconnected" && retryAt !== null) {
    const secs = Math.max(0, Math.ceil((retryAt - now) / 1000));
    detail = secs > 0 ? `retry in ${secs} s` : "retrying";
  } else if (lastEventAt !== null) {
    detail = `last event ${formatAgo(lastEventAt, now)}`;
  }
  return (
    <div
      role="status"
      aria-live="polite"
      data-testid="connection"
      data-state={state}
      className={`flex items-center gap-2 rounded-full border border-line bg-card ${large ? "px-4 py-1.5 text-base" : "px-3 py-1 text-xs"}`}
      title={lastEventAt ? `Last event at ${new Date(lastEventAt).toLocaleString()}` : undefined}
    >
      <span className={`inline-block rounded-full ${large ? "h-3 w-3" : "h-2 w-2"} ${DOTS[state]}`} aria-hidden="true" />
      <span className="font-semibold">{LABELS[state]}</span>
      {detail && <span className="text-muted tabular-nums">{detail}</span>}
    </div>
  );
}
