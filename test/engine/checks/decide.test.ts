/** The cost decision's pure parts: periods, concurrency, prices and their overrides, options, break-even, sentences. */
import { parsePeriod, relativeSeconds } from '../../../engine/src/checks/decide/period';
import { clip, peakConcurrency } from '../../../engine/src/checks/decide/concurrency';
import { parsePriceOverrides, resolvePrices } from '../../../engine/src/checks/decide/prices';
import { dedicatedCost, privateCost, publicCost, type SkuUsage, type UsageFact } from '../../../engine/src/checks/decide/options';
import { breakEvens } from '../../../engine/src/checks/decide/break-even';
import { decide } from '../../../engine/src/checks/decide/decide';
import type { FieldError } from '../../../engine/src/core/errors';

test('periods: ISO dates, "that long ago", a 30-day default', () => {
  const now = new Date('2026-12-01T00:00:00Z');
  const errors: FieldError[] = [];
  expect(parsePeriod({ since: '12h' }, now, errors)).toEqual({ since: new Date('2026-11-30T12:00:00Z'), until: now });
  expect(parsePeriod({}, now, errors).since).toEqual(new Date('2026-11-01T00:00:00Z'));
  expect(parsePeriod({ since: '2026-11-01', until: '2026-11-02T00:00:00Z' }, now, errors).until).toEqual(new Date('2026-11-02T00:00:00Z'));
  expect(errors).toEqual([]);
  expect(relativeSeconds('2w')).toBe(1209600);
  parsePeriod({ since: 'soon', until: '2020-01-01' }, now, errors);
  expect(errors.map((e) => e.pointer)).toEqual(['/since']);
});

test('peak concurrency: touching intervals do not overlap; clipped to the period', () => {
  expect(peakConcurrency([[0, 2], [1, 3], [2, 4]])).toBe(2);
  expect(peakConcurrency([[0, 1], [1, 2]])).toBe(1);
  expect(peakConcurrency([])).toBe(0);
  expect(clip([[0, 10], [20, 30]], 5, 15)).toEqual([[5, 10]]);
});

describe('prices', () => {
  test('layers: the request over GANTRY_PRICES over the shipped tables, each override named', () => {
    const env = parsePriceOverrides({ replicate: { cpu: 0.0002 }, dedicated: { per_gpu_hour: { 'gpu-t4': 0.3 } } }, 'GANTRY_PRICES');
    const body = parsePriceOverrides({ replicate: { cpu: 0.0003 }, official_models: { 'a/b': { per_image: 0.01 } } }, '/prices');
    expect(env.errors).toEqual([]);
    const p = resolvePrices([{ by: 'GANTRY_PRICES', overrides: env.overrides }, { by: 'the request', overrides: body.overrides }]);
    expect(p.replicate.per_second.cpu).toBe(0.0003);
    expect(p.replicate.per_second['gpu-t4']).toBe(0.000225);
    expect(p.official_models.models['a/b']).toEqual([{ rule: 'per_image', unit_price_usd: 0.01 }]);
    expect(p.official_models.models['black-forest-labs/flux-schnell']).toEqual([{ rule: 'per_image', unit_price_usd: 0.003 }]);
    expect(p.dedicated.chosen).toBe('custom');
    expect(p.dedicated.providers.find((x) => x.id === 'custom')!.per_gpu_hour).toEqual({ 'gpu-t4': 0.3 });
    expect(p.overridden).toEqual(['replicate cpu = $0.0002/s (GANTRY_PRICES)', 'dedicated per GPU-hour {"gpu-t4":0.3} (GANTRY_PRICES)', 'replicate cpu = $0.0003/s (the request)', 'official model a/b (the request)']);
  });
  test('every shipped provider has a source and a date', () => {
    for (const p of resolvePrices([]).dedicated.providers) {
      expect(p.source).toMatch(/^https:\/\//);
      expect(p.retrieved).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  });
});

const fact = (over: Partial<UsageFact>): UsageFact => ({
  key: 'm', kind: 'prediction', model: 'm', deployment: null, hardware: 'gpu-h100', total_usd: 0, quantity: 0, predict_time: 0, setup_time: null, metrics: {}, started: null, completed: null, ...over,
});

test('the reference\'s break-even: an H100 rented at $2.69/h against Replicate\'s $5.49/h is 49 %', () => {
  const prices = resolvePrices([{ by: 't', overrides: { dedicated: { provider: 'runpod-community' } } }]);
  const period = 3600;
  // One run a tenth of the hour long: utilisation 0.1 of one H100.
  const usage: SkuUsage[] = [{ sku: 'gpu-h100', predictions: 1, active_seconds: 360, setup_seconds: 0, idle_seconds: 0, peak_concurrency: 1, floor_seconds: 0 }];
  const pub = publicCost([fact({ predict_time: 360 })], prices);
  const ded = dedicatedCost(usage, period, prices);
  expect(pub.total_usd).toBeCloseTo(360 * 0.001525, 9);
  expect(ded.total_usd).toBeCloseTo(2.69, 9);
  const [be] = breakEvens({ replicate_public: pub, dedicated: ded }, 0.1);
  expect(be.utilisation).toBeCloseTo(2.69 / 5.49, 3);
  expect(be).toEqual(expect.objectContaining({ reachable: true, cheaper_above: 'dedicated', cheaper_now: 'replicate_public' }));
});

test('private Replicate: setup and idle billed, and never less than the min instances\' floor', () => {
  const prices = resolvePrices([]);
  const usage: SkuUsage[] = [{ sku: 'cpu', predictions: 1, active_seconds: 10, setup_seconds: 5, idle_seconds: 20, peak_concurrency: 1, floor_seconds: 100 }];
  expect(privateCost(usage, prices).total_usd).toBeCloseTo(100 * 0.0001, 9);
  expect(privateCost([{ ...usage[0], floor_seconds: 0 }], prices).total_usd).toBeCloseTo(35 * 0.0001, 9);
});

test('dedicated: no price for the hardware means no total, saying what to set', () => {
  const d = dedicatedCost([{ sku: 'gpu-t4', predictions: 1, active_seconds: 1, setup_seconds: 0, idle_seconds: 0, peak_concurrency: 1, floor_seconds: 0 }], 3600, resolvePrices([]));
  expect(d.total_usd).toBeNull();
  expect(d.unavailable).toEqual([expect.stringContaining('GANTRY_PRICES')]);
});

test('a whole decision: groups, totals and one sentence', () => {
  const d = decide({
    since: 0,
    until: 3600,
    groupBy: 'model',
    deployments: [],
    prices: resolvePrices([]),
    facts: [fact({ predict_time: 36, total_usd: 36 * 0.001525, started: 10, completed: 46 })],
  });
  expect(d.groups).toHaveLength(1);
  expect(d.groups[0].utilisation).toBe(0.01);
  expect(d.groups[0].cheapest).toBe('gantry');
  expect(d.groups[0].recommendation).toBe('m: running it here (Gantry) is the cheapest for this period ($0.0549) at 1.0 % utilisation; renting GPUs would pay off above 43.7 % utilisation.'); // Vast.ai's $2.40/h ÷ $5.49/h
  expect(d.totals.dedicated).toBeCloseTo(2.4, 9);
  expect(d.recommendation).toMatch(/^Over 1 group\(s\), running it here \(Gantry\) is the cheapest/);
});
