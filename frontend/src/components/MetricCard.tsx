import { memo, useEffect, useRef } from "react";

import { useApp, useServices } from "../app/services";
import { CardDownload } from "../compare/CardDownload";
import { toggleLogScale, toggleRobustRange } from "../store/actions";
import { showLogsAround } from "../store/richNav";
import { isRunSelected } from "../store/uiSlice";
import { ChartController, robustByDefault } from "../charts/controller";
import { unitLabel } from "../core/format";
import type { CardSpec } from "../store/selectors";
import { PinButton } from "./PinButton";

/**
 * A metric card. React renders its frame once; the chart inside is owned by a
 * ChartController, created when the card first scrolls into view and fed by the scheduler.
 */
export const MetricCard = memo(function MetricCard({ card, height, boxHeight }: { card: CardSpec; height: number; boxHeight?: number }) {
  const { store, scheduler, visibility } = useServices();
  const log = useApp((s) => s.logScale.includes(card.id));
  const robust = useApp((s) => !log && robustByDefault(card.id) !== s.rangeToggled.includes(card.id));
  const rootRef = useRef<HTMLElement>(null);
  const plotRef = useRef<HTMLDivElement>(null);
  const latestRef = useRef<HTMLDivElement>(null);
  const controllerRef = useRef<ChartController | null>(null);

  useEffect(() => {
    const root = rootRef.current;
    const plot = plotRef.current;
    const latest = latestRef.current;
    if (!root || !plot || !latest) return;
    const controller = new ChartController(card.id, { root, plot, latest }, store, height, scheduler.requestFrame);
    controllerRef.current = controller;
    scheduler.register(controller);
    visibility.observe(root, {
      id: card.id,
      near: (visible) => controller.setVisible(visible),
      onScreen: (visible) => controller.setOnScreen(visible),
    });
    return () => {
      visibility.unobserve(root);
      scheduler.unregister(controller);
      controller.destroy();
      controllerRef.current = null;
    };
  }, [card.id, height, store, scheduler, visibility]);

  const unit = unitLabel(card.unitKind, card.unit);
  return (
    <article
      ref={rootRef}
      data-testid="metric-card"
      data-card={card.id}
      data-metric={card.id}
      className="group flex min-w-0 flex-col overflow-hidden rounded-xl border border-line bg-card shadow-[0_1px_2px_rgb(0_0_0/0.04)]"
      style={boxHeight !== undefined ? { height: boxHeight } : undefined}
    >
      <header className="flex items-center gap-2 px-3.5 pt-3">
        <h3 className="min-w-0 flex-1 truncate text-[0.8125rem] font-semibold tracking-tight" title={card.id}>
          {card.id}
        </h3>
        <span
          className="rw-nf-badge rounded-md bg-[color-mix(in_srgb,var(--rw-nonfinite)_14%,transparent)] px-1.5 py-px text-[0.625rem] font-semibold text-[var(--rw-nonfinite)]"
          title="This chart has NaN or infinite values, marked on the chart"
        >
          NaN/Inf
        </span>
        {card.perDevice && <span className="rounded-md bg-subtle px-1.5 py-px text-[0.625rem] font-medium text-muted">per GPU</span>}
        {unit && <span className="rounded-md bg-subtle px-1.5 py-px text-[0.625rem] font-medium text-muted">{unit}</span>}
        <CardDownload card={card} />
        <button
          type="button"
          aria-label={`Console lines around the hovered point of ${card.id}`}
          title="Console lines around the step you last pointed at"
          data-testid="card-logs"
          onClick={() => {
            const { selection } = store.getState();
            const at = controllerRef.current?.lastCursorX() ?? null;
            // the run of the line pointed at, else the card's first selected run
            const runId = at?.runId ?? [...card.runIds].find((id) => isRunSelected(selection, id));
            if (runId === undefined) return;
            if (at?.mode === "time") showLogsAround(runId, null, at.x);
            else showLogsAround(runId, at ? Math.max(0, Math.round(at.x)) : null);
          }}
          className="rounded-md px-1.5 py-px text-[0.625rem] font-semibold text-muted opacity-0 transition-opacity hover:bg-subtle hover:text-fg focus-visible:opacity-100 group-hover:opacity-100"
        >
          logs
        </button>
        <PinButton cardId={card.id} />
        <button
          type="button"
          aria-pressed={robust}
          aria-label={`Ignore outliers in the y range of ${card.id}`}
          title={robust ? "Outliers ignored: points beyond the range are marked on the edge. Click for the full range." : "Full y range. Click to ignore outliers."}
          onClick={() => toggleRobustRange(store, card.id)}
          data-testid="robust-toggle"
          className={`rounded-md px-1.5 py-px text-[0.625rem] font-semibold ${robust ? "bg-accent-soft text-accent" : "border border-line text-muted hover:bg-subtle hover:text-fg"}`}
        >
          {robust ? "clip" : "full"}
        </button>
        <button
          type="button"
          aria-pressed={log}
          aria-label={`Logarithmic y axis for ${card.id}`}
          title="Logarithmic y axis"
          onClick={() => toggleLogScale(store, card.id)}
          className={`rounded-md px-1.5 py-px text-[0.625rem] font-semibold transition-opacity ${
            log ? "bg-accent-soft text-accent" : "border border-line text-muted hover:bg-subtle hover:text-fg"
          }`}
        >
          log
        </button>
      </header>
      <div ref={latestRef} className="rw-latest-row px-3.5 pt-1" aria-label={`Latest values of ${card.id}`} />
      <div
        ref={plotRef}
        className="rw-plot mx-1 mb-1.5 mt-1 rounded-lg"
        style={{ height: height + 4 }}
        tabIndex={0}
        role="img"
        aria-label={`Chart of ${card.id}. Arrow keys pan, plus and minus zoom, 0 resets.`}
        onKeyDown={(e) => {
          if (controllerRef.current?.handleKey(e.key)) e.preventDefault();
        }}
      />
    </article>
  );
});
