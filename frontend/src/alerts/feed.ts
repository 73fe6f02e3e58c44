import { applyAlert, applyAlertList, type AlertInfo } from "../store/alertsSlice";
import type { AppStore } from "../store/store";

/**
 * Alerts on the page: the list from GET /alerts (on start and after every snapshot, i.e. every
 * reconnect: `alert` events are live-only and not replayed), then each `alert` event from the
 * stream. New firing alerts raise a browser notification when the user allowed them; the
 * permission is asked once per browser (remembered in localStorage), on a user gesture.
 */

const ASKED_KEY = "runwatch.notifications.asked";

export async function fetchAlerts(signal?: AbortSignal): Promise<unknown> {
  const response = await fetch("alerts?state=all&limit=1000", { signal, headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`alerts: HTTP ${response.status}`);
  const body = (await response.json()) as { alerts?: unknown };
  return body.alerts;
}

export class AlertsFeed {
  private loading: AbortController | null = null;
  /** The stream's alerts since the list was asked for: an alert that fires while the list is
   * on its way is in the stream and not in the list, which would otherwise erase it. */
  private liveSinceAsked: unknown[] | null = null;

  constructor(
    private readonly store: AppStore,
    private readonly storage: Storage | null,
  ) {}

  reload(): void {
    this.loading?.abort();
    const controller = new AbortController();
    this.loading = controller;
    this.liveSinceAsked ??= [];
    fetchAlerts(controller.signal)
      .then((alerts) => {
        if (this.loading === controller) applyAlertList(this.store, alerts, this.liveSinceAsked ?? []);
      })
      .catch(() => undefined) // the next snapshot asks again; its list holds what the stream brought
      .finally(() => {
        if (this.loading !== controller) return; // a newer list is on its way
        this.liveSinceAsked = null;
        this.loading = null;
      });
  }

  onEvent(data: string): void {
    let value: unknown;
    try {
      value = JSON.parse(data);
    } catch {
      return;
    }
    this.liveSinceAsked?.push(value);
    const fresh = applyAlert(this.store, value);
    if (fresh) this.notify(fresh);
  }

  /** Ask for permission once, on the first user gesture (browsers ignore it otherwise). */
  askOnFirstGesture(target: EventTarget): void {
    if (typeof Notification === "undefined" || Notification.permission !== "default") return;
    if (this.storage?.getItem(ASKED_KEY)) return;
    const ask = () => {
      target.removeEventListener("pointerdown", ask);
      this.storage?.setItem(ASKED_KEY, "1");
      void Notification.requestPermission().catch(() => undefined);
    };
    target.addEventListener("pointerdown", ask);
  }

  private notify(alert: AlertInfo): void {
    if (typeof Notification === "undefined" || Notification.permission !== "granted") return;
    try {
      new Notification(`${alert.severity === "critical" ? "🔴" : "🟠"} ${alert.rule} · ${alert.run_id}`, {
        body: alert.message,
        tag: alert.alert_id,
      });
    } catch {
      // some browsers only allow notifications from a service worker
    }
  }
}
