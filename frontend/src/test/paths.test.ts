import { afterAll, beforeAll, describe, expect, it } from "vitest";

/** Path2D stand-in (node has none) that records what a path builder draws. */
class RecordingPath {
  ops: [string, number, number][] = [];
  constructor(from?: RecordingPath) {
    if (from) this.ops = [...from.ops];
  }
  moveTo(x: number, y: number): void {
    this.ops.push(["moveTo", x, y]);
  }
  lineTo(x: number, y: number): void {
    this.ops.push(["lineTo", x, y]);
  }
  rect(x: number, y: number): void {
    this.ops.push(["rect", x, y]);
  }
}

const had = "Path2D" in globalThis;
const saved = (globalThis as { Path2D?: unknown }).Path2D;

beforeAll(() => {
  (globalThis as { Path2D?: unknown }).Path2D = RecordingPath;
});

afterAll(() => {
  if (had) (globalThis as { Path2D?: unknown }).Path2D = saved;
  else delete (globalThis as { Path2D?: unknown }).Path2D;
});

interface FakeScale {
  key: string;
  ori: number;
  dir: number;
  distr: number;
  min: number;
  max: number;
  _min: number;
  _max: number;
  valToPct: (v: number) => number;
}

function scale(key: string, ori: number, min: number, max: number): FakeScale {
  return { key, ori, dir: 1, distr: 1, min, max, _min: min, _max: max, valToPct: (v) => (v - min) / (max - min) };
}

/** Just enough of a uPlot instance for its linear path builder and ours. */
function fakePlot(x: number[], ys: (number | null | undefined)[][], xMin: number, xMax: number, yMin: number, yMax: number, bboxWidth = 880) {
  const scales = { x: scale("x", 0, xMin, xMax), y: scale("y", 1, yMin, yMax) };
  const data = [x, ...ys];
  return {
    mode: 1,
    data,
    _data: data,
    scales,
    bands: [],
    bbox: { left: 37, top: 20, width: bboxWidth, height: 333 },
    series: [{ scale: "x" }, ...ys.map(() => ({ scale: "y", spanGaps: true, pxRound: Math.round, fill: null, gaps: (_u: unknown, _i: number, _a: number, _b: number, g: unknown) => g }))],
    valToPosH: (v: number, s: FakeScale, dim: number, off: number) => off + dim * s.valToPct(v),
    valToPosV: (v: number, s: FakeScale, dim: number, off: number) => off + dim * (1 - s.valToPct(v)),
    posToVal: (pos: number) => xMin + ((pos - 37) / bboxWidth) * (xMax - xMin),
  };
}

describe("linePaths", () => {
  it("draws exactly what uPlot's linear builder draws (shared x pixels, skipped empty slots)", async () => {
    const { default: uPlot } = await import("uplot");
    const { linePaths } = await import("../charts/paths");
    const linear = uPlot.paths.linear!();
    const n = 250;
    const x = Array.from({ length: n }, (_, i) => i * 8 + (i % 2) * 0.5);
    const a = x.map((v) => Math.exp(-v / 700) + 0.05 * Math.sin(v));
    const b: (number | undefined)[] = x.map((v, i) => (i % 7 === 3 || i < 4 ? undefined : 2 * Math.cos(v / 90)));
    const u = fakePlot(x, [a, b], -3.3, 2011.7, -2.1, 2.05);
    const theirs = [1, 2].map((si) => linear(u as never, si, 0, n - 1) as unknown as { stroke: RecordingPath });
    // The fast path never goes through uPlot's per-point helpers.
    const fast = { ...u, valToPosH: () => { throw new Error("fallback"); }, valToPosV: () => { throw new Error("fallback"); } };
    for (const si of [1, 2]) {
      const ours = linePaths(fast as never, si, 0, n - 1) as unknown as { stroke: RecordingPath; fill: unknown };
      expect(ours.stroke.ops.length).toBeGreaterThan(100);
      expect(ours.stroke.ops).toEqual(theirs[si - 1]!.stroke.ops);
      expect(ours.fill).toBeNull();
    }
  });

  it("leaves what it does not cover to uPlot (gaps to clip, log scales, dense series)", async () => {
    const { linePaths } = await import("../charts/paths");
    const x = [0, 1, 2, 3];
    const u = fakePlot(x, [[1, null, 3, 4]], 0, 3, 0, 5);
    (u.series[1] as { spanGaps: boolean }).spanGaps = false;
    const gapped = linePaths(u as never, 1, 0, 3) as unknown as { clip: unknown };
    expect(gapped.clip).not.toBeNull();
  });
});
