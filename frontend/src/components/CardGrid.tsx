import { useMemo, useState } from "react";
import { useShallow } from "zustand/react/shallow";

import { useApp } from "../app/services";
import { cardIndexOf, visibleCards, type CardSpec } from "../store/selectors";
import { ChevronIcon } from "./icons";
import { MetricCard } from "./MetricCard";

function group(cards: readonly CardSpec[]): { section: string; cards: CardSpec[] }[] {
  const sections: { section: string; cards: CardSpec[] }[] = [];
  for (const card of cards) {
    const section = card.id.startsWith("agent.") ? "agent internals" : card.section;
    const last = sections[sections.length - 1];
    if (last && last.section === section) last.cards.push(card);
    else sections.push({ section, cards: [card] });
  }
  return sections;
}

/** The cards of one tab, in sections by name prefix; agent internals come last, folded. */
export function CardGrid({ tab, emptyText }: { tab: string; emptyText?: string }) {
  const { cards, kiosk } = useApp(
    useShallow((s) => ({ cards: visibleCards(cardIndexOf(s), tab, s.selection, s.panelFilter), kiosk: s.kiosk })),
  );
  const sections = useMemo(() => group(cards), [cards]);
  const [folded, setFolded] = useState<Record<string, boolean>>({ "agent internals": true });
  const height = kiosk ? 250 : 190;

  if (cards.length === 0) {
    return emptyText ? <p className="px-1 py-10 text-center text-sm text-muted">{emptyText}</p> : null;
  }
  const gridCols = kiosk ? "grid-cols-[repeat(auto-fill,minmax(min(100%,34rem),1fr))]" : "grid-cols-[repeat(auto-fill,minmax(min(100%,24rem),1fr))]";
  return (
    <div className="flex flex-col gap-5" data-testid="card-grid" data-tab={tab}>
      {sections.map(({ section, cards: list }, i) => {
        const isFolded = folded[section] === true;
        const showHeading = sections.length > 1 && section !== "";
        return (
          <section key={`${section}-${i}`} aria-label={section || "metrics"}>
            {showHeading && (
              <button
                type="button"
                aria-expanded={!isFolded}
                onClick={() => setFolded({ ...folded, [section]: !isFolded })}
                className="mb-2 flex items-center gap-1.5 rounded-md px-1 text-xs font-semibold uppercase tracking-wider text-muted hover:text-fg"
              >
                <ChevronIcon size={14} className={isFolded ? "-rotate-90" : ""} />
                {section}
                <span className="font-normal normal-case tracking-normal">{list.length}</span>
              </button>
            )}
            {!isFolded && (
              <div className={`grid gap-3 ${gridCols}`}>
                {list.map((card) => (
                  <MetricCard key={card.id} card={card} height={height} />
                ))}
              </div>
            )}
          </section>
        );
      })}
    </div>
  );
}
