/**
 * The pure logic of the Checks and Decide pages: report figures as rows and tables (units from
 * the figure names), the new-check request built from the form (and the form from an earlier
 * check), how often a running check is read, and the Decide price table's overrides and pointers.
 */
import { cellOf, figureView, unitOf } from '../../engine/console/src/lib/figures';
import { checkBody, checkPollMs, draftFromCheck, emptyDraft } from '../../engine/console/src/lib/check-request';
import {
  emptyPriceDraft,
  gpuTypeOf,
  gpuTypes,
  officialPointer,
  priceOverrides,
  pricePointers,
  skusInUse,
} from '../../engine/console/src/lib/price-overrides';
import { placeByPointer } from '../../engine/console/src/lib/problems';
import { percent, ratio } from '../../engine/console/src/lib/format';
import type { Check, DecideGroup, DecidePrices } from '../../engine/console/src/api/types';

test('fractions and multiples read as percentages and ×', () => {
  expect(percent(1)).toBe('100 %');
  expect(percent(0.3333)).toBe('33.3 %');
  expect(percent(0.0005)).toBe('0.05 %');
  expect(percent(0)).toBe('0 %');
  expect(percent(null)).toBe('—');
  expect(ratio(2.5)).toBe('2.5×');
  expect(ratio(0.012345)).toBe('0.0123×');
});

test('figure units come from their names, and a spread takes its figure\'s unit', () => {
  expect(unitOf('predict_time_s')).toBe('seconds');
  expect(unitOf('cost_per_run_usd')).toBe('usd');
  expect(unitOf('identical_output_rate')).toBe('fraction');
  expect(unitOf('text_similarity')).toBe('fraction');
  expect(unitOf('runtime_ratio')).toBe('ratio');
  expect(unitOf('p95', 'seconds')).toBe('seconds');
  expect(unitOf('n', 'seconds')).toBeUndefined();
  expect(unitOf('runs')).toBeUndefined();
  expect(cellOf('predict_time_s', { n: 3, mean: 0.01, p50: 0.009, p95: 0.02, min: 0.001, max: 0.02 })).toEqual({
    text: 'mean 0.010 s · p50 0.009 s · p95 0.020 s · max 0.020 s (n=3)',
  });
  expect(cellOf('predictions', ['a', 'b'])).toEqual({ text: 'a, b', predictions: ['a', 'b'] });
  expect(cellOf('prediction_id', null)).toEqual({ text: '—', predictions: [] });
  expect(cellOf('file_hashes', [])).toEqual({ text: '—' });
  expect(cellOf('used', false)).toEqual({ text: 'no' });
});

test('a report item\'s figures: plain values flattened, lists of records as tables', () => {
  // The consistency and hardware items' figures as the engine reports them.
  const view = figureView({
    runs: 2,
    identical_output_rate: 1,
    seed: { in_schema: false, used: false },
    first: { prediction_id: 'p1', total_time_s: 0.329, client_sees: { api: 'status "succeeded"' } },
    hardware: [
      { sku: 'cpu', available: true, reason: null, price_per_second_usd: 0.0001, predict_time_mean_s: 0.009, predictions: ['p1', 'p2'] },
      { sku: 'gpu-h100', available: false, reason: 'no live worker serves gpu-h100', price_per_second_usd: 0.001525 },
    ],
    within: 0.2,
  });
  expect(view.rows.map((r) => [r.name, r.cell.text])).toEqual([
    ['runs', '2'],
    ['identical_output_rate', '100 %'],
    ['seed.in_schema', 'no'],
    ['seed.used', 'no'],
    ['first.prediction_id', 'p1'],
    ['first.total_time_s', '0.329 s'],
    ['first.client_sees.api', 'status "succeeded"'],
    ['within', '20 %'],
  ]);
  expect(view.rows.find((r) => r.name === 'first.prediction_id')!.cell.predictions).toEqual(['p1']);
  expect(view.tables).toHaveLength(1);
  const t = view.tables[0];
  expect(t.name).toBe('hardware');
  expect(t.columns).toEqual(['sku', 'available', 'reason', 'price_per_second_usd', 'predict_time_mean_s', 'predictions']);
  expect(t.rows.map((r) => r.map((c) => c.text))).toEqual([
    ['cpu', 'yes', '—', '$0.0001', '0.009 s', 'p1, p2'],
    ['gpu-h100', 'no', 'no live worker serves gpu-h100', '$0.00153', '—', '—'],
  ]);
  expect(figureView({})).toEqual({ rows: [], tables: [] });
});

test('the new-check request: pinned version, settings as typed, worst case as the API takes it', () => {
  const draft = { ...emptyDraft('gantry/echo'), runs: '3', hardware: ['gpu-t4'], timeout: ' 10s ' };
  expect(checkBody(draft, { text: 'hi' })).toEqual({
    body: { model: 'gantry/echo', input: { text: 'hi' }, runs: 3, hardware: ['gpu-t4'], timeout: '10s', worst_case: true },
    problems: [],
  });
  const v = 'a'.repeat(64);
  expect(checkBody({ ...draft, version: v, worst_from_schema: false, deployment: 'gantry/d', compare_with: 'x/y' }, {}).body).toEqual(
    expect.objectContaining({ model: `gantry/echo:${v}`, worst_case: false, deployment: 'gantry/d', compare_with: 'x/y' }),
  );
  // Runs that do not read as a number go as typed: the API names /runs.
  expect(checkBody({ ...draft, runs: 'many' }, {}).body.runs).toBe('many');
  expect(checkBody({ ...draft, runs: '' }, {}).body).not.toHaveProperty('runs');
  // Marked inputs: a list, or one object as a list of one; JSON that does not parse is named.
  expect(checkBody({ ...draft, worst_marked: '[{"sleep": 30}]' }, {}).body.worst_case).toEqual({ from_schema: true, inputs: [{ sleep: 30 }] });
  expect(checkBody({ ...draft, worst_marked: '{"fail": true}', worst_from_schema: false }, {}).body.worst_case).toEqual({ from_schema: false, inputs: [{ fail: true }] });
  expect(checkBody({ ...draft, worst_marked: '[{' }, {}).problems).toEqual([{ pointer: '/worst_case/inputs', detail: expect.stringMatching(/^is not valid JSON/) }]);
});

test('running a check again fills the form from it; a version is kept only when the check pinned it', () => {
  const check = {
    model: 'gantry/echo', version: 'b'.repeat(64), deployment: null, runs: 4, hardware: ['cpu'], compare_with: null, worst_case: false, timeout: '30s',
    report: { items: [{ key: 'version_stability', figures: { pinned: false } }] },
  } as unknown as Check;
  expect(draftFromCheck(check)).toEqual({ ...emptyDraft('gantry/echo'), runs: '4', hardware: ['cpu'], worst_from_schema: false, timeout: '30s' });
  const pinned = { ...check, report: { items: [{ key: 'version_stability', figures: { pinned: true } }] } } as unknown as Check;
  expect(draftFromCheck(pinned).version).toBe('b'.repeat(64));
});

test('a running check is read every second at first, then gently', () => {
  expect(checkPollMs(0)).toBe(1000);
  expect(checkPollMs(30)).toBe(2000);
  expect(checkPollMs(600)).toBe(5000);
});

const PRICES: DecidePrices = {
  replicate: { source: 's', retrieved: 'd', per_second: { cpu: 0.0001, 'gpu-t4': 0.000225, 'gpu-h100-2x': 0.00305 } },
  official_models: { source: 's', retrieved: 'd', models: { 'meta/llama': [{ rule: 'per_input_token', unit_price_usd: 1e-6 }, { rule: 'per_output_token', unit_price_usd: 2e-6 }] } },
  dedicated: { providers: [{ id: 'runpod', name: 'RunPod', source: 's', retrieved: 'd', per_gpu_hour: { 'gpu-h100': 2.69, 'gpu-l40s': 0.79 } }], chosen: null },
  overridden: [],
};

test('price overrides: only what was typed, as typed; an official model is sent with all its rules', () => {
  expect(priceOverrides(emptyPriceDraft(), PRICES)).toBeUndefined();
  const draft = {
    ...emptyPriceDraft(),
    replicate: { cpu: '0.001', 'gpu-t4': '', 'gpu-h100-2x': 'cheap' },
    dedicated: { cpu: ' 0.04 ' },
    official: { 'meta/llama': { per_output_token: '0.000003' } },
  };
  expect(priceOverrides(draft, PRICES)).toEqual({
    replicate: { cpu: 0.001, 'gpu-h100-2x': 'cheap' },
    dedicated: { per_gpu_hour: { cpu: 0.04 } },
    official_models: { 'meta/llama': { per_input_token: 1e-6, per_output_token: 0.000003 } },
  });
  expect(priceOverrides({ ...emptyPriceDraft(), provider: 'runpod' }, PRICES)).toEqual({ dedicated: { provider: 'runpod' } });
  // One more model priced per unit; an empty price goes as typed, for the API to name.
  expect(priceOverrides({ ...emptyPriceDraft(), added: { model: 'bfl/flux', rule: 'per_image', price: '0.003' } }, PRICES)).toEqual({ official_models: { 'bfl/flux': { per_image: 0.003 } } });
  expect(priceOverrides({ ...emptyPriceDraft(), added: { model: 'bfl/flux', rule: 'per_image', price: '' } }, PRICES)).toEqual({ official_models: { 'bfl/flux': { per_image: '' } } });
});

test('the price table: SKUs in use first, GPU types to rent, and the pointer of every control', () => {
  const groups = [{ hardware: [{ sku: 'gpu-t4' }, { sku: 'cpu' }] }, { hardware: [{ sku: 'cpu' }] }] as unknown as DecideGroup[];
  expect(skusInUse(groups, PRICES)).toEqual({ used: ['cpu', 'gpu-t4'], others: ['gpu-h100-2x'] });
  expect(gpuTypeOf('gpu-h100-2x')).toBe('gpu-h100');
  expect(gpuTypes(['cpu', 'gpu-t4'], PRICES)).toEqual(['cpu', 'gpu-h100', 'gpu-l40s', 'gpu-t4']);
  const draft = { ...emptyPriceDraft(), added: { model: 'bfl/flux', rule: 'per_image', price: '' } };
  const pointers = pricePointers(draft, PRICES, ['cpu'], ['cpu']);
  expect(pointers).toEqual([
    '/prices/replicate/cpu',
    '/prices/dedicated/per_gpu_hour/cpu',
    '/prices/dedicated/provider',
    '/prices/official_models/meta/llama/per_input_token',
    '/prices/official_models/meta/llama/per_output_token',
    '/prices/official_models/bfl/flux',
    '/prices/official_models/bfl/flux/per_image',
  ]);
  // The engine's errors (as POST /v1/decide words them) land on those controls; the rest are other.
  const placed = placeByPointer(
    [
      { pointer: '/prices/replicate/cpu', detail: 'must be a price: a number ≥ 0' },
      { pointer: officialPointer('bfl/flux', 'per_image'), detail: 'must be a price: a number ≥ 0' },
      { pointer: '/prices/replicate/zzz', detail: 'is not a hardware SKU ($ per second)' },
    ],
    pointers,
  );
  expect(placed.byPointer).toEqual({ '/prices/replicate/cpu': 'must be a price: a number ≥ 0', '/prices/official_models/bfl/flux/per_image': 'must be a price: a number ≥ 0' });
  expect(placed.other.map((e) => e.pointer)).toEqual(['/prices/replicate/zzz']);
});
