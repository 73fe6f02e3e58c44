import { useCallback, useEffect } from "react";
import { useShallow } from "zustand/react/shallow";

import { useApp, useServices } from "./app/services";
import { CHECKPOINTS_TAB_ID, PROGRESS_TAB } from "./core/tabs";
import { setTab } from "./store/actions";
import { cardIndexOf } from "./store/selectors";
import { AlertsBanner } from "./components/AlertsBanner";
import { AlertsPanel } from "./components/AlertsPanel";
import { CardGrid } from "./components/CardGrid";
import { CheckpointsTable } from "./components/CheckpointsTable";
import { Header } from "./components/Header";
import { KioskHeader, useKioskRotation } from "./components/Kiosk";
import { ProgressView } from "./components/ProgressView";
import { RunBar } from "./components/RunBar";
import { Sidebar, useTabs } from "./components/Sidebar";
import { Toolbar } from "./components/Toolbar";

function Waiting() {
  const connection = useApp((s) => s.connection.state);
  return (
    <div className="mx-auto mt-16 max-w-lg rounded-2xl border border-line bg-card p-8 text-center" data-testid="waiting">
      <div className="mb-2 text-lg font-semibold">{connection === "live" ? "No runs yet" : "Connecting to the server…"}</div>
      <p className="text-sm leading-relaxed text-muted">
        {connection === "live" ? (
          <>
            Start logging from a training script and it will show up here within a second:
            <code className="mt-3 block rounded-lg bg-subtle px-3 py-2 text-left font-mono text-xs text-fg">
              from agent import Run
              <br />
              run = Run(project="demo")
              <br />
              run.log({"{"}"train/loss": 0.42{"}"}, step=1)
            </code>
          </>
        ) : (
          "The dashboard reconnects by itself; data resumes where it stopped."
        )}
      </p>
    </div>
  );
}

function TabContent({ tab, title }: { tab: string; title: string }) {
  const kiosk = useApp((s) => s.kiosk);
  const noneSelected = useApp((s) => s.selection.mode === "include" && s.selection.ids.length === 0);
  const hasCards = useApp((s) => (cardIndexOf(s).byTab.get(tab) ?? []).length > 0);
  const charts = tab !== PROGRESS_TAB.id && hasCards;
  return (
    <>
      {!kiosk && <Toolbar title={title} charts={charts && !noneSelected} />}
      {noneSelected ? (
        <p className="py-10 text-center text-sm text-muted" data-testid="none-selected">
          No run selected. Click a run badge, or “All”.
        </p>
      ) : tab === PROGRESS_TAB.id ? (
        <ProgressView />
      ) : tab === CHECKPOINTS_TAB_ID ? (
        <div className="flex flex-col gap-6">
          <CheckpointsTable />
          <CardGrid tab={tab} />
        </div>
      ) : (
        <CardGrid tab={tab} emptyText="Nothing logged under this tab for the selected runs." />
      )}
    </>
  );
}

export function App() {
  const { store, visibility } = useServices();
  const tabs = useTabs();
  const { tab, kiosk, hasRuns } = useApp(useShallow((s) => ({ tab: s.tab, kiosk: s.kiosk, hasRuns: s.runOrder.length > 0 })));
  useKioskRotation();
  const known = tabs.find((t) => t.id === tab);
  useEffect(() => {
    if (!known && tabs[0]) setTab(store, tabs[0].id);
  }, [known, tabs, store]);
  const title = known?.title ?? "";
  useEffect(() => {
    document.title = title ? `${title} · runwatch` : "runwatch";
  }, [title]);
  // Stable, so React does not detach and re-attach it (re-creating the observers) per render.
  const panelsRef = useCallback((el: HTMLElement | null) => visibility.setRoot(el), [visibility]);

  return (
    <div className="flex h-screen flex-col">
      {kiosk ? <KioskHeader /> : <Header />}
      <AlertsBanner />
      <RunBar />
      <div className="flex min-h-0 flex-1">
        {!kiosk && <Sidebar />}
        <main
          ref={panelsRef}
          className={`min-w-0 flex-1 overflow-y-auto ${kiosk ? "px-6 py-5" : "px-5 py-4"}`}
          id="panels"
        >
          {!kiosk && (
            <nav aria-label="Tabs" className="mb-3 flex gap-1 overflow-x-auto md:hidden">
              {tabs.map((t) => (
                <button
                  key={t.id}
                  type="button"
                  aria-current={t.id === tab}
                  onClick={() => setTab(store, t.id)}
                  className={`rounded-lg px-3 py-1.5 text-sm ${t.id === tab ? "bg-accent-soft font-semibold text-accent" : "text-muted"}`}
                >
                  {t.title}
                </button>
              ))}
            </nav>
          )}
          {hasRuns ? <TabContent tab={tab} title={title} /> : <Waiting />}
        </main>
      </div>
      {!kiosk && <AlertsPanel />}
    </div>
  );
}
