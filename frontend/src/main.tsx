import { StrictMode } from "react";
import { createRoot } from "react-dom/client";

import { App } from "./App";
import { AlertsFeed } from "./alerts/feed";
import { fetchTabs } from "./api/http";
import { setBoardAlertSource } from "./core/boardAlerts";
import { ServicesContext, type Services } from "./app/services";
import { bindTheme } from "./app/theme";
import { VisibilityTracker } from "./app/visibility";
import { DetailFetcher, DetailStore } from "./charts/detail";
import { ChartScheduler } from "./charts/scheduler";
import { DEFAULT_TABS } from "./core/tabs";
import { parseUrlOptions } from "./core/url";
import { PerfLog } from "./perf";
import { StreamClient } from "./sse/client";
import * as actions from "./store/actions";
import * as apply from "./store/apply";
import { initialUiState, persistColors, persistUi, readColors } from "./store/persist";
import { firingAlerts } from "./store/alertsSlice";
import { createAppStore } from "./store/store";
import "./index.css";

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

function boot(): void {
  const url = parseUrlOptions(location.search);
  const store = createAppStore(initialUiState(url, storage()));
  const local = storage();
  store.setState({ runColors: readColors(local) });
  if (local) {
    persistUi(store, local);
    persistColors(store, local);
  }

  // The health board's tiles show each run's firing alerts (info-level ones as warnings).
  setBoardAlertSource((runId) => firingAlerts(store.getState())
    .filter((a) => a.run_id === runId)
    .map((a) => ({ name: a.rule, severity: a.severity === "critical" ? "critical" : "warning" })));

  const perf = new PerfLog();
  const detail = new DetailStore();
  const scheduler = new ChartScheduler(store, detail, perf);
  const visibility = new VisibilityTracker();
  const fetcher = new DetailFetcher(store, detail, () => visibility.visibleIds());

  const loadTabs = () => {
    fetchTabs()
      .then((config) => actions.setTabsConfig(store, config ?? DEFAULT_TABS, config ? "server" : "default"))
      .catch(() => actions.setTabsConfig(store, DEFAULT_TABS, "default"));
  };
  const alerts = new AlertsFeed(store, local);
  const client = new StreamClient({
    store,
    perf,
    onSnapshot: () => {
      loadTabs();
      alerts.reload();
    },
    onAlert: (data) => alerts.onEvent(data),
  });
  if (!url.kiosk) alerts.askOnFirstGesture(document);

  bindTheme(store, () => scheduler.themeChanged());
  scheduler.start();
  fetcher.start();
  client.start();
  loadTabs();
  window.addEventListener("online", () => client.reconnectNow());
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") client.reconnectNow();
  });

  const services: Services = { store, scheduler, visibility, perf, client };
  // The browser tests and the benchmark read state and timings from here.
  Object.assign(window, { __runwatch: { ...services, detail, actions, apply, alerts } });

  const root = document.getElementById("root");
  if (!root) throw new Error("#root is missing");
  createRoot(root).render(
    <StrictMode>
      <ServicesContext.Provider value={services}>
        <App />
      </ServicesContext.Provider>
    </StrictMode>,
  );
}

boot();
