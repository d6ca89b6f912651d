/**
 * Cost over time: per-day series stacked by a dimension (`GET /v1/usage/daily`) and the month-end
 * projection at the current rate (`GET /v1/usage/projection`). Pure: the store sums, this shapes.
 * Days are UTC calendar days, as `group_by=day` counts them.
 */
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** The trailing window the current rate is measured over. */
export const RATE_WINDOW_MS = 7 * DAY_MS;
/** A rate is never measured over less than this, so a first few cents do not read as a fortune a day. */
export const MIN_RATE_SPAN_MS = HOUR_MS;

const round = (x: number) => Math.round(x * 1e9) / 1e9;

export function startOfUtcDay(d: Date): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
}

/** The UTC days `YYYY-MM-DD` from the day of `since` up to (not including) `until`. */
export function utcDays(since: Date, until: Date): string[] {
  const days: string[] = [];
  for (let t = startOfUtcDay(since).getTime(); t < until.getTime(); t += DAY_MS) days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

export interface DayAmount {
  day: string;
  key: string | null;
  count: number;
  total_usd: number;
}

export interface DailySeries {
  key: string | null;
  count: number;
  total_usd: number;
  /** One figure per entry of `days`, zero on days without usage. */
  daily_usd: number[];
  daily_count: number[];
}

/** One series per key over `days` (costliest first), and the totals per day. */
export function stackByDay(days: string[], rows: DayAmount[]): { series: DailySeries[]; totals: Omit<DailySeries, 'key'> } {
  const index = new Map(days.map((d, i) => [d, i]));
  const byKey = new Map<string | null, DailySeries>();
  const totals = { count: 0, total_usd: 0, daily_usd: days.map(() => 0), daily_count: days.map(() => 0) };
  for (const r of rows) {
    const i = index.get(r.day);
    if (i === undefined) continue;
    let s = byKey.get(r.key);
    if (!s) byKey.set(r.key, (s = { key: r.key, count: 0, total_usd: 0, daily_usd: days.map(() => 0), daily_count: days.map(() => 0) }));
    s.count += r.count;
    s.total_usd += r.total_usd;
    s.daily_usd[i] += r.total_usd;
    s.daily_count[i] += r.count;
    totals.count += r.count;
    totals.total_usd += r.total_usd;
    totals.daily_usd[i] += r.total_usd;
    totals.daily_count[i] += r.count;
  }
  const tidy = <T extends Omit<DailySeries, 'key'>>(s: T): T => ({ ...s, total_usd: round(s.total_usd), daily_usd: s.daily_usd.map(round) });
  const series = [...byKey.values()].map(tidy).sort((a, b) => b.total_usd - a.total_usd || String(a.key).localeCompare(String(b.key)));
  return { series, totals: tidy(totals) };
}

/** The calendar month (UTC) that contains `now`: [start, end). */
export function utcMonth(now: Date): { start: Date; end: Date; label: string } {
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  return { start, end, label: start.toISOString().slice(0, 7) };
}

/** Where the rate window starts: a week back, or the first usage record if the engine is younger. */
export function rateWindowStart(now: Date, firstRecordAt: Date | null): Date {
  const weekAgo = now.getTime() - RATE_WINDOW_MS;
  return new Date(Math.max(weekAgo, firstRecordAt ? firstRecordAt.getTime() : now.getTime()));
}

export interface ProjectionInput {
  now: Date;
  /** Spend since the start of the month. */
  monthToDateUsd: number;
  /** Spend since `windowStart` (from `rateWindowStart`). */
  windowUsd: number;
  windowStart: Date;
}

/**
 * Month-end projection: what was spent this month, plus the rest of the month at the current rate
 * (the trailing week's spend per second, measured over at least an hour).
 */
export function monthEndProjection(p: ProjectionInput) {
  const month = utcMonth(p.now);
  const span = Math.max(MIN_RATE_SPAN_MS, p.now.getTime() - p.windowStart.getTime());
  const ratePerMs = p.windowUsd / span;
  const remaining = Math.max(0, month.end.getTime() - p.now.getTime());
  return {
    month: month.label,
    month_start: month.start.toISOString(),
    month_end: month.end.toISOString(),
    as_of: p.now.toISOString(),
    month_to_date_usd: round(p.monthToDateUsd),
    rate_window_start: p.windowStart.toISOString(),
    rate_window_seconds: Math.round(span / 1000),
    rate_usd_per_day: round(ratePerMs * DAY_MS),
    projected_month_usd: round(p.monthToDateUsd + ratePerMs * remaining),
  };
}
