import type { WireValue } from "./types";

/** Decodes one wire value: "NaN", "Infinity", "-Infinity" (and a stray null) become numbers. */
export function decodeValue(value: WireValue | undefined): number {
  if (typeof value === "number") return value;
  switch (value) {
    case "Infinity":
      return Number.POSITIVE_INFINITY;
    case "-Infinity":
      return Number.NEGATIVE_INFINITY;
    default:
      return Number.NaN;
  }
}

export function decodeValues(values: readonly WireValue[]): number[] {
  const out = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) out[i] = decodeValue(values[i]);
  return out;
}

/**
 * Decodes in place when the array is ours to change (fresh from JSON.parse): nearly every
 * value is already a number, so this costs one pass and no copy.
 */
export function decodeValuesInPlace(values: WireValue[]): number[] {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== "number") values[i] = decodeValue(v);
  }
  return values as number[];
}
