import { useApp, useServices } from "../app/services";
import { formatAgo } from "../core/format";
import { firingAlerts, setAlertsPanelOpen } from "../store/alertsSlice";
import { useNow } from "./useNow";

/** Firing alerts, on every page (the wall monitor included): what is wrong, at a glance. */
export function AlertsBanner() {
  const { store } = useServices();
  const firing = useApp(firingAlerts);
  const kiosk = useApp((s) => s.kiosk);
  const now = useNow(5000);
  if (firing.length === 0) return null;
  const critical = firing.some((a) => a.severity === "critical");
  const shown = firing.slice(0, kiosk ? 3 : 2);
  const more = firing.length - shown.length;
  return (
    <div
      role="alert"
      data-testid="alerts-banner"
      data-count={firing.length}
      className={`flex flex-none items-center gap-3 border-b px-4 ${kiosk ? "py-2.5 text-base" : "py-1.5 text-sm"} ${
        critical ? "border-bad/40 bg-bad/10 text-fg" : "border-warn/40 bg-warn/10 text-fg"
      }`}
    >
      <span className={`flex-none rounded-full px-2 py-0.5 text-xs font-semibold text-white ${critical ? "bg-bad" : "bg-warn"}`}>
        {firing.length} firing
      </span>
      <ul className="flex min-w-0 flex-1 flex-wrap gap-x-5 gap-y-0.5">
        {shown.map((a) => (
          <li key={a.alert_id} className="min-w-0 truncate" data-testid="alerts-banner-item" data-rule={a.rule} data-run-id={a.run_id}>
            <span className="font-semibold">{a.rule}</span>
            <span className="text-muted"> · {a.run_id} · </span>
            <span>{a.message}</span>
            <span className="text-muted"> · {formatAgo(a.fired_at, now)}</span>
          </li>
        ))}
        {more > 0 && <li className="text-muted">and {more} more</li>}
      </ul>
      {!kiosk && (
        <button
          type="button"
          className="flex-none rounded-lg px-2.5 py-1 text-xs font-medium hover:bg-subtle"
          onClick={() => setAlertsPanelOpen(store, true)}
          data-testid="alerts-banner-open"
        >
          View alerts
        </button>
      )}
    </div>
  );
}
