import { useEffect, useRef } from "react";

import { useApp, useServices } from "../app/services";
import { colorForRun, PALETTE } from "../core/colors";
import { middleEllipsis } from "../core/format";
import { setRunColor } from "../store/actions";
import { colorOf, runLabel } from "../store/runsSlice";

export interface ColorMenuTarget {
  runId: string;
  x: number;
  y: number;
}

/**
 * Picks a run's colour (a badge's context menu): the palette, any colour, or back to the one
 * its id gives. The choice is kept in this browser (persistColors) and wins over the hash in
 * every view.
 */
export function RunColorMenu({ target, onClose }: { target: ColorMenuTarget; onClose: () => void }) {
  const { store } = useServices();
  const { runId } = target;
  const current = useApp((s) => colorOf(s, runId));
  const overridden = useApp((s) => s.runColors.has(runId));
  const name = useApp((s) => runLabel(s.runs.get(runId), runId));
  const ref = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const menu = ref.current;
    (menu?.querySelector<HTMLElement>("[aria-checked=true]") ?? menu?.querySelector<HTMLElement>("button"))?.focus();
    const away = (e: PointerEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) onClose();
    };
    const key = (e: KeyboardEvent) => {
      if (e.key === "Escape") onClose();
    };
    document.addEventListener("pointerdown", away, true);
    document.addEventListener("keydown", key);
    return () => {
      document.removeEventListener("pointerdown", away, true);
      document.removeEventListener("keydown", key);
    };
  }, [onClose]);

  const pick = (color: string | null) => {
    setRunColor(store, runId, color);
    onClose();
  };
  // Kept inside the window whichever badge it opened from.
  const left = Math.max(8, Math.min(target.x, window.innerWidth - 232));
  const top = Math.max(8, Math.min(target.y, window.innerHeight - 220));
  return (
    <div
      ref={ref}
      role="dialog"
      aria-label={`Colour of ${name}`}
      data-testid="run-color-menu"
      className="fixed z-50 w-56 rounded-xl border border-line bg-raised p-3 shadow-[0_12px_32px_rgb(0_0_0/0.25)]"
      style={{ left, top }}
    >
      <div className="mb-2 truncate text-xs font-semibold" title={name}>
        Colour of {middleEllipsis(name, 26)}
      </div>
      <div role="radiogroup" aria-label="Palette" className="grid grid-cols-8 gap-1.5">
        {PALETTE.map((color) => (
          <button
            key={color}
            type="button"
            role="radio"
            aria-checked={color === current}
            aria-label={color}
            data-color={color}
            onClick={() => pick(color)}
            className={`h-5 w-5 rounded-md ${color === current ? "ring-2 ring-fg ring-offset-1 ring-offset-raised" : ""}`}
            style={{ background: color }}
          />
        ))}
      </div>
      <div className="mt-3 flex items-center gap-2 text-xs">
        <label className="flex items-center gap-1.5 text-muted">
          Other
          <input
            type="color"
            value={current}
            onChange={(e) => setRunColor(store, runId, e.target.value)}
            data-testid="run-color-custom"
            className="h-6 w-8 cursor-pointer rounded border border-line bg-transparent"
          />
        </label>
        <div className="flex-1" />
        <button
          type="button"
          disabled={!overridden}
          onClick={() => pick(null)}
          data-testid="run-color-reset"
          title={`Back to the colour its id gives (${colorForRun(runId)})`}
          className="rounded-md px-2 py-1 font-medium text-muted hover:bg-subtle hover:text-fg disabled:opacity-40"
        >
          Reset
        </button>
      </div>
    </div>
  );
}
