import { memo } from "react";
import { useShallow } from "zustand/react/shallow";

import { useApp } from "../app/services";
import { linesForCard } from "../charts/cardData";
import { LEGEND_LABEL_CHARS } from "../charts/legend";
import { formatValue, middleEllipsis, unitLabel } from "../core/format";
import type { CardSpec } from "../store/selectors";

/** A card whose series all hold one value (store/constantCards): that value per line, no flat chart. */
export const StatCard = memo(function StatCard({ card, height }: { card: CardSpec; height?: number }) {
  const entries = useApp(
    useShallow((s) =>
      linesForCard(card, s, "device").map((line) => {
        const values = line.series[0]?.value ?? [];
        const value = values.length > 0 ? formatValue(values[values.length - 1] as number, card.unitKind, card.unit) : "—";
        return `${line.color}\t${line.label}\t${value}`;
      }),
    ),
  );
  const unit = unitLabel(card.unitKind, card.unit);
  return (
    <article
      data-testid="stat-card"
      data-metric={card.id}
      className="flex min-w-[14rem] max-w-full flex-col gap-1 overflow-hidden rounded-xl border border-line bg-card px-3.5 py-3"
      style={height !== undefined ? { height } : undefined}
      title="Every point of these series has the same value: shown as a number rather than a flat line"
    >
      <header className="flex items-center gap-2">
        <h3 className="min-w-0 flex-1 truncate text-[0.8125rem] font-semibold tracking-tight" title={card.id}>
          {card.id}
        </h3>
        <span className="rounded-md bg-subtle px-1.5 py-px text-[0.625rem] font-medium text-muted">constant</span>
        {unit && <span className="rounded-md bg-subtle px-1.5 py-px text-[0.625rem] font-medium text-muted">{unit}</span>}
      </header>
      <ul className="flex flex-col gap-0.5 overflow-y-auto">
        {entries.map((entry) => {
          const [color, label, value] = entry.split("\t") as [string, string, string];
          return (
            <li key={entry} className="flex items-center gap-2 text-sm" title={label}>
              <span className="rw-swatch" style={{ background: color }} />
              <span className="min-w-0 flex-1 truncate text-muted">{middleEllipsis(label, LEGEND_LABEL_CHARS)}</span>
              <span className="rw-stat-value font-semibold tabular-nums">{value}</span>
            </li>
          );
        })}
      </ul>
    </article>
  );
});
