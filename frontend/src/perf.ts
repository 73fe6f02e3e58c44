/**
 * In-page timing of stream messages, read by the browser benchmark through
 * window.__runwatch.perf: when a message arrived, when the store had it, when the charts on
 * screen had drawn it (synchronously, uPlot batch) and when the next frame started.
 */

export interface MessageTiming {
  kind: "snapshot" | "delta" | "runs_meta";
  version: number | null;
  bytes: number;
  receivedAt: number;
  appliedAt: number;
  /** When the frame that drew this message started its chart work. */
  drawStartedAt: number | null;
  drawnAt: number | null;
  frameAt: number | null;
  /** Charts redrawn for this message, and the time spent on them, over one or more frames. */
  charts: number;
  drawWork: number;
}

const KEEP = 2000;

export class PerfLog {
  readonly timings: MessageTiming[] = [];
  readonly frames: { at: number; charts: number; ms: number }[] = [];
  private pending: MessageTiming[] = [];

  received(kind: MessageTiming["kind"], bytes: number, receivedAt: number): MessageTiming {
    return { kind, version: null, bytes, receivedAt, appliedAt: receivedAt, drawStartedAt: null, drawnAt: null, frameAt: null, charts: 0, drawWork: 0 };
  }

  applied(timing: MessageTiming, version: number | null, now: number): void {
    timing.appliedAt = now;
    timing.version = version;
    this.pending.push(timing);
    this.timings.push(timing);
    if (this.timings.length > KEEP) this.timings.splice(0, this.timings.length - KEEP);
  }

  /** A frame that ran out of budget: its work counts toward the pending messages. */
  partial(startedAt: number, now: number, charts: number): void {
    for (const timing of this.pending) {
      timing.drawStartedAt ??= startedAt;
      timing.drawWork += now - startedAt;
      timing.charts += charts;
    }
  }

  /** Called by the chart scheduler once its frame has drawn everything due. */
  drawn(startedAt: number, now: number, charts: number): MessageTiming[] {
    const done = this.pending;
    this.pending = [];
    for (const timing of done) {
      timing.drawStartedAt ??= startedAt;
      timing.drawnAt = now;
      timing.drawWork += now - startedAt;
      timing.charts += charts;
    }
    return done;
  }

  /** One scheduler frame's whole chart work (on-screen and near-screen charts). */
  frame(startedAt: number, now: number, charts: number): void {
    this.frames.push({ at: startedAt, charts, ms: now - startedAt });
    if (this.frames.length > KEEP) this.frames.splice(0, this.frames.length - KEEP);
  }

  framed(done: readonly MessageTiming[], now: number): void {
    for (const timing of done) timing.frameAt = now;
  }

  clear(): void {
    this.timings.length = 0;
    this.frames.length = 0;
    this.pending = [];
  }
}
