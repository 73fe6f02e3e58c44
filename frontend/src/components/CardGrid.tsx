import { useMemo, useState } from "react";
import { useShallow } from "zustand/react/shallow";

import { useApp } from "../app/services";
import { AnalysisCard } from "../compare/AnalysisCard";
import { cardAnalysisOn } from "../compare/cardAnalysis";
import { useCompare } from "../compare/store";
import { cardLayout } from "../core/cardLayout";
import { constantCardKey } from "../store/constantCards";
import { cardIndexOf, hasSelectedRun, visibleCards, type CardSpec } from "../store/selectors";
import { ChevronIcon } from "./icons";
import { KioskGrid } from "./KioskGrid";
import { MetricCard } from "./MetricCard";
import { StatCard } from "./StatCard";
import { internalOnly, TabNotices } from "./TabNotices";
import { remPx, useBoxSize } from "./useBoxSize";

/** Card chrome above and below the plot on the wall (title, two legend rows, margins), in rem. */
const KIOSK_CHROME_REM = 7.2;

const PINNED = "pinned";

function group(cards: readonly CardSpec[], pinned: readonly string[]): { section: string; cards: CardSpec[] }[] {
  const sections: { section: string; cards: CardSpec[] }[] = [];
  const first = cards.filter((card) => pinned.includes(card.id));
  if (first.length > 0) sections.push({ section: PINNED, cards: first });
  for (const card of cards) {
    if (pinned.includes(card.id)) continue;
    const section = card.id.startsWith("agent.") ? "agent internals" : card.section;
    const last = sections[sections.length - 1];
    if (last && last.section === section) last.cards.push(card);
    else sections.push({ section, cards: [card] });
  }
  return sections;
}

/** The cards of one tab, in sections by name prefix; pinned cards first, agent internals last, folded. */
export function CardGrid({ tab, emptyText }: { tab: string; emptyText?: string }) {
  const { cards, kiosk, pinned, filter, unfiltered } = useApp(
    useShallow((s) => ({
      cards: visibleCards(cardIndexOf(s), tab, s.selection, s.panelFilter),
      kiosk: s.kiosk,
      pinned: s.pinnedCards,
      filter: s.panelFilter.trim(),
      // a number, not a second visibleCards() call (its one-slot memo would alternate)
      unfiltered: s.panelFilter.trim() === "" ? 0 : (cardIndexOf(s).byTab.get(tab) ?? []).filter((c) => hasSelectedRun(c, s.selection)).length,
    })),
  );
  const sections = useMemo(() => group(cards, pinned), [cards, pinned]);
  const analysis = useCompare(cardAnalysisOn);
  const constantKey = useApp((s) => constantCardKey(s, cards));
  const constant = useMemo(() => new Set(constantKey.split("\n")), [constantKey]);
  const [folded, setFolded] = useState<Record<string, boolean>>({ "agent internals": true });
  const [gridRef, box] = useBoxSize();

  if (cards.length === 0 && unfiltered > 0) {
    return (
      <p className="px-1 py-10 text-center text-sm text-muted" data-testid="grid-empty" data-reason="filter">
        No card of this tab matches “{filter}” ({unfiltered} without the filter).
      </p>
    );
  }
  if (cards.length === 0) {
    return emptyText ? <p className="px-1 py-10 text-center text-sm text-muted" data-testid="grid-empty">{emptyText}</p> : null;
  }
  if (kiosk) {
    const wall = cards.filter((card) => !card.id.startsWith("agent."));
    return (
      <div className="flex h-full min-h-0 flex-col" data-testid="card-grid" data-tab={tab}>
        <TabNotices cards={cards} />
        {wall.length > 0 && (
          <div className="min-h-0 flex-1">
            <KioskGrid
              items={wall}
              minWidthRem={22}
              minHeightRem={15}
              testId="kiosk-grid"
              itemKey={(card) => card.id}
              pinned={(card) => pinned.includes(card.id)}
              render={(card, size) =>
                constant.has(card.id) ? (
                  <StatCard card={card} height={size.height} />
                ) : (
                  <MetricCard card={card} boxHeight={size.height} height={Math.max(60, Math.floor(size.height - KIOSK_CHROME_REM * remPx()))} />
                )
              }
            />
          </div>
        )}
      </div>
    );
  }
  const layout = cardLayout(box.width, window.innerHeight, remPx());
  return (
    <div ref={gridRef} className="flex flex-col gap-5" data-testid="card-grid" data-tab={tab} data-cols={layout.cols}>
      <TabNotices cards={cards} />
      {sections.map(({ section, cards: list }, i) => {
        const isFolded = folded[section] === true;
        // a folded section always has its heading: the only way to unfold it
        const showHeading = (sections.length > 1 || internalOnly(list)) && section !== "";
        const stats = list.filter((card) => constant.has(card.id));
        const charts = stats.length === 0 ? list : list.filter((card) => !constant.has(card.id));
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
            {!isFolded && stats.length > 0 && (
              <div className="mb-3 flex flex-wrap gap-3" data-testid="stat-cards">
                {stats.map((card) => <StatCard key={card.id} card={card} />)}
              </div>
            )}
            {!isFolded && charts.length > 0 && (
              <div className="grid gap-3" style={{ gridTemplateColumns: `repeat(${layout.cols}, minmax(0, 1fr))` }}>
                {box.width > 0 &&
                  charts.map((card) =>
                    analysis ? (
                      <AnalysisCard key={card.id} card={card} height={layout.plotHeight} />
                    ) : (
                      <MetricCard key={card.id} card={card} height={layout.plotHeight} />
                    ),
                  )}
              </div>
            )}
          </section>
        );
      })}
    </div>
  );
}
