/**
 * Summary statistics for report figures. Percentiles are nearest-rank (the p-th percentile of n
 * sorted values is the ceil(p/100 × n)-th), so every figure is one of the measured values and a
 * reader can recompute it from the listed predictions.
 */

export interface Spread {
  n: number;
  mean: number;
  p50: number;
  p95: number;
  max: number;
  min: number;
}

/** Rounds seconds to the millisecond the engine measures in. */
export const roundSeconds = (s: number) => Math.round(s * 1000) / 1000;
/** Rounds dollars to the nano-dollar the engine prices in. */
export const roundUsd = (usd: number) => Math.round(usd * 1e9) / 1e9;
/** Rounds a rate (0..1) or ratio to four decimals. */
export const roundRatio = (x: number) => Math.round(x * 10_000) / 10_000;

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
}

export function mean(values: number[]): number {
  return values.length === 0 ? NaN : values.reduce((s, v) => s + v, 0) / values.length;
}

/** Mean, p50, p95, min and max, rounded with `round`; null when there are no values. */
export function spread(values: number[], round: (x: number) => number = roundSeconds): Spread | null {
  if (values.length === 0) return null;
  return {
    n: values.length,
    mean: round(mean(values)),
    p50: round(percentile(values, 50)),
    p95: round(percentile(values, 95)),
    min: round(Math.min(...values)),
    max: round(Math.max(...values)),
  };
}

/** `x / base`, or null when the base is zero or missing. */
export function ratio(x: number | null | undefined, base: number | null | undefined): number | null {
  if (x === null || x === undefined || base === null || base === undefined || !Number.isFinite(x) || !(base > 0)) return null;
  return roundRatio(x / base);
}
