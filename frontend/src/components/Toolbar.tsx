import { useShallow } from "zustand/react/shallow";

import { useApp, useServices } from "../app/services";
import { CardAnalysisControls } from "../compare/CardAnalysisControls";
import { xModeOf } from "../charts/controller";
import { formatStep } from "../core/format";
import { setGpuView, setPanelFilter, setSmoothing, setXMode, setXRange } from "../store/actions";
import { cardIndexOf } from "../store/selectors";
import type { GpuView } from "../store/uiSlice";
import { ResetIcon } from "./icons";
import { SearchInput } from "./SearchInput";
import { Segmented } from "./Segmented";

/** Controls of the chart views: panel filter, x axis, smoothing, GPU aggregation, zoom reset. */
export function Toolbar({ title, charts }: { title: string; charts: boolean }) {
  const { store } = useServices();
  const { xMode, smoothing, gpuView, xRange, filter, hasGpu, wallTimeOnly } = useApp(
    useShallow((s) => ({
      xMode: s.xMode,
      // System cards always plot wall time (xModeOf): a "Step" there would not be in effect.
      wallTimeOnly: (cardIndexOf(s).byTab.get(s.tab) ?? []).every((c) => xModeOf(c.id, "step") === "time"),
      smoothing: s.smoothing,
      gpuView: s.gpuView,
      xRange: s.xRange,
      filter: s.panelFilter,
      hasGpu: (cardIndexOf(s).byTab.get(s.tab) ?? []).some((c) => c.perDevice),
    })),
  );
  return (
    <div className="mb-4 flex flex-wrap items-center gap-x-4 gap-y-2">
      <h1 className="mr-auto text-lg font-semibold tracking-tight" data-testid="tab-title">
        {title}
      </h1>
      {charts && (
        <>
          <SearchInput label="Filter panels" value={filter} onChange={(value) => setPanelFilter(store, value)} />
          <div className="flex items-center gap-2 text-xs text-muted">
            <span>X axis</span>
            {wallTimeOnly ? (
              <span
                className="rounded-lg border border-line bg-subtle px-2.5 py-1 font-medium text-fg"
                data-testid="x-mode-fixed"
                title="System metrics are sampled on the clock, not per step: these charts always plot wall time"
              >
                Wall time
              </span>
            ) : (
            <Segmented
              label="X axis"
              testId="x-mode"
              value={xMode}
              onChange={(m) => setXMode(store, m)}
              options={[
                { value: "step", label: "Step" },
                { value: "time", label: "Time" },
              ]}
            />
            )}
          </div>
          <label className="flex items-center gap-2 text-xs text-muted">
            <span>Smoothing</span>
            <input
              type="range"
              min={0}
              max={0.99}
              step={0.01}
              value={smoothing}
              onChange={(e) => setSmoothing(store, Number(e.target.value))}
              className="w-24 accent-[var(--rw-accent)]"
              aria-valuetext={smoothing === 0 ? "off" : smoothing.toFixed(2)}
              data-testid="smoothing"
            />
            <span className="w-7 text-right font-medium tabular-nums text-fg">{smoothing === 0 ? "off" : smoothing.toFixed(2)}</span>
          </label>
          <CardAnalysisControls />
          {hasGpu && (
            <div className="flex items-center gap-2 text-xs text-muted">
              <span>GPUs</span>
              <Segmented<GpuView>
                label="GPU series"
                testId="gpu-view"
                value={gpuView}
                onChange={(v) => setGpuView(store, v)}
                options={[
                  { value: "device", label: "Each" },
                  { value: "mean", label: "Mean" },
                  { value: "max", label: "Max" },
                ]}
              />
            </div>
          )}
          {xRange !== null && (
            <button
              type="button"
              onClick={() => setXRange(store, null)}
              data-testid="reset-zoom"
              className="flex h-8 items-center gap-1.5 rounded-lg border border-accent/40 bg-accent-soft px-2.5 text-xs font-medium text-accent hover:border-accent"
              title="Back to the full range (double-click a chart does the same)"
            >
              <ResetIcon size={14} />
              {xMode === "step"
                ? `Steps ${formatStep(xRange.min, true)}–${formatStep(xRange.max, true)}`
                : "Zoomed"}
              <span className="opacity-70">· reset</span>
            </button>
          )}
        </>
      )}
    </div>
  );
}
