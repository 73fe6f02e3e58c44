import { useApp, useServices } from "../app/services";
import { togglePinnedCard } from "../store/actions";

/** Pins a card: first in its tab, and on every page of the wall (kept in this browser, or `pin=`). */
export function PinButton({ cardId }: { cardId: string }) {
  const { store } = useServices();
  const pinned = useApp((s) => s.pinnedCards.includes(cardId));
  return (
    <button
      type="button"
      aria-pressed={pinned}
      aria-label={`Pin ${cardId}`}
      title={pinned ? "Pinned: first in this tab and on every page of the wall. Click to unpin." : "Pin: first in this tab and on every page of the wall"}
      onClick={() => togglePinnedCard(store, cardId)}
      data-testid="card-pin"
      className={`rounded-md px-1.5 py-px text-[0.625rem] font-semibold ${
        pinned ? "bg-accent-soft text-accent" : "text-muted opacity-0 hover:bg-subtle hover:text-fg focus-visible:opacity-100 group-hover:opacity-100"
      }`}
    >
      {pinned ? "pinned" : "pin"}
    </button>
  );
}
