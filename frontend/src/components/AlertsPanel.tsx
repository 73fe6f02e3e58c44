import { useState } from "react";

import { useApp, useServices } from "../app/services";
import { formatAgo } from "../core/format";
import { allAlerts, firingAlerts, setAlertsPanelOpen, type AlertInfo } from "../store/alertsSlice";
import { useNow } from "./useNow";

type View = "firing" | "history";

function valueText(a: AlertInfo): string {
  if (a.value === null) return "";
  return typeof a.value === "number" ? String(Number(a.value.toPrecision(6))) : a.value;
}

function AlertRow({ alert, now }: { alert: AlertInfo; now: number }) {
  const firing = alert.state === "firing";
  const dot = firing ? (alert.severity === "critical" ? "bg-bad" : "bg-warn") : "bg-ok";
  return (
    <li className="border-b border-line px-4 py-2.5 last:border-b-0" data-testid="alert-row" data-state={alert.state} data-rule={alert.rule} data-run-id={alert.run_id}>
      <div className="flex items-center gap-2 text-sm">
        <span className={`inline-block h-2 w-2 flex-none rounded-full ${dot}`} aria-hidden="true" />
        <span className="font-semibold">{alert.rule}</span>
        <span className="truncate text-muted">{alert.run_id}</span>
        <span className="ml-auto flex-none text-xs text-muted" title={new Date(alert.fired_at).toISOString()}>
          {formatAgo(alert.fired_at, now)}
        </span>
      </div>
      <p className="mt-0.5 text-sm leading-snug">{alert.message}</p>
      <p className="mt-0.5 text-xs text-muted">
        {alert.kind}
        {alert.metric && ` · ${alert.metric}`}
        {alert.step !== null && ` · step ${alert.step}`}
        {alert.metric && ` · value ${valueText(alert)}`}
        {!firing && alert.resolved_at !== null && ` · resolved ${formatAgo(alert.resolved_at, now)}`}
        {alert.notified.length > 0 && ` · sent to ${alert.notified.join(", ")}`}
      </p>
    </li>
  );
}

/** Firing alerts and their history, filtered by run and rule: a drawer over the dashboard. */
export function AlertsPanel() {
  const { store } = useServices();
  const open = useApp((s) => s.alertsPanelOpen);
  const firing = useApp(firingAlerts);
  const all = useApp(allAlerts);
  const [view, setView] = useState<View>("firing");
  const [run, setRun] = useState("");
  const [rule, setRule] = useState("");
  const now = useNow(5000);
  if (!open) return null;
  const source = view === "firing" ? firing : all;
  const shown = source.filter((a) => (!run || a.run_id === run) && (!rule || a.rule === rule));
  const runs = [...new Set(all.map((a) => a.run_id))].sort();
  const rules = [...new Set(all.map((a) => a.rule))].sort();
  const select = "rounded-lg border border-line bg-card px-2 py-1 text-xs";
  return (
    <aside
      className="fixed inset-y-0 right-0 z-40 flex w-[min(28rem,100vw)] flex-col border-l border-line bg-bg shadow-2xl"
      aria-label="Alerts"
      data-testid="alerts-panel"
    >
      <div className="flex h-14 flex-none items-center gap-3 border-b border-line px-4">
        <h2 className="text-base font-semibold">Alerts</h2>
        <div className="flex rounded-lg bg-subtle p-0.5 text-xs" role="tablist">
          {(["firing", "history"] as const).map((v) => (
            <button
              key={v}
              type="button"
              role="tab"
              aria-selected={view === v}
              data-testid={`alerts-view-${v}`}
              onClick={() => setView(v)}
              className={`rounded-md px-2.5 py-1 ${view === v ? "bg-card font-semibold shadow-sm" : "text-muted"}`}
            >
              {v === "firing" ? `Firing (${firing.length})` : `History (${all.length})`}
            </button>
          ))}
        </div>
        <button
          type="button"
          className="ml-auto rounded-lg p-2 text-muted hover:bg-subtle hover:text-fg"
          aria-label="Close alerts"
          data-testid="alerts-close"
          onClick={() => setAlertsPanelOpen(store, false)}
        >
          ✕
        </button>
      </div>
      <div className="flex flex-none gap-2 border-b border-line px-4 py-2">
        <select className={select} aria-label="Filter by run" value={run} onChange={(e) => setRun(e.target.value)} data-testid="alerts-filter-run">
          <option value="">All runs</option>
          {runs.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
        <select className={select} aria-label="Filter by rule" value={rule} onChange={(e) => setRule(e.target.value)} data-testid="alerts-filter-rule">
          <option value="">All rules</option>
          {rules.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </div>
      {shown.length === 0 ? (
        <p className="px-4 py-10 text-center text-sm text-muted" data-testid="alerts-empty">
          {view === "firing" ? "Nothing is firing." : "No alerts yet."}
        </p>
      ) : (
        <ul className="min-h-0 flex-1 overflow-y-auto">
          {shown.map((a) => (
            <AlertRow key={a.alert_id} alert={a} now={now} />
          ))}
        </ul>
      )}
    </aside>
  );
}

/** The header's bell: opens the panel; shows how many alerts fire. */
export function AlertsButton() {
  const { store } = useServices();
  const count = useApp((s) => firingAlerts(s).length);
  return (
    <button
      type="button"
      className="relative rounded-lg p-2 text-muted hover:bg-subtle hover:text-fg"
      aria-label={`Alerts: ${count} firing`}
      title="Alerts"
      data-testid="alerts-toggle"
      onClick={() => setAlertsPanelOpen(store, !store.getState().alertsPanelOpen)}
    >
      <svg width={18} height={18} viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth={2} strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
        <path d="M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9" />
        <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" />
      </svg>
      {count > 0 && (
        <span className="absolute -right-0.5 -top-0.5 min-w-[1.1rem] rounded-full bg-bad px-1 text-center text-[0.625rem] font-semibold leading-[1.1rem] text-white" data-testid="alerts-count">
          {count}
        </span>
      )}
    </button>
  );
}
