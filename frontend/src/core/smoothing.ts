/**
 * Exponential moving average as TensorBoard draws it: debiased so the curve starts at the
 * data, non-finite values pass through untouched and do not poison what follows.
 * weight 0 returns the input; 0.99 is very smooth.
 */
export function emaSmooth(values: ArrayLike<number>, weight: number): number[] {
  const out = new Array<number>(values.length);
  if (weight <= 0) {
    for (let i = 0; i < values.length; i++) out[i] = values[i] as number;
    return out;
  }
  const w = Math.min(weight, 0.999);
  let last = 0;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    last = last * w + (1 - w) * v;
    count++;
    out[i] = last / (1 - Math.pow(w, count));
  }
  return out;
}
