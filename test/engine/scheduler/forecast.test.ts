/**
 * Forecast prewarm: the arrival history it keeps (idle-time histogram, daily profile) and the
 * priced decision to start an instance before a likely arrival and to keep or stop it.
 */
import {
  FORECAST_SLOT_MS,
  decideKeepPrewarmed,
  decidePrewarm,
  emptyForecast,
  emptyGapHistogram,
  expectedDailyArrivals,
  gapProbabilityWithin,
  recordArrival,
  recordGap,
  type ArrivalForecast,
  type GapHistogram,
  type PrewarmInput,
} from '../../../engine/src/scheduler';
import { loadConfig } from '../../../engine/src/config';

const S = 1000;
const MIN = 60 * S;
const DAY = 24 * 60 * MIN;

/** A timer-like version: an arrival every `periodMs`, `n` times from t = 0. */
function timer(periodMs: number, n: number): { gaps: GapHistogram; forecast: ArrivalForecast; last: number } {
  let gaps = emptyGapHistogram();
  let forecast = emptyForecast();
  for (let k = 0; k < n; k++) {
    if (k > 0) gaps = recordGap(gaps, periodMs);
    forecast = recordArrival(forecast, k * periodMs);
  }
  return { gaps, forecast, last: (n - 1) * periodMs };
}

/** The first time in [from, to) (1 s ticks, like the autoscaler) at which a prewarm pays; null if none. */
function firstPrewarm(input: Omit<PrewarmInput, 'now'>, from: number, to: number): number | null {
  for (let t = from; t < to; t += S) if (decidePrewarm({ ...input, now: t }).netGainMs > 0) return t;
  return null;
}

const priced = (extra: Partial<PrewarmInput> & { now: number }): PrewarmInput => ({
  setupMs: 60 * S, coldStartWeight: 1, coldStartPenaltyMs: 300 * S, minGapSamples: 8, ...extra,
});

describe('gapProbabilityWithin', () => {
  const { gaps } = timer(20 * MIN, 30);

  it('locates a timer band within its bucket: near the period the next arrival is certain, well before it unlikely', () => {
    expect(gapProbabilityWithin(gaps, 5 * MIN, 2 * MIN)).toBe(0);
    expect(gapProbabilityWithin(gaps, 18 * MIN, 3 * MIN)).toBeGreaterThan(0.9);
  });

  it('is 0 once no recorded gap is that long', () => {
    expect(gapProbabilityWithin(gaps, 30 * MIN, 10 * MIN)).toBe(0);
  });

  it('never counts gaps over 4 h as within', () => {
    let h = emptyGapHistogram();
    for (let k = 0; k < 10; k++) h = recordGap(h, 6 * 3600 * S);
    expect(gapProbabilityWithin(h, 3 * 3600 * S, 2 * 3600 * S)).toBe(0);
  });
});

describe('expectedDailyArrivals', () => {
  /** `days` days with 3 arrivals at 09:00–09:05 each day. */
  function daily(days: number): ArrivalForecast {
    let f = emptyForecast();
    for (let d = 0; d < days; d++) for (let k = 0; k < 3; k++) f = recordArrival(f, d * DAY + 9 * 60 * MIN + k * MIN);
    return f;
  }

  it('is silent before a day and a half of history', () => {
    expect(expectedDailyArrivals(daily(1), 9 * 60 * MIN, 9 * 60 * MIN + FORECAST_SLOT_MS)).toBe(0);
  });

  it('expects about 3 arrivals in the 09:00 slot of a later day and none at 15:00', () => {
    const f = daily(7);
    const day8 = 7 * DAY;
    expect(expectedDailyArrivals(f, day8 + 9 * 60 * MIN, day8 + 9 * 60 * MIN + FORECAST_SLOT_MS)).toBeGreaterThan(2.4);
    expect(expectedDailyArrivals(f, day8 + 9 * 60 * MIN, day8 + 9 * 60 * MIN + FORECAST_SLOT_MS)).toBeLessThan(3.6);
    expect(expectedDailyArrivals(f, day8 + 15 * 60 * MIN, day8 + 16 * 60 * MIN)).toBe(0);
  });
});

describe('decidePrewarm', () => {
  const { gaps, forecast, last } = timer(20 * MIN, 30);

  it('prewarms a timer-like version about a boot ahead of its next arrival, not long before', () => {
    const input = priced({ gaps, forecast, now: 0 });
    const at = firstPrewarm(input, last + 5 * MIN, last + 20 * MIN)!;
    // Boot 60 s, arrival at +20 min (bucket resolution spreads the band over ~16–20 min).
    expect(at).toBeGreaterThanOrEqual(last + 14 * MIN);
    expect(at).toBeLessThanOrEqual(last + 20 * MIN - 30 * S);
    const d = decidePrewarm({ ...input, now: at });
    expect(d.until).toBeGreaterThanOrEqual(last + 20 * MIN);
    expect(d.until).toBeLessThanOrEqual(at + 60 * S + 600 * S);
  });

  it('does not prewarm without history, with too few gaps, or when cold starts are cheap', () => {
    expect(decidePrewarm(priced({ now: 18 * MIN })).netGainMs).toBeLessThan(0);
    const few = timer(20 * MIN, 4);
    expect(decidePrewarm(priced({ gaps: few.gaps, forecast: few.forecast, now: few.last + 18 * MIN })).netGainMs).toBeLessThan(0);
    expect(decidePrewarm(priced({ gaps, forecast, now: last + 18 * MIN, setupMs: 1 * S, coldStartPenaltyMs: 0 })).netGainMs).toBeLessThan(0);
  });

  it('prewarms a daily version before its usual hour from the daily profile alone', () => {
    let f = emptyForecast();
    let g = emptyGapHistogram();
    let prev: number | null = null;
    for (let d = 0; d < 7; d++) {
      for (let k = 0; k < 3; k++) {
        const t = d * DAY + 9 * 60 * MIN + k * MIN;
        if (prev !== null) g = recordGap(g, t - prev);
        f = recordArrival(f, t);
        prev = t;
      }
    }
    // Gaps of a day are beyond the histogram's 4 h: only the daily profile can see it coming.
    const at = firstPrewarm(priced({ gaps: g, forecast: f, now: 0 }), 7 * DAY + 8 * 60 * MIN, 7 * DAY + 9 * 60 * MIN);
    expect(at).not.toBeNull();
    expect(at!).toBeGreaterThanOrEqual(7 * DAY + 9 * 60 * MIN - 5 * MIN);
    expect(firstPrewarm(priced({ gaps: g, forecast: f, now: 0 }), 7 * DAY + 12 * 60 * MIN, 7 * DAY + 13 * 60 * MIN)).toBeNull();
  });
});

describe('decideKeepPrewarmed', () => {
  const { gaps, forecast, last } = timer(20 * MIN, 30);

  it('keeps a prewarmed instance through the likely window and gives it up after', () => {
    expect(decideKeepPrewarmed(priced({ gaps, forecast, now: last + 19 * MIN })).netGainMs).toBeGreaterThan(0);
    expect(decideKeepPrewarmed(priced({ gaps, forecast, now: last + 26 * MIN })).netGainMs).toBeLessThan(0);
  });

  it('is more lenient than starting one (the boot is already paid)', () => {
    const input = priced({ gaps, forecast, now: last + 17 * MIN });
    expect(decideKeepPrewarmed(input).netGainMs).toBeGreaterThan(decidePrewarm(input).netGainMs);
  });
});

describe('the operator knob GANTRY_PREWARM', () => {
  it('defaults to on, turns off with "off", and names itself when its value is bad', () => {
    expect(loadConfig({}).knobs.prewarm).toBe(true);
    expect(loadConfig({ GANTRY_PREWARM: 'off' }).knobs.prewarm).toBe(false);
    expect(() => loadConfig({ GANTRY_PREWARM: 'maybe' })).toThrow(/GANTRY_PREWARM/);
  });
});
