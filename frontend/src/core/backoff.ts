/**
 * Reconnect delay: capped exponential backoff with jitter (between half and all of the cap),
 * so a restarted backend is not hit by every browser in the same millisecond.
 */
export interface BackoffOptions {
  baseMs?: number;
  maxMs?: number;
  random?: () => number;
}

export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? 500;
  const max = options.maxMs ?? 30_000;
  const random = options.random ?? Math.random;
  const ceiling = Math.min(max, base * Math.pow(2, Math.max(0, attempt)));
  return Math.round(ceiling * (0.5 + 0.5 * random()));
}
