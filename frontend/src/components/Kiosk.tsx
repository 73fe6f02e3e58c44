import { useEffect, useMemo } from "react";
import { useShallow } from "zustand/react/shallow";

import { useApp, useServices } from "../app/services";
import { formatClock } from "../core/format";
import { setKiosk, setTab } from "../store/actions";
import { cardIndexOf } from "../store/selectors";
import { internalOnly } from "./TabNotices";
import { ConnectionStatus } from "./ConnectionStatus";
import { Logo } from "./icons";
import { tabCounts, useTabs } from "./Sidebar";
import { useNow } from "./useNow";

/** Tabs worth showing on a wall: the ones with something in them beyond the agent's own counters. */
export function useRotationTabs(): string[] {
  const tabs = useTabs();
  const counts = useApp(useShallow(tabCounts));
  const internal = useApp((s) => [...cardIndexOf(s).byTab].filter(([, cards]) => internalOnly(cards)).map(([tab]) => tab).join("\n"));
  return useMemo(() => {
    const skip = new Set(internal.split("\n"));
    return tabs.filter((t) => (counts[t.id] ?? 0) > 0 && !skip.has(t.id)).map((t) => t.id);
  }, [tabs, counts, internal]);
}

/** Rotates the tab every rotateSec seconds while in wall-monitor mode. */
export function useKioskRotation(): void {
  const { store } = useServices();
  const { kiosk, rotateSec, tab, pages, board } = useApp(
    useShallow((s) => ({ kiosk: s.kiosk, rotateSec: s.rotateSec, tab: s.tab, pages: s.kioskPages, board: s.kioskView === "board" })),
  );
  const tabs = useRotationTabs();
  const key = tabs.join(",");
  useEffect(() => {
    if (!kiosk || board || rotateSec <= 0 || tabs.length < 2) return;
    const id = setTimeout(() => {
      const i = tabs.indexOf(tab);
      const next = tabs[(i + 1) % tabs.length];
      if (next) setTab(store, next);
    }, rotateSec * 1000 * Math.max(1, pages));
    return () => clearTimeout(id);
    // `key` stands for `tabs`; the timer restarts on every tab change.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [kiosk, rotateSec, tab, key, store, pages, board]);
}

export function KioskHeader() {
  const { store } = useServices();
  const tabs = useTabs();
  const { tab, rotateSec } = useApp(useShallow((s) => ({ tab: s.tab, rotateSec: s.rotateSec })));
  const rotation = useRotationTabs();
  const now = useNow(1000);
  const board = useApp((s) => s.kioskView === "board");
  const title = board ? "Health board" : (tabs.find((t) => t.id === tab)?.title ?? tab);
  return (
    <header className="z-30 flex-none border-b border-line bg-bg">
      <div className="flex items-center gap-5 px-6 py-3">
        <Logo size={34} />
        <div className="text-xl font-semibold tracking-tight text-muted">runwatch</div>
        <h1 className="text-3xl font-bold tracking-tight" data-testid="tab-title" data-tab={tab}>
          {title}
        </h1>
        {rotation.length > 1 && rotateSec > 0 && (
          <ol className="flex items-center gap-1.5" aria-label="Rotating tabs">
            {rotation.map((id) => (
              <li key={id} className={`h-2 rounded-full ${id === tab ? "w-6 bg-accent" : "w-2 bg-line"}`} aria-current={id === tab} data-tab={id} />
            ))}
          </ol>
        )}
        <div className="flex-1" />
        <ConnectionStatus large />
        <div className="text-2xl font-semibold tabular-nums">{formatClock(now)}</div>
        <button
          type="button"
          onClick={() => {
            setKiosk(store, false);
            const q = new URLSearchParams(location.search);
            q.delete("kiosk");
            const text = q.toString();
            history.replaceState(null, "", text ? `?${text}` : location.pathname);
          }}
          className="rounded-lg border border-line px-3 py-1.5 text-sm text-muted hover:text-fg"
          data-testid="kiosk-exit"
        >
          Exit wall mode
        </button>
      </div>
      {rotation.length > 1 && rotateSec > 0 && (
        <div className="h-0.5 bg-line/40">
          <div key={tab} className="rw-rotate-bar h-full bg-accent/70" style={{ animationDuration: `${rotateSec}s` }} />
        </div>
      )}
    </header>
  );
}
