import { useApp } from "../app/services";
import { xModeOf } from "../charts/controller";
import type { CardSpec } from "../store/selectors";
import { isRunSelected } from "../store/uiSlice";
import { cardExportUrl } from "./cardAnalysis";

/** A card's download menu: the raw points of its shown runs in the visible window. */
export function CardDownload({ card, runIds }: { card: CardSpec; runIds?: readonly string[] }) {
  const shown = useApp((s) => (runIds ? null : [...card.runIds].filter((id) => isRunSelected(s.selection, id)).sort().join(",")));
  const range = useApp((s) => s.xRange);
  const xMode = useApp((s) => xModeOf(card.id, s.xMode));
  const pageMode = useApp((s) => s.xMode);
  const kiosk = useApp((s) => s.kiosk);
  const ids = runIds ?? (shown ? shown.split(",") : []);
  // A zoom drawn in the page's x unit; a system card on a step page has no step window.
  const window = xMode === pageMode ? range : null;
  if (ids.length === 0 || kiosk) return null; // nobody downloads from a wall
  const link = "block rounded-md px-2 py-1 text-xs hover:bg-subtle";
  return (
    <details className="relative" data-testid="card-download">
      <summary
        className="cursor-pointer list-none rounded-md px-1.5 py-px text-[0.625rem] font-semibold text-muted hover:bg-subtle hover:text-fg"
        aria-label={`Download the raw points of ${card.id}`}
        title="Download the raw points of the shown runs (the zoomed window)"
      >
        ⤓
      </summary>
      <div className="absolute right-0 z-20 mt-1 w-40 rounded-lg border border-line bg-raised p-1 shadow-lg">
        <a className={link} href={cardExportUrl(ids, card.id, "csv", window, xMode)} download data-format="csv">
          CSV ({ids.length} run{ids.length > 1 ? "s" : ""})
        </a>
        <a className={link} href={cardExportUrl(ids, card.id, "parquet", window, xMode)} download data-format="parquet">
          Parquet
        </a>
      </div>
    </details>
  );
}
