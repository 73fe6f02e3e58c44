import uPlot from "uplot";

import { bucketWidth, DecimationCache } from "../core/decimate";
import { formatStep, formatTick, formatTimeTicks, formatValue, middleEllipsis } from "../core/format";
import type { XMode } from "../core/url";
import { setXRange } from "../store/actions";
import type { CardIndex, CardSpec } from "../store/selectors";
import type { AppState, AppStore } from "../store/store";
import type { XRange } from "../store/uiSlice";
import { buildCardData, linesForCard, type CardData, type DetailData, type LineSpec } from "./cardData";
import { isLossLike, robustRange } from "../core/robustRange";
import { drawEdgeMarkers } from "./edgeMarkers";
import { alertMarks, drawAlertMarks, type AlertMark } from "./alertMarkers";
import { drawNonFinite, type MarkerSet } from "./markers";
import { linePaths } from "./paths";
import type { ChartTheme } from "./theme";
import { timeIncrement } from "./timeAxis";
import { Tooltip } from "./tooltip";
import { kioskLabelChars, kioskLegendCapacity, LEGEND_LABEL_CHARS, legendSplit, moreEntry } from "./legend";

/**
 * One card's chart, outside React. The uPlot instance is created when the card scrolls into
 * view and destroyed when it leaves (only on-screen charts cost anything), re-created only when
 * its structure changes (lines, x mode, theme, smoothing on/off), and otherwise fed with
 * setData + setScale in one synchronous batch from the scheduler's animation frame.
 */

export const SYNC_KEY = "runwatch";

/** Loss-like cards ignore outliers unless toggled; other cards only when toggled. */
export function robustByDefault(cardId: string): boolean {
  return isLossLike(cardId);
}

const robustMemo = new WeakMap<uPlot.AlignedData, uPlot.Range.MinMax>();

/** uPlot range callback: the robust range of the data, memoised per data array. */
function robustYRange(u: uPlot, dataMin: number | null, dataMax: number | null): uPlot.Range.MinMax {
  const cached = robustMemo.get(u.data);
  if (cached) return cached;
  const range = robustRange(u.data.slice(1) as ArrayLike<number | null>[]);
  const result: uPlot.Range.MinMax = range ? [range.min, range.max] : [dataMin ?? 0, dataMax ?? 1];
  robustMemo.set(u.data, result);
  return result;
}

/** On a log axis only powers of ten get a grid line (the minor ones make a barcode). */
function powerOfTenOrNull(v: number): number | null {
  if (v == null || v <= 0) return null;
  const e = Math.log10(v);
  return Math.abs(e - Math.round(e)) < 1e-9 ? v : null;
}

/** Tick steps for byte axes: 1, 2, 4 ... 512 times a power of 1024 (so 8 GiB, not 9.31 GiB). */
const BYTE_INCREMENTS: number[] = [];
for (let k = 0; k < 6; k++) for (let m = 1; m < 1024; m *= 2) BYTE_INCREMENTS.push(m * 1024 ** k);

export interface FrameContext {
  state: AppState;
  index: CardIndex;
  theme: ChartTheme;
  /** The x range every chart shows: the zoom, or the extent of the tab's data. */
  xRange: XRange | null;
  /** The same in wall time, for system cards when the x axis is steps (see xModeOf). */
  timeRange: XRange | null;
  cutoffTime: number | null;
  detail: ReadonlyMap<string, DetailData>;
  detailRev: number;
  /**
   * When given, the cards' DOM writes (data-* attributes, latest-value chips) are queued here
   * and run by the scheduler once the frame's charts have drawn (still in the same frame and
   * before it reports them drawn): the DOM is touched in one batch rather than between canvas
   * draws, and the frame's chart budget is checked against chart work only.
   */
  domWrites?: (() => void)[];
}

/**
 * System metrics are sampled on the wall clock, not per step (a paused or evaluating run piles
 * them onto one step), so their cards always use wall time.
 */
export function xModeOf(cardId: string, xMode: XMode): XMode {
  return cardId.startsWith("sys.") ? "time" : xMode;
}

/** Same ids, colours and dashes, in the same order (what structKey says about the lines). */
function sameLineSpecs(a: readonly LineSpec[], b: readonly LineSpec[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as LineSpec;
    const y = b[i] as LineSpec;
    if (x.id !== y.id || x.color !== y.color || x.dash.length !== y.dash.length) return false;
    for (let j = 0; j < x.dash.length; j++) if (x.dash[j] !== y.dash[j]) return false;
  }
  return true;
}

function sameRange(a: XRange | null, b: XRange | null): boolean {
  return a === b || (a !== null && b !== null && a.min === b.min && a.max === b.max);
}

export interface CardElements {
  root: HTMLElement;
  plot: HTMLElement;
  latest: HTMLElement;
}

export class ChartController {
  /** Near the viewport: the chart exists. */
  visible = false;
  /** In the viewport: redrawn first. */
  onScreen = false;
  private u: uPlot | null = null;
  private structKey = "";
  private dataKey = "";
  private latestValues: { value: HTMLElement; textNode: Text; line: number; text: string; finite: boolean | null }[] = [];
  private lines: LineSpec[] = [];
  private data: CardData | null = null;
  private card: CardSpec | null = null;
  private xMode: XMode = "step";
  private markerSets: MarkerSet[] = [];
  private alertMarks: AlertMark[] = [];
  private tooltip: Tooltip | null = null;
  private resize: ResizeObserver | null = null;
  private hovering = false;
  private lastCursor: { x: number; mode: XMode; runId: string | null } | null = null;
  private theme: ChartTheme | null = null;
  private panStart: { x: number; range: XRange } | null = null;
  private decimation = new DecimationCache();
  private plotWidth = 300;
  /** What the chart was last brought up to date with (see upToDate). */
  private lastFrame: { ctx: FrameContext; plotWidth: number } | null = null;
  /** The card's data-* attributes as last written (the element is this controller's for life). */
  private readonly attrs = new Map<string, string>();
  private runsKey = "";
  /** The lines' part of structKey, and the lines it was built from. */
  private linesKey = "";
  private linesKeyOf: readonly LineSpec[] = [];
  private runsAttr = "";
  /** The chips' lines (id, and whether it had a value) as last built. */
  private latestShape: { id: string; color: string; empty: boolean }[] = [];
  private latestCapacity = Infinity;

  constructor(
    readonly cardId: string,
    private readonly el: CardElements,
    private readonly store: AppStore,
    private readonly height: number,
    private readonly requestFrame: () => void,
  ) {}

  setVisible(visible: boolean): void {
    if (visible === this.visible) return;
    this.visible = visible;
    if (!visible) this.teardown();
    this.requestFrame();
  }

  /** Has a chart with data: off-screen charts are drawn once, then kept until they come back. */
  get drawn(): boolean {
    return this.u !== null && this.data !== null;
  }

  setOnScreen(onScreen: boolean): void {
    this.onScreen = onScreen;
    if (onScreen) this.requestFrame();
  }

  /**
   * Already brought up to date with this very store state, theme, ranges, detail and width
   * (e.g. the next frame of a flush that ran out of budget): nothing can have changed.
   */
  private upToDate(ctx: FrameContext): boolean {
    const last = this.lastFrame;
    if (last === null || this.u === null || last.plotWidth !== this.plotWidth) return false;
    const prev = last.ctx;
    return (
      prev.state === ctx.state &&
      prev.index === ctx.index &&
      prev.theme === ctx.theme &&
      prev.cutoffTime === ctx.cutoffTime &&
      prev.detail === ctx.detail &&
      prev.detailRev === ctx.detailRev &&
      sameRange(prev.xRange, ctx.xRange) &&
      sameRange(prev.timeRange, ctx.timeRange)
    );
  }

  /** Brings the chart up to date; returns true when it drew. */
  update(ctx: FrameContext): boolean {
    const card = ctx.index.cards.get(this.cardId);
    if (!card || !this.visible) return false;
    if (this.upToDate(ctx)) return false;
    this.card = card;
    const { state } = ctx;
    const lines = linesForCard(card, state, state.gpuView);
    const xMode = xModeOf(card.id, state.xMode);
    const smoothing = state.smoothing > 0;
    const log = state.logScale.includes(this.cardId);
    const robust = !log && robustByDefault(this.cardId) !== state.rangeToggled.includes(this.cardId);
    if (!sameLineSpecs(this.linesKeyOf, lines)) {
      this.linesKey = lines.map((l) => `${l.id}/${l.color}/${l.dash.join(",")}`).join(";");
      this.linesKeyOf = lines;
    }
    const structKey = [
      this.linesKey,
      xMode,
      ctx.theme.key,
      smoothing,
      log,
      robust,
      this.height,
    ].join("|");
    let drew = false;
    if (this.u === null || structKey !== this.structKey) {
      this.teardown();
      this.lines = lines;
      this.xMode = xMode;
      this.theme = ctx.theme;
      this.structKey = structKey;
      this.plotWidth = Math.max(120, Math.floor(this.el.plot.clientWidth));
      this.u = this.create(card, lines, this.plotWidth, ctx.theme, smoothing, log, robust);
      this.setAttr("robust", robust ? "1" : "0");
      this.dataKey = "";
    }
    this.lines = lines;
    let revs = "";
    for (const line of lines) for (const s of line.series) revs += `${s.rev},`;
    const u = this.u;
    const range = xMode === state.xMode ? ctx.xRange : ctx.timeRange;
    // Plot area ≈ the card's width less the y axis; decimation needs no more precision.
    const pixels = Math.max(50, this.plotWidth - 60);
    // About one bucket (two points) per two pixels: the min/max pairs keep every spike.
    const bucket = range === null ? 0 : bucketWidth(range.max - range.min, pixels / 2, 1);
    const dataKey = `${revs}|${ctx.cutoffTime}|${state.smoothing}|${state.gpuView}|${ctx.detailRev}|${bucket}|${state.alertsRev}`;
    const scale = u.scales.x;
    const rangeChanged = range !== null && (scale?.min !== range.min || scale?.max !== range.max);
    if (dataKey !== this.dataKey || rangeChanged) {
      const rebuild = dataKey !== this.dataKey;
      if (rebuild) {
        this.data = buildCardData(lines, {
          xMode,
          cutoffTime: ctx.cutoffTime,
          smoothing: state.smoothing,
          gpuView: state.gpuView,
          detail: ctx.detail,
          bucket,
          decimateAbove: 2 * pixels,
          decimation: this.decimation,
        });
        this.decimation.sweep();
        this.dataKey = dataKey;
        this.alertMarks = alertMarks(lines, state.alerts, xMode);
        this.markerSets = lines.map((line, i) => {
          const column = (this.data as CardData).rawColumn[i] as number;
          const nf = (this.data as CardData).aligned.nonFinite[column] ?? { idx: [], value: [] };
          return { column: column + 1, color: line.color, idx: nf.idx, value: nf.value };
        });
      }
      const data = this.data as CardData;
      if (rebuild) {
        // A line without non-finite points has no breaks to draw: skip uPlot's gap clipping.
        data.rawColumn.forEach((col, i) => {
          const series = u.series[col + 1];
          if (series) series.spanGaps = (data.aligned.nonFinite[col]?.idx.length ?? 0) === 0;
          const smooth = data.smoothColumn[i];
          const smoothSeries = smooth == null ? undefined : u.series[smooth + 1];
          if (smoothSeries) smoothSeries.spanGaps = series?.spanGaps ?? false;
        });
      }
      u.batch(() => {
        if (rebuild) u.setData([data.aligned.x, ...data.aligned.ys] as uPlot.AlignedData, range === null);
        if (range !== null) u.setScale("x", { min: range.min, max: range.max });
      });
      drew = true;
    }
    const drewData = drew ? this.data : null;
    const write = () => {
      if (drewData !== null) this.writeAttributes(lines, drewData, u);
      this.writeLatest(lines, card);
    };
    if (ctx.domWrites) ctx.domWrites.push(write);
    else write();
    this.lastFrame = { ctx, plotWidth: this.plotWidth };
    return drew;
  }

  destroy(): void {
    this.teardown();
    this.visible = false;
  }

  private teardown(): void {
    this.resize?.disconnect();
    this.resize = null;
    this.tooltip?.destroy();
    this.tooltip = null;
    if (this.u !== null) {
      this.u.destroy();
      this.u = null;
    }
    this.structKey = "";
    this.dataKey = "";
    this.lastFrame = null;
    this.hovering = false;
    this.decimation = new DecimationCache();
  }

  private create(card: CardSpec, lines: readonly LineSpec[], width: number, theme: ChartTheme, smoothing: boolean, log: boolean, robust: boolean): uPlot {
    const kiosk = this.store.getState().kiosk;
    const k = theme.scale;
    const lineWidth = kiosk ? 2 * k : 1;
    const series: uPlot.Series[] = [{ label: this.xMode }];
    for (const line of lines) {
      series.push({
        label: line.label,
        stroke: smoothing ? `${line.color}40` : line.color,
        width: smoothing ? 1 : lineWidth,
        dash: line.dash,
        spanGaps: false,
        paths: linePaths,
        points: smoothing ? { show: false } : { size: kiosk ? 6 * k : 4, fill: line.color, stroke: line.color },
      });
      if (smoothing) {
        series.push({ label: `${line.label} (smoothed)`, stroke: line.color, width: lineWidth, dash: line.dash, paths: linePaths, points: { show: false } });
      }
    }
    const axisFont = theme.font;
    const opts: uPlot.Options = {
      width,
      height: this.height,
      ms: 1,
      legend: { show: false },
      padding: [10, 12, 0, 0],
      scales: {
        x: { time: this.xMode === "time", auto: false },
        y: log ? { auto: true, distr: 3, log: 10 } : robust ? { auto: true, range: robustYRange } : { auto: true },
      },
      series,
      axes: [
        {
          stroke: theme.axis,
          font: axisFont,
          grid: { stroke: theme.grid, width: 1 },
          ticks: { stroke: theme.grid, width: 1, size: 4 },
          size: kiosk ? 34 * k : 26,
          // wall time: the step is chosen for the card's width and its labels (timeAxis.ts)
          space: this.xMode === "time" ? 1 : kiosk ? 80 * k : 50,
          ...(this.xMode === "time"
            ? { incrs: (_u: uPlot, _i: number, min: number, max: number, dim: number) => [timeIncrement(max - min, dim, kiosk ? 8.6 * k : 6.4, kiosk ? 24 * k : 14)] }
            : {}),
          values:
            this.xMode === "step"
              ? (_u: uPlot, splits: number[]) => splits.map((v) => (v == null ? "" : formatStep(v, true)))
              : (_u: uPlot, splits: number[], _axis: number, _space: number, incr: number) => {
                  this.setAttr("xTicks", String(splits.length));
                  return formatTimeTicks(splits, incr);
                },
        },
        {
          stroke: theme.axis,
          font: axisFont,
          grid: log
            ? { stroke: theme.grid, width: 1, filter: (_u: uPlot, splits: number[]) => splits.map(powerOfTenOrNull) }
            : { stroke: theme.grid, width: 1 },
          ticks: { show: false },
          // the wall's labels grow with the screen: so does the room between them (uPlot's 30 px packed them)
          ...(kiosk ? { space: 32 * k } : {}),
          // A log scale leaves some splits null (ticks it does not label).
          values: (_u: uPlot, splits: number[]) => splits.map((v) => (v == null ? "" : formatTick(v, card.unitKind))),
          ...(card.unitKind === "bytes" || card.unitKind === "bytes_per_s" ? { incrs: BYTE_INCREMENTS } : {}),
          size: (_u: uPlot, values: string[] | null) => {
            const longest = values ? Math.max(...values.map((v) => v.length)) : 4;
            return Math.ceil(longest * (kiosk ? 8.6 * k : 6.4) + 14);
          },
        },
      ],
      cursor: {
        sync: { key: `${SYNC_KEY}-${this.xMode}`, setSeries: false },
        drag: { x: true, y: false, setScale: false },
        points: { size: kiosk ? 9 * k : 6 },
        bind: {
          dblclick: () => () => {
            this.zoomTo(null);
            return null;
          },
          mousedown: (_u, _t, handler) => (e: MouseEvent) => {
            if (e.shiftKey && e.button === 0) {
              this.startPan(e);
              return null;
            }
            return handler(e);
          },
        },
      },
      hooks: {
        setSelect: [(u) => this.onSelect(u)],
        draw: [
          (u) => {
            if (!this.theme) return;
            drawNonFinite(u, this.markerSets, this.theme);
            drawAlertMarks(u, this.alertMarks, this.theme);
          },
          (u) => {
            if (robust) this.setAttr("clipped", String(drawEdgeMarkers(u, theme.scale)));
          },
        ],
        setCursor: [(u) => this.onCursor(u)],
      },
    };
    const u = new uPlot(opts, [[]], this.el.plot);
    this.tooltip = new Tooltip(this.el.plot);
    u.over.addEventListener("mouseenter", () => (this.hovering = true));
    u.over.addEventListener("mouseleave", () => {
      this.hovering = false;
      this.tooltip?.hide();
    });
    u.over.addEventListener("wheel", (e) => this.onWheel(e), { passive: false });
    this.resize = new ResizeObserver(() => {
      const w = Math.floor(this.el.plot.clientWidth);
      if (this.u && w > 0 && Math.abs(w - this.u.width) > 1) {
        this.plotWidth = w;
        this.u.setSize({ width: w, height: this.height });
        this.requestFrame();
      }
    });
    this.resize.observe(this.el.plot);
    return u;
  }

  /** Where the pointer last was, for "logs here": the x (a step, or epoch ms on a time axis)
   * and the run of the line nearest to it. */
  lastCursorX(): { x: number; mode: XMode; runId: string | null } | null {
    return this.lastCursor;
  }

  private nearestRun(u: uPlot): string | null {
    const idx = u.cursor.idx;
    const top = u.cursor.top ?? -1;
    if (idx === null || idx === undefined || top < 0 || !this.data) return null;
    let best: string | null = null;
    let distance = Infinity;
    this.lines.forEach((line, i) => {
      const column = this.data?.rawColumn[i];
      const y = column === undefined ? undefined : this.data?.aligned.ys[column]?.[idx];
      if (y === null || y === undefined || !Number.isFinite(y)) return;
      const d = Math.abs(u.valToPos(y, "y") - top);
      if (d < distance) {
        distance = d;
        best = line.runId;
      }
    });
    return best;
  }

  private onCursor(u: uPlot): void {
    if (this.hovering && u.cursor.left !== undefined && u.cursor.left >= 0) {
      this.lastCursor = { x: u.posToVal(u.cursor.left, "x"), mode: this.xMode, runId: this.nearestRun(u) };
    }
    if (!this.hovering || !this.tooltip || !this.data || !this.card) return;
    this.tooltip.show(u, this.lines, this.data, this.xMode, this.card.unitKind, this.card.unit);
  }

  private onSelect(u: uPlot): void {
    const { left, width } = u.select;
    if (width > 4) {
      const min = u.posToVal(left, "x");
      const max = u.posToVal(left + width, "x");
      this.zoomTo({ min, max });
    }
    u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
  }

  private currentRange(): XRange | null {
    const scale = this.u?.scales.x;
    if (!scale || scale.min == null || scale.max == null) return null;
    return { min: scale.min, max: scale.max };
  }

  private startPan(e: MouseEvent): void {
    const range = this.currentRange();
    if (!range || !this.u) return;
    this.panStart = { x: e.clientX, range };
    const plotWidth = this.u.over.clientWidth || 1;
    const move = (ev: MouseEvent) => {
      if (!this.panStart) return;
      const span = this.panStart.range.max - this.panStart.range.min;
      const shift = ((ev.clientX - this.panStart.x) / plotWidth) * span;
      this.zoomTo({ min: this.panStart.range.min - shift, max: this.panStart.range.max - shift });
    };
    const up = () => {
      this.panStart = null;
      window.removeEventListener("mousemove", move);
      window.removeEventListener("mouseup", up);
    };
    window.addEventListener("mousemove", move);
    window.addEventListener("mouseup", up);
  }

  private onWheel(e: WheelEvent): void {
    if (!(e.ctrlKey || e.metaKey) || !this.u) return;
    e.preventDefault();
    const range = this.currentRange();
    if (!range) return;
    const rect = this.u.over.getBoundingClientRect();
    const at = this.u.posToVal(e.clientX - rect.left, "x");
    const factor = e.deltaY < 0 ? 0.8 : 1.25;
    this.zoomTo({ min: at - (at - range.min) * factor, max: at + (range.max - at) * factor });
  }

  /**
   * Zooms every chart. A range drawn on a wall-time card while the x axis is steps switches
   * the whole page to wall time, so the range means the same thing on every card.
   */
  private zoomTo(range: XRange | null): void {
    if (range !== null && this.xMode !== this.store.getState().xMode) {
      if (range.max > range.min) this.store.setState({ xMode: this.xMode, xRange: range });
      return;
    }
    setXRange(this.store, range);
  }

  /** Keyboard zoom and pan for the focused chart (arrows, + / -, 0 or Escape to reset). */
  handleKey(key: string): boolean {
    const range = this.currentRange();
    if (key === "0" || key === "Escape") {
      this.zoomTo(null);
      return true;
    }
    if (!range) return false;
    const span = range.max - range.min;
    const mid = (range.min + range.max) / 2;
    switch (key) {
      case "ArrowLeft":
        this.zoomTo({ min: range.min - span * 0.1, max: range.max - span * 0.1 });
        return true;
      case "ArrowRight":
        this.zoomTo({ min: range.min + span * 0.1, max: range.max + span * 0.1 });
        return true;
      case "+":
      case "=":
        this.zoomTo({ min: mid - span * 0.375, max: mid + span * 0.375 });
        return true;
      case "-":
        this.zoomTo({ min: mid - span * 0.625, max: mid + span * 0.625 });
        return true;
      default:
        return false;
    }
  }

  /** Sets a data-* attribute of the card, skipping the DOM write when it already has that value. */
  private setAttr(name: string, value: string): void {
    if (this.attrs.get(name) === value) return;
    this.attrs.set(name, value);
    this.el.root.dataset[name] = value;
  }

  private writeAttributes(lines: readonly LineSpec[], data: CardData, u: uPlot): void {
    const root = this.el.root;
    if (this.runsKey !== this.structKey) {
      this.runsKey = this.structKey;
      this.runsAttr = [...new Set(lines.map((l) => l.runId))].join(",");
    }
    this.setAttr("series", String(lines.length));
    this.setAttr("runs", this.runsAttr);
    this.setAttr("points", String(data.points));
    this.setAttr("drawnPoints", String(data.drawnPoints));
    this.setAttr("lastStep", Number.isFinite(data.lastStep) ? String(data.lastStep) : "");
    this.setAttr("nonFinite", String(data.nonFinite));
    this.setAttr("alertMarks", String(this.alertMarks.length));
    const scale = u.scales.x;
    this.setAttr("xMin", scale?.min != null ? String(scale.min) : "");
    this.setAttr("xMax", scale?.max != null ? String(scale.max) : "");
    const y = u.scales.y;
    this.setAttr("yMin", y?.min != null ? String(y.min) : "");
    this.setAttr("yMax", y?.max != null ? String(y.max) : "");
    root.dataset.drawn = String(Number(root.dataset.drawn ?? "0") + 1);
  }

  private writeLatest(lines: readonly LineSpec[], card: CardSpec): void {
    const data = this.data;
    if (!data) return;
    // The wall's legend cannot scroll: past its two rows, "+N more" (charts/legend.ts).
    // (the row is the plot less the card padding; theme.scale is the root font size / 20 px)
    const kiosk = this.store.getState().kiosk;
    const rem = 20 * (this.theme?.scale ?? 1);
    const capacity = kiosk ? kioskLegendCapacity(this.plotWidth - 20, rem) : Infinity;
    const labelChars = kiosk ? kioskLabelChars(this.plotWidth - 20, rem) : LEGEND_LABEL_CHARS;
    // Rebuild the chips only when the lines change; otherwise rewrite their text in place.
    let same = this.latestShape.length === lines.length && capacity === this.latestCapacity;
    for (let i = 0; same && i < lines.length; i++) {
      const slot = this.latestShape[i] as { id: string; color: string; empty: boolean };
      const line = lines[i] as LineSpec;
      same = slot.id === line.id && slot.color === line.color && slot.empty === (data.lastValue[i] === null);
    }
    if (!same) {
      this.latestShape = lines.map((l, i) => ({ id: l.id, color: l.color, empty: data.lastValue[i] === null }));
      this.latestCapacity = capacity;
      this.latestValues = [];
      const frag = document.createDocumentFragment();
      const withValue = lines.map((_, i) => i).filter((i) => data.lastValue[i] !== null);
      const { shown, more } = legendSplit(withValue.length, capacity);
      withValue.slice(0, shown).forEach((i) => {
        const line = lines[i] as LineSpec;
        const chip = document.createElement("span");
        chip.className = "rw-latest";
        chip.title = line.label;
        chip.dataset.runId = line.runId;
        const dot = document.createElement("span");
        dot.className = "rw-swatch";
        dot.style.background = line.color;
        const label = document.createElement("span");
        label.className = "rw-latest-label";
        label.textContent = middleEllipsis(line.label, labelChars);
        const value = document.createElement("span");
        // The value's text node is rewritten in place (cheaper than replacing it via textContent).
        const textNode = document.createTextNode("");
        value.appendChild(textNode);
        chip.append(dot, label, value);
        frag.appendChild(chip);
        this.latestValues.push({ value, textNode, line: i, text: "", finite: null });
      });
      if (more > 0) {
        const entries = () => withValue.map((i) => ({ label: (lines[i] as LineSpec).label, color: (lines[i] as LineSpec).color, value: this.data?.lastValue[i] ?? NaN }));
        frag.appendChild(moreEntry(more, entries, card.unitKind, card.unit));
      }
      this.el.latest.replaceChildren(frag);
      this.el.latest.dataset.count = String(withValue.length);
      this.el.latest.dataset.shown = String(shown);
    }
    for (const slot of this.latestValues) {
      const v = data.lastValue[slot.line] as number;
      const text = formatValue(v, card.unitKind, card.unit);
      if (text === slot.text) continue;
      slot.text = text;
      slot.textNode.data = text;
      const finite = Number.isFinite(v);
      if (finite !== slot.finite) {
        slot.finite = finite;
        slot.value.className = finite ? "rw-latest-value" : "rw-latest-value rw-nonfinite";
      }
    }
    const first = data.lastValue[0];
    this.setAttr("lastValue", first != null ? String(first) : "");
  }

}
