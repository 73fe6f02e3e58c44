import { lazy, Suspense, useCallback, useEffect } from "react";
import { useShallow } from "zustand/react/shallow";

import { useRoute } from "./app/hashRoute";
import { useApp, useServices } from "./app/services";
import { DetailOverlay } from "./compare/DetailOverlay";
import { RunsView } from "./compare/RunsView";
import { useCompare } from "./compare/store";
import { CHECKPOINTS_TAB_ID, DISTRIBUTIONS_TAB, LOGS_TAB, MEDIA_TAB, PROGRESS_TAB } from "./core/tabs";
import { richNav } from "./store/richNav";
import { setTab } from "./store/actions";
import { cardIndexOf } from "./store/selectors";
import { AlertsBanner } from "./components/AlertsBanner";
import { AlertsPanel } from "./components/AlertsPanel";
import { CardGrid } from "./components/CardGrid";
import { CheckpointsTable } from "./components/CheckpointsTable";
import { DistributionsView } from "./components/DistributionsView";
import { LogsView } from "./components/LogsView";
import { MediaView } from "./components/MediaView";
import { Header } from "./components/Header";
import { KioskHeader, useKioskRotation } from "./components/Kiosk";
import { KioskBoard } from "./components/KioskBoard";
import { ProgressView } from "./components/ProgressView";
import { RunBar } from "./components/RunBar";
import { Sidebar, SQL_TAB, useTabs } from "./components/Sidebar";
import { SqlPanels } from "./components/sql/SqlPanels";
import { Toolbar } from "./components/Toolbar";

// CodeMirror is loaded only when the console is opened.
const SqlConsole = lazy(() => import("./components/sql/SqlConsole").then((m) => ({ default: m.SqlConsole })));

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

const TABLE_VIEWS = new Set([DISTRIBUTIONS_TAB.id, MEDIA_TAB.id, LOGS_TAB.id]);

function TabContent({ tab, title }: { tab: string; title: string }) {
  const kiosk = useApp((s) => s.kiosk);
  const noneSelected = useApp((s) => s.selection.mode === "include" && s.selection.ids.length === 0);
  const hasCards = useApp((s) => (cardIndexOf(s).byTab.get(tab) ?? []).length > 0);
  const charts = tab !== PROGRESS_TAB.id && !TABLE_VIEWS.has(tab) && hasCards;
  return (
    <>
      {!kiosk && <Toolbar title={title} charts={charts && !noneSelected} />}
      {noneSelected ? (
        <p className="py-10 text-center text-sm text-muted" data-testid="none-selected">
          No run selected. Click a run badge, or “All”.
        </p>
      ) : tab === SQL_TAB.id ? (
        <SqlPanels />
      ) : tab === PROGRESS_TAB.id ? (
        <ProgressView />
      ) : tab === DISTRIBUTIONS_TAB.id ? (
        <DistributionsView />
      ) : tab === MEDIA_TAB.id ? (
        <MediaView />
      ) : tab === LOGS_TAB.id ? (
        <LogsView />
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
  const { tab, kiosk, hasRuns, board } = useApp(
    useShallow((s) => ({ tab: s.tab, kiosk: s.kiosk, hasRuns: s.runOrder.length > 0, board: s.kiosk && s.kioskView === "board" })),
  );
  useKioskRotation();
  // "logs around this step" (a distribution card) opens the Logs tab.
  useEffect(() => richNav.subscribe((s, prev) => {
    if (s.logsTarget !== prev.logsTarget) setTab(store, LOGS_TAB.id);
  }), [store]);
  const runsView = useCompare((s) => s.view === "runs") && !kiosk;
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
  const route = useRoute();

  return (
    <div className="flex h-screen flex-col">
      {kiosk ? <KioskHeader /> : <Header />}
      <AlertsBanner />
      <RunBar />
      {route === "sql" && !kiosk ? <Suspense fallback={null}><SqlConsole /></Suspense> : (
      <div className="flex min-h-0 flex-1">
        {!kiosk && !runsView && <Sidebar />}
        <main
          ref={panelsRef}
          className={`min-w-0 flex-1 ${kiosk ? "overflow-hidden px-6 py-5" : "overflow-y-auto px-5 py-4"}`}
          id="panels"
        >
          {!kiosk && !runsView && (
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
          {runsView ? <RunsView /> : !hasRuns ? <Waiting /> : board ? <KioskBoard /> : <TabContent tab={tab} title={title} />}
        </main>
      </div>
      )}
      {!kiosk && <AlertsPanel />}
      {!kiosk && !runsView && <DetailOverlay />}
    </div>
  );
}
