/** Keeps a stacked chart readable: the costliest series, the rest summed as "other". Pure. */
import type { DailyUsage } from '../api/types';

export type Series = DailyUsage['series'][number];

export function topSeries(series: Series[], keep: number): Series[] {
  if (series.length <= keep) return series;
  const head = series.slice(0, keep - 1);
  const rest = series.slice(keep - 1);
  const days = rest[0].daily_usd.length;
  const other: Series = {
    key: `other (${rest.length})`,
    count: rest.reduce((s, x) => s + x.count, 0),
    total_usd: rest.reduce((s, x) => s + x.total_usd, 0),
    daily_usd: Array.from({ length: days }, (_, i) => rest.reduce((s, x) => s + x.daily_usd[i], 0)),
    daily_count: Array.from({ length: days }, (_, i) => rest.reduce((s, x) => s + x.daily_count[i], 0)),
  };
  return [...head, other];
}

/** Running sums bottom-up: what a stacked bar chart draws for each series. */
export function cumulative(series: Series[]): number[][] {
  const out: number[][] = [];
  series.forEach((s, i) => out.push(s.daily_usd.map((v, d) => v + (i ? out[i - 1][d] : 0))));
  return out;
}
