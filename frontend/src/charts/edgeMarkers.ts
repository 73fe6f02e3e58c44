import type uPlot from "uplot";

/**
 * Points outside a clipped y range, drawn as triangles on the plot's top or bottom edge in
 * their series' colour: the robust range never hides a point, it moves it to the edge.
 * Returns how many points it marked (written to the card for tests and screen readers).
 */
export function drawEdgeMarkers(u: uPlot, scale: number): number {
  const y = u.scales.y;
  if (y?.min == null || y.max == null) return 0;
  const { ctx, bbox } = u;
  const size = 5 * scale * devicePixelRatio;
  const xs = u.data[0];
  let marked = 0;
  ctx.save();
  for (let s = 1; s < u.series.length; s++) {
    const series = u.series[s];
    const column = u.data[s];
    if (!series || !column || series.show === false) continue;
    const stroke = typeof series.stroke === "function" ? series.stroke(u, s) : series.stroke;
    ctx.fillStyle = typeof stroke === "string" ? stroke.slice(0, 7) : "#888";
    for (let i = 0; i < column.length; i++) {
      const v = column[i];
      if (v == null || !Number.isFinite(v) || (v <= y.max && v >= y.min)) continue;
      const x = u.valToPos(xs[i] as number, "x", true);
      if (x < bbox.left || x > bbox.left + bbox.width) continue;
      const top = v > y.max;
      const edge = top ? bbox.top : bbox.top + bbox.height;
      const dir = top ? 1 : -1;
      ctx.beginPath();
      ctx.moveTo(x, edge);
      ctx.lineTo(x - size, edge + dir * size * 1.6);
      ctx.lineTo(x + size, edge + dir * size * 1.6);
      ctx.closePath();
      ctx.fill();
      marked++;
    }
  }
  ctx.restore();
  return marked;
}
