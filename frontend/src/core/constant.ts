/**
 * A series that logs one value over and over (a GPU's total memory, a fixed learning rate) says
 * everything in one number: as a full chart it is a flat line across a card. Non-finite values
 * are never "constant" (a NaN is news), and two points are not enough to tell. Pure.
 */
export const MIN_CONSTANT_POINTS = 3;

export function isConstant(values: ArrayLike<number>, minPoints = MIN_CONSTANT_POINTS): boolean {
  if (values.length < minPoints) return false;
  const first = values[0] as number;
  if (!Number.isFinite(first)) return false;
  for (let i = 1; i < values.length; i++) if (values[i] !== first) return false;
  return true;
}
