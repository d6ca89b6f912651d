/** The pure shaping behind /v1/usage/daily and /v1/usage/projection: days, stacks, the projection. */
import { monthEndProjection, rateWindowStart, stackByDay, utcDays, utcMonth } from '../../engine/src/core/usage-series';

const at = (iso: string) => new Date(iso);

test('utcDays lists every UTC day of a half-open range, starting on the day of since', () => {
  expect(utcDays(at('2025-01-30T15:00:00Z'), at('2025-02-02T00:00:00Z'))).toEqual(['2025-01-30', '2025-01-31', '2025-02-01']);
  expect(utcDays(at('2025-01-01T00:00:00Z'), at('2025-01-01T00:00:00Z'))).toEqual([]);
  // Leap day.
  expect(utcDays(at('2024-02-28T00:00:00Z'), at('2024-03-01T00:00:00Z'))).toEqual(['2024-02-28', '2024-02-29']);
});

test('stackByDay fills missing days with zero, sorts series by cost, and totals per day', () => {
  const days = ['2025-01-01', '2025-01-02', '2025-01-03'];
  const { series, totals } = stackByDay(days, [
    { day: '2025-01-01', key: 'gantry/echo', count: 2, total_usd: 0.1 },
    { day: '2025-01-03', key: 'gantry/echo', count: 1, total_usd: 0.2 },
    { day: '2025-01-02', key: 'gantry/ocr', count: 5, total_usd: 0.5 },
    { day: '2025-01-02', key: null, count: 1, total_usd: 0.05 },
    // Outside the days asked for: ignored.
    { day: '2024-12-31', key: 'gantry/ocr', count: 9, total_usd: 9 },
  ]);
  expect(series.map((s) => s.key)).toEqual(['gantry/ocr', 'gantry/echo', null]);
  expect(series[1]).toEqual({ key: 'gantry/echo', count: 3, total_usd: 0.3, daily_usd: [0.1, 0, 0.2], daily_count: [2, 0, 1] });
  expect(totals).toEqual({ count: 9, total_usd: 0.85, daily_usd: [0.1, 0.55, 0.2], daily_count: [2, 6, 1] });
});

test('utcMonth is the calendar month of now, across a year end', () => {
  const m = utcMonth(at('2024-12-31T23:59:59Z'));
  expect(m.label).toBe('2024-12');
  expect(m.start.toISOString()).toBe('2024-12-01T00:00:00.000Z');
  expect(m.end.toISOString()).toBe('2025-01-01T00:00:00.000Z');
});

test('the rate window is the trailing week, or shorter when the first usage is more recent', () => {
  const now = at('2025-03-20T12:00:00Z');
  expect(rateWindowStart(now, at('2025-01-01T00:00:00Z')).toISOString()).toBe('2025-03-13T12:00:00.000Z');
  expect(rateWindowStart(now, at('2025-03-19T12:00:00Z')).toISOString()).toBe('2025-03-19T12:00:00.000Z');
  expect(rateWindowStart(now, null).toISOString()).toBe(now.toISOString());
});

test('month-end projection: spent so far plus the rest of the month at the trailing rate', () => {
  // March has 31 days; at noon on the 20th, 11.5 days remain. $7 over the last 7 days is $1 a day.
  const now = at('2025-03-20T12:00:00Z');
  const p = monthEndProjection({ now, monthToDateUsd: 10, windowUsd: 7, windowStart: at('2025-03-13T12:00:00Z') });
  expect(p).toEqual(
    expect.objectContaining({ month: '2025-03', month_to_date_usd: 10, rate_usd_per_day: 1, projected_month_usd: 21.5, rate_window_seconds: 7 * 86400 }),
  );
  // A young engine: $0.01 spent over its first 30 minutes is measured over an hour (0.24 a day), not half an hour.
  const young = monthEndProjection({ now, monthToDateUsd: 0.01, windowUsd: 0.01, windowStart: at('2025-03-20T11:30:00Z') });
  expect(young.rate_usd_per_day).toBeCloseTo(0.24, 9);
  expect(young.projected_month_usd).toBeCloseTo(0.01 + 0.01 * 11.5 * 24, 9);
  // Nothing spent: nothing projected.
  expect(monthEndProjection({ now, monthToDateUsd: 0, windowUsd: 0, windowStart: now }).projected_month_usd).toBe(0);
});
