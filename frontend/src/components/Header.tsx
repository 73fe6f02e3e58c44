import { useShallow } from "zustand/react/shallow";

import { useRoute } from "../app/hashRoute";
import { useApp, useServices } from "../app/services";
import { patchCompare, useCompare } from "../compare/store";
import { TIMELINES, type Timeline } from "../core/url";
import { setKiosk, setTheme, setTimeline } from "../store/actions";
import type { ThemePreference } from "../store/uiSlice";
import { AlertsButton } from "./AlertsPanel";
import { ConnectionStatus } from "./ConnectionStatus";
import { useLiveness } from "./useLiveness";
import { Logo, MonitorIcon, MoonIcon, SunIcon, SystemThemeIcon } from "./icons";
import { Segmented } from "./Segmented";

const TIMELINE_LABELS: Record<Timeline, string> = { "1h": "1h", "6h": "6h", "24h": "24h", "7d": "7d", all: "All" };
const NEXT_THEME: Record<ThemePreference, ThemePreference> = { system: "light", light: "dark", dark: "system" };

export function TimelinePicker() {
  const { store } = useServices();
  const timeline = useApp((s) => s.timeline);
  return (
    <Segmented
      label="Time range"
      testId="timeline"
      value={timeline}
      onChange={(t) => setTimeline(store, t)}
      options={TIMELINES.map((t) => ({
        value: t,
        label: TIMELINE_LABELS[t],
        title: t === "all" ? "Everything, live" : `Last ${t}, live`,
      }))}
    />
  );
}

function ThemeToggle() {
  const { store } = useServices();
  const theme = useApp((s) => s.theme);
  const Icon = theme === "light" ? SunIcon : theme === "dark" ? MoonIcon : SystemThemeIcon;
  return (
    <button
      type="button"
      className="rounded-lg p-2 text-muted hover:bg-subtle hover:text-fg"
      aria-label={`Theme: ${theme}. Switch to ${NEXT_THEME[theme]}`}
      title={`Theme: ${theme}`}
      onClick={() => setTheme(store, NEXT_THEME[theme])}
    >
      <Icon size={18} />
    </button>
  );
}

function SqlLink() {
  const route = useRoute();
  return (
    <a
      href={route === "sql" ? "#" : "#sql"}
      className={`rounded-lg px-3 py-1.5 text-sm font-semibold ${route === "sql" ? "bg-accent-soft text-accent" : "text-muted hover:bg-subtle hover:text-fg"}`}
      data-testid="sql-link"
      title={route === "sql" ? "Back to the charts" : "SQL console"}
    >
      {route === "sql" ? "Charts" : "SQL"}
    </a>
  );
}

export function Header() {
  const { store } = useServices();
  const view = useCompare((s) => s.view);
  const { total, active } = useApp(
    useShallow((s) => {
      let activeCount = 0;
      for (const run of s.runs.values()) if (run.is_active) activeCount++;
      return { total: s.runs.size, active: activeCount };
    }),
  );
  const { level } = useLiveness();
  return (
    <header className="z-30 flex min-h-14 flex-none flex-wrap items-center gap-x-4 gap-y-2 border-b border-line bg-bg px-4 py-2">
      <div className="flex items-center gap-2.5">
        <Logo size={26} />
        <div className="leading-tight">
          <div className="text-[0.9375rem] font-semibold tracking-tight">runwatch</div>
          <div className="text-[0.6875rem] text-muted" data-testid="run-summary">
            {total} run{total === 1 ? "" : "s"} · {level === "live" ? `${active} active` : "activity unknown (data not current)"}
          </div>
        </div>
      </div>
      <Segmented
        label="View"
        testId="view-switch"
        value={view}
        onChange={(v) => patchCompare({ view: v })}
        options={[
          { value: "charts", label: "Charts", title: "Live charts of the selected runs" },
          { value: "runs", label: "Runs", title: "Every run: config, summaries, compare, group" },
        ]}
      />
      <div className="flex-1" />
      <SqlLink />
      <TimelinePicker />
      <ConnectionStatus />
      <div className="flex items-center">
        <AlertsButton />
        <ThemeToggle />
        <button
          type="button"
          className="rounded-lg p-2 text-muted hover:bg-subtle hover:text-fg"
          aria-label="Wall-monitor mode"
          title="Wall-monitor mode (kiosk)"
          data-testid="kiosk-toggle"
          onClick={() => {
            if (store.getState().rotateSec <= 0 && !store.getState().tabPinned) store.setState({ rotateSec: 30 });
            setKiosk(store, true);
            const q = new URLSearchParams(location.search);
            q.set("kiosk", "1");
            history.replaceState(null, "", `?${q.toString()}`);
          }}
        >
          <MonitorIcon size={18} />
        </button>
      </div>
    </header>
  );
}
