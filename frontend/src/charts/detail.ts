import { fetchMetricRange } from "../api/http";
import { seriesKey } from "../core/metrics";
import { decodeValues } from "../core/values";
import { cardIndexOf } from "../store/selectors";
import type { AppStore } from "../store/store";
import { isRunSelected, type XRange } from "../store/uiSlice";
import type { DetailData } from "./cardData";

/**
 * Full-resolution points for a zoomed range. The stream carries at most max_points per series
 * (decimated); when the user zooms, the on-screen cards ask GET /metrics/{run_id} for the
 * range, and the answer replaces the cached points inside it until the zoom is reset.
 */
export class DetailStore {
  data = new Map<string, DetailData>();
  rev = 0;
  onChange: (() => void) | null = null;

  clear(): void {
    if (this.data.size === 0) return;
    this.data = new Map();
    this.bump();
  }

  set(key: string, detail: DetailData): void {
    this.data.set(key, detail);
    this.bump();
  }

  private bump(): void {
    this.rev++;
    this.onChange?.();
  }
}

const SETTLE_MS = 300;
const CONCURRENCY = 4;
const MAX_REQUESTS = 120;

export class DetailFetcher {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private abort: AbortController | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly store: AppStore,
    private readonly detail: DetailStore,
    /** The ids of the cards on screen now. */
    private readonly visibleCards: () => string[],
  ) {}

  start(): void {
    this.unsubscribe = this.store.subscribe((state, prev) => {
      if (state.xRange === prev.xRange && state.xMode === prev.xMode && state.selection === prev.selection && state.tab === prev.tab) return;
      if (this.timer) clearTimeout(this.timer);
      this.abort?.abort();
      if (state.xRange === null || state.xMode !== prev.xMode) this.detail.clear();
      if (state.xRange !== null) this.timer = setTimeout(() => void this.fetchRange(state.xRange as XRange), SETTLE_MS);
    });
  }

  stop(): void {
    this.unsubscribe?.();
    if (this.timer) clearTimeout(this.timer);
    this.abort?.abort();
  }

  private async fetchRange(range: XRange): Promise<void> {
    const abort = new AbortController();
    this.abort = abort;
    const state = this.store.getState();
    const index = cardIndexOf(state);
    const xMode = state.xMode;
    const wanted = new Map<string, { runId: string; metric: string }>();
    for (const cardId of this.visibleCards()) {
      const card = index.cards.get(cardId);
      if (!card) continue;
      for (const key of card.seriesKeys) {
        const s = state.series.get(key);
        if (!s || !isRunSelected(state.selection, s.runId)) continue;
        wanted.set(`${s.runId}\u0000${s.metric}`, { runId: s.runId, metric: s.metric });
      }
    }
    const queue = [...wanted.values()].slice(0, MAX_REQUESTS);
    const worker = async () => {
      for (let job = queue.shift(); job !== undefined && !abort.signal.aborted; job = queue.shift()) {
        try {
          const answer = await fetchMetricRange(
            {
              runId: job.runId,
              metric: job.metric,
              maxPoints: 2000,
              ...(xMode === "step" ? { fromStep: range.min, toStep: range.max } : { fromTime: range.min, toTime: range.max }),
            },
            abort.signal,
          );
          if (abort.signal.aborted || this.store.getState().xRange !== state.xRange) return;
          for (const wire of answer.series) {
            const n = Math.min(wire.step.length, wire.time.length, wire.value.length);
            this.detail.set(seriesKey(wire), {
              xMode,
              from: range.min,
              to: range.max,
              step: wire.step.slice(0, n),
              time: wire.time.slice(0, n),
              value: decodeValues(wire.value.slice(0, n)),
            });
          }
        } catch {
          // Aborted, or the range could not be read: the cached (decimated) points stay.
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  }
}
