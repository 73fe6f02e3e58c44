/** Progress of a run: total steps from its config, step rate from its points, ETA. */

const TOTAL_KEYS = ["total_steps", "max_steps", "num_training_steps", "train_steps"];

function asCount(value: unknown): number | null {
  const n = typeof value === "string" ? Number(value) : value;
  return typeof n === "number" && Number.isFinite(n) && n > 0 ? n : null;
}

/** config.total_steps or config.max_steps (also one level down, e.g. config.trainer.max_steps). */
export function totalSteps(config: Record<string, unknown>): number | null {
  for (const key of TOTAL_KEYS) {
    const found = asCount(config[key]);
    if (found !== null) return found;
  }
  for (const value of Object.values(config)) {
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      const nested = value as Record<string, unknown>;
      for (const key of TOTAL_KEYS) {
        const found = asCount(nested[key]);
        if (found !== null) return found;
      }
    }
  }
  return null;
}

/**
 * Steps per second over the last `windowMs` of wall time (at least the last two points).
 * Arrays are in step order with epoch-ms times.
 */
export function stepRate(steps: ArrayLike<number>, times: ArrayLike<number>, windowMs = 120_000): number | null {
  const n = Math.min(steps.length, times.length);
  if (n < 2) return null;
  const lastTime = times[n - 1] as number;
  const lastStep = steps[n - 1] as number;
  let i = n - 2;
  while (i > 0 && lastTime - (times[i - 1] as number) <= windowMs) i--;
  const dt = (lastTime - (times[i] as number)) / 1000;
  const ds = lastStep - (steps[i] as number);
  if (dt <= 0 || ds <= 0) return null;
  return ds / dt;
}

/** Seconds left, or null when the total or the rate is unknown. */
export function etaSeconds(step: number, total: number | null, rate: number | null): number | null {
  if (total === null || rate === null || rate <= 0) return null;
  return Math.max(0, (total - step) / rate);
}
