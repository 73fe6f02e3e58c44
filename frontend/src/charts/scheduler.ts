import { lowerBound } from "../core/align";
import { TIMELINE_MS } from "../core/url";
import type { PerfLog } from "../perf";
import { cardIndexOf, type CardIndex } from "../store/selectors";
import type { AppState, AppStore } from "../store/store";
import { isRunSelected, type XRange } from "../store/uiSlice";
import type { ChartController, FrameContext } from "./controller";
import type { DetailStore } from "./detail";
import { readChartTheme, type ChartTheme } from "./theme";

/** Chart work per animation frame before the rest waits for the next frame. */
const FRAME_BUDGET_MS = 10;

/**
 * Coalesces store changes into at most one chart update per animation frame. It subscribes to
 * the store transiently (no React render), and in the frame brings every on-screen chart up to
 * date with its data and the shared x range.
 */
export class ChartScheduler {
  private readonly controllers = new Set<ChartController>();
  private frameRequested = false;
  private unsubscribe: (() => void) | null = null;
  private ticker: ReturnType<typeof setInterval> | null = null;
  private theme: ChartTheme | null = null;
  private themeDirty = true;

  constructor(
    private readonly store: AppStore,
    private readonly detail: DetailStore,
    private readonly perf: PerfLog | null = null,
  ) {}

  start(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = this.store.subscribe((state, prev) => {
      if (state.connection !== prev.connection && state.dataRev === prev.dataRev && state.runs === prev.runs) return;
      if (state.kiosk !== prev.kiosk || state.theme !== prev.theme) this.themeDirty = true;
      this.requestFrame();
    });
    this.detail.onChange = () => this.requestFrame();
    // Sliding windows (1h ... 7d) move with the clock even when no data arrives.
    this.ticker = setInterval(() => {
      if (this.store.getState().timeline !== "all") this.requestFrame();
    }, 1000);
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
  }

  /** The theme class on <html> changed: charts must be rebuilt with the new colours. */
  themeChanged(): void {
    this.themeDirty = true;
    this.requestFrame();
  }

  register(controller: ChartController): void {
    this.controllers.add(controller);
  }

  unregister(controller: ChartController): void {
    this.controllers.delete(controller);
  }

  requestFrame = (): void => {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(this.frame);
  };

  /**
   * Brings on-screen charts up to date. Within one frame it stops once `budgetMs` is spent (at
   * least one chart is always drawn) and continues in the next frame from where it stopped, so
   * a burst of work never blocks input for more than a frame. Returns the charts drawn.
   */
  flush(budgetMs = Number.POSITIVE_INFINITY): number {
    const started = performance.now();
    const state = this.store.getState();
    const index = cardIndexOf(state);
    if (this.themeDirty || this.theme === null) {
      this.theme = readChartTheme(state.kiosk);
      this.themeDirty = false;
    }
    const now = Date.now();
    const window = TIMELINE_MS[state.timeline];
    const cutoffTime = window === null ? null : now - window;
    const ctx: FrameContext = {
      state,
      index,
      theme: this.theme,
      xRange: state.xRange ?? this.cachedExtent(state, index, cutoffTime, now),
      timeRange: state.xMode === "time" ? (state.xRange ?? this.cachedExtent(state, index, cutoffTime, now)) : this.timeExtent(state, index, cutoffTime, now),
      cutoffTime,
      detail: this.detail.data,
      detailRev: this.detail.rev,
      domWrites: [],
    };
    const domWrites = ctx.domWrites as (() => void)[];
    const writeDom = () => {
      for (const write of domWrites) write();
      domWrites.length = 0;
    };
    let drawn = 0;
    let unfinished = false;
    let screenDone = true;
    let marked = false;
    // On-screen charts first: a message counts as painted once they are drawn; the charts
    // just off screen (kept ready for scrolling) follow within the budget or next frame.
    const list = [...this.controllers].sort((a, b) => Number(b.onScreen) - Number(a.onScreen));
    for (const controller of list) {
      if (!controller.visible) continue;
      if (!controller.onScreen && !marked) {
        writeDom();
        this.markDrawn(started, drawn);
        marked = true;
      }
      if (drawn > 0 && performance.now() - started > budgetMs) {
        unfinished = true;
        if (controller.onScreen) screenDone = false;
        break;
      }
      // Off-screen (near) charts are drawn once so scrolling finds them ready; after that
      // they wait until they are on screen again, and new data costs them nothing.
      if (!controller.onScreen && controller.drawn) continue;
      if (controller.update(ctx)) drawn++;
    }
    writeDom();
    if (unfinished) this.requestFrame();
    if (!marked) {
      if (screenDone) this.markDrawn(started, drawn);
      else this.perf?.partial(started, performance.now(), drawn);
    }
    this.perf?.frame(started, performance.now(), drawn);
    return drawn;
  }

  private markDrawn(started: number, drawn: number): void {
    if (!this.perf) return;
    const done = this.perf.drawn(started, performance.now(), drawn);
    if (done.length > 0) requestAnimationFrame((t) => this.perf?.framed(done, Math.max(t, performance.now())));
  }

  private frame = (): void => {
    this.frameRequested = false;
    this.flush(FRAME_BUDGET_MS);
  };

  private extentMemo: { key: string; range: XRange | null } | null = null;
  private timeMemo: { key: string; range: XRange | null } | null = null;

  /** The wall-time extent of the tab's system cards (shown on wall time in step mode). */
  private timeExtent(state: AppState, index: CardIndex, cutoffTime: number | null, now: number): XRange | null {
    if (cutoffTime !== null) return { min: cutoffTime, max: now };
    const key = `${state.dataRev}|${state.structureRev}|${state.tab}|${state.selection.mode}:${state.selection.ids.join(",")}`;
    if (this.timeMemo && this.timeMemo.key === key) return this.timeMemo.range;
    const cards = (index.byTab.get(state.tab) ?? []).filter((card) => card.id.startsWith("sys."));
    const range = this.extent({ ...state, xMode: "time" }, { cards: index.cards, byTab: new Map([[state.tab, cards]]) }, null, now);
    this.timeMemo = { key, range };
    return range;
  }

  private cachedExtent(state: AppState, index: CardIndex, cutoffTime: number | null, now: number): XRange | null {
    if (state.xMode === "time" && cutoffTime !== null) return { min: cutoffTime, max: now };
    const key = `${state.dataRev}|${state.structureRev}|${state.tab}|${state.xMode}|${cutoffTime}`;
    const memo = this.extentMemo;
    if (memo && memo.key === key && this.extentSelection === state.selection) return memo.range;
    const range = this.extent(state, index, cutoffTime, now);
    this.extentMemo = { key, range };
    this.extentSelection = state.selection;
    return range;
  }

  private extentSelection: unknown = null;

  /**
   * The x extent shared by every card of the tab: in time mode with a window, the window
   * itself (it slides with the clock); otherwise the span of the selected runs' points.
   */
  private extent(state: AppState, index: CardIndex, cutoffTime: number | null, now: number): XRange | null {
    if (state.xMode === "time" && cutoffTime !== null) return { min: cutoffTime, max: now };
    const cards = index.byTab.get(state.tab) ?? [];
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const card of cards) {
      for (const key of card.seriesKeys) {
        const s = state.series.get(key);
        if (!s || s.step.length === 0 || !isRunSelected(state.selection, s.runId)) continue;
        const start = cutoffTime === null ? 0 : lowerBound(s.time, cutoffTime);
        if (start >= s.step.length) continue;
        const x = state.xMode === "step" ? s.step : s.time;
        const first = x[start] as number;
        const last = x[x.length - 1] as number;
        if (first < min) min = first;
        if (last > max) max = last;
      }
    }
    if (!Number.isFinite(min) || !Number.isFinite(max)) return null;
    if (max === min) {
      const pad = state.xMode === "step" ? 1 : 30_000;
      return { min: min - pad, max: max + pad };
    }
    return { min, max };
  }
}
