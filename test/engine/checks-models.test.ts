/**
 * Model checks on other real models: a predictor that samples (no seed: less than 100 %
 * consistent; with a seed: 100 %), OCR on a real image, and a comparison of two versions of one
 * model (different pricing and input schema) with version stability. Figures are recomputed from
 * the predictions the reports list.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { api, startEngine, type EngineHandle } from '../helpers/engine';
import { checkedClient, expectConformant, type CheckedClient } from '../conformance/wire/checked-client';
import { avg, item, ms, nano, predictionsOf, runCheck, runsOf } from '../helpers/checks';

const SAMPLER = join(__dirname, '..', 'fixtures', 'predictors', 'sampler.js');
const SAMPLER_V2 = join(__dirname, '..', 'fixtures', 'predictors', 'sampler-v2.js');
const IMAGE = join(__dirname, '..', '..', 'examples', 'assets', 'review-positive.png');

let engine: EngineHandle;
let call: ReturnType<typeof api>;
let client: CheckedClient;
let v1: string;
let v2: string;

/** Word-level edit-distance similarity, written again here so the figure is checked independently. */
function similarity(a: string, b: string): number {
  const x = a.split(/\s+/).filter(Boolean);
  const y = b.split(/\s+/).filter(Boolean);
  const d = Array.from({ length: x.length + 1 }, (_, i) => Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= x.length; i++) for (let j = 1; j <= y.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
  return 1 - d[x.length][y.length] / Math.max(x.length, y.length, 1);
}

beforeAll(async () => {
  engine = await startEngine();
  // Every request and answer of this file is held to the engine's /openapi.json.
  client = checkedClient(engine, { replicate: false });
  call = client.call;
  expect((await call('POST', '/v1/models', { owner: 'acme', name: 'sampler', visibility: 'public', hardware: 'cpu', license_url: 'https://huggingface.co/spaces/CompVis/stable-diffusion-license' })).status).toBe(201);
  v1 = (await call('POST', '/v1/models/acme/sampler/versions', { runner: { type: 'node', module: SAMPLER } })).json.id;
  // The second version: one more input, and billed per prediction instead of per second.
  v2 = (await call('POST', '/v1/models/acme/sampler/versions', { runner: { type: 'node', module: SAMPLER_V2 }, pricing: [{ rule: 'per_prediction', unit_price_usd: 0.002 }] })).json.id;
}, 90_000);
afterAll(async () => engine?.stop());

test('a sampler without a seed gives less than 100 % identical output: warn, with the similarity of the texts', async () => {
  const check = await runCheck(call, { model: `acme/sampler:${v1}`, input: { prompt: 'the model', max_words: 30 }, runs: 6, worst_case: false });
  const c = item(check.report, 'consistency');
  const predictions = await predictionsOf(call, check.report);
  const outputs: string[] = runsOf(check.report, 'consistency').map((r: any) => predictions.get(r.prediction_id).output);
  const counts = new Map<string, number>();
  for (const o of outputs) counts.set(o, (counts.get(o) ?? 0) + 1);
  const modal = Math.max(...counts.values());
  expect(counts.size).toBeGreaterThan(1);
  expect(c.status).toBe('warn');
  expect(c.figures.identical_output_rate).toBe(Math.round((modal / outputs.length) * 10000) / 10000);
  expect(c.figures.identical_output_rate).toBeLessThan(1);
  expect(c.figures.distinct_outputs).toBe(counts.size);
  const pairs: number[] = [];
  for (let i = 0; i < outputs.length; i++) for (let j = i + 1; j < outputs.length; j++) pairs.push(similarity(outputs[i], outputs[j]));
  expect(c.figures.text_similarity).toBeCloseTo(avg(pairs), 4);
  expect(c.figures.text_similarity).toBeGreaterThan(0);
  expect(c.figures.text_similarity).toBeLessThan(1);
  expect(c.figures.seed).toEqual({ in_schema: true, used: false });
  expect(c.summary).toMatch(/set one for repeatable output/);
  // The schema's limits: max_words 200 and temperature 5 (the seed is not a load).
  const planned = check.planned_runs.map((r: any) => r.key);
  expect(planned).not.toContain('worst_case.1');
  // A licence that is not clearly commercial: a warning.
  expect(item(check.report, 'license')).toEqual(expect.objectContaining({ status: 'warn' }));
  expect(item(check.report, 'license').figures.commercial_use).toBe('conditional');
});

test('the same sampler with a seed is 100 % consistent', async () => {
  const check = await runCheck(call, { model: `acme/sampler:${v1}`, input: { prompt: 'the model', max_words: 30, seed: 42 }, runs: 4, worst_case: false });
  const c = item(check.report, 'consistency');
  const predictions = await predictionsOf(call, check.report);
  const outputs = runsOf(check.report, 'consistency').map((r: any) => predictions.get(r.prediction_id).output);
  expect(new Set(outputs).size).toBe(1);
  expect(c).toEqual(expect.objectContaining({ status: 'pass' }));
  expect(c.figures).toEqual(expect.objectContaining({ identical_output_rate: 1, distinct_outputs: 1, text_similarity: 1, seed: { in_schema: true, used: true } }));
});

test('worst case from the schema: the sampler at max_words 200 and temperature 5 succeeds', async () => {
  const check = await runCheck(call, { model: `acme/sampler:${v1}`, input: { prompt: 'the model', seed: 1 }, runs: 2, timeout: '30s' });
  const w = item(check.report, 'worst_case');
  const [limits] = w.figures.cases;
  expect(limits.changes.map((c: any) => [c.field, c.to]).sort()).toEqual([['max_words', '200'], ['temperature', '5']]);
  const predictions = await predictionsOf(call, check.report);
  const p = predictions.get(limits.prediction_id);
  expect(p.input).toEqual(expect.objectContaining({ max_words: 200, temperature: 5, seed: 1 }));
  expect(p.output.split(' ').length).toBe(202);
  expect(limits.status).toBe('succeeded');
  expect(w.status).not.toBe('fail');
});

test('OCR on a real image: the text is read, identically on every run', async () => {
  const image = `data:image/png;base64,${readFileSync(IMAGE).toString('base64')}`;
  const check = await runCheck(call, { model: 'gantry/ocr', input: { image }, runs: 2, worst_case: false }, 120_000);
  expect(check.status).toBe('succeeded');
  const predictions = await predictionsOf(call, check.report);
  const runs = runsOf(check.report, 'consistency');
  const texts = runs.map((r: any) => predictions.get(r.prediction_id).output.text);
  expect(texts[0].toLowerCase()).toMatch(/great|love|excellent|recommend/);
  expect(texts[1]).toBe(texts[0]);
  const c = item(check.report, 'consistency');
  expect(c).toEqual(expect.objectContaining({ status: 'pass' }));
  expect(c.figures).toEqual(expect.objectContaining({ identical_output_rate: 1, text_similarity: 1, output_kind: 'text' }));
  // Cold start: the first OCR run booted tesseract.
  const first = predictions.get(runs[0].prediction_id);
  expect(first.metrics.cold_start).toBe(true);
  expect(item(check.report, 'cold_start').figures.setup_time_s).toBe(first.metrics.setup_time);
  expect(item(check.report, 'license').figures).toEqual(expect.objectContaining({ name: 'Apache-2.0', commercial_use: 'yes' }));
  const cost = item(check.report, 'cost_per_action').figures;
  expect(cost.mean_usd).toBe(nano(avg(runs.map((r: any) => predictions.get(r.prediction_id).cost.total_usd))));
  // The worst case was not requested; the file input has no declared size limit anyway.
  expect(item(check.report, 'worst_case').status).toBe('skipped');
});

test('compare two versions (per second vs per prediction) and version stability of a pinned older version', async () => {
  const check = await runCheck(call, {
    model: `acme/sampler:${v1}`,
    compare_with: `acme/sampler:${v2}`,
    input: { prompt: 'the model', seed: 7, max_words: 10 },
    runs: 3,
    worst_case: false,
  });
  const predictions = await predictionsOf(call, check.report);
  const cmp = item(check.report, 'compare');
  const mine = runsOf(check.report, 'consistency').map((r: any) => predictions.get(r.prediction_id));
  const other = runsOf(check.report, 'compare').map((r: any) => predictions.get(r.prediction_id));
  expect(other).toHaveLength(3);
  for (const p of other) {
    expect(p.version).toBe(v2);
    expect(p.input.top_k).toBe(10); // the compared version's own default
    expect(p.cost).toEqual(expect.objectContaining({ rule: 'per_prediction', total_usd: 0.002 }));
    expect(p.tags.gantry_check).toBe(check.id);
  }
  const warmOf = (ps: any[]) => (ps.filter((p) => !p.metrics.cold_start).length ? ps.filter((p) => !p.metrics.cold_start) : ps);
  const meanPredict = (ps: any[]) => ms(avg(warmOf(ps).map((p) => p.metrics.predict_time)));
  expect(cmp.figures.checked.predict_time_s.mean).toBe(meanPredict(mine));
  expect(cmp.figures.compared.predict_time_s.mean).toBe(meanPredict(other));
  expect(cmp.figures.checked.cost_mean_usd).toBe(nano(avg(mine.map((p) => p.cost.total_usd))));
  expect(cmp.figures.compared.cost_mean_usd).toBe(0.002);
  expect(cmp.figures.cost_ratio).toBe(Math.round((0.002 / cmp.figures.checked.cost_mean_usd) * 10000) / 10000);
  // Same seed, same sampler: the same text from both versions.
  expect(cmp.figures.same_output).toBe(true);
  expect(cmp.status).toBe('pass');

  const v = item(check.report, 'version_stability');
  const versions = (await call('GET', '/v1/models/acme/sampler/versions')).json.results;
  expect(v.figures).toEqual(expect.objectContaining({ pinned: true, checked_version: v1, latest_version: v2, checked_is_latest: false, versions: versions.length }));
  expect(v.figures.latest_created_at).toBe(versions.find((x: any) => x.id === v2).created_at);
  expect(v.figures.schema_changes_to_latest).toEqual([{ field: 'top_k', change: 'added', detail: 'optional, default 10' }]);
  expect(v.status).toBe('pass');

  const unpinned = await runCheck(call, { model: 'acme/sampler', input: { seed: 1 }, runs: 2, worst_case: false });
  expect(unpinned.version).toBe(v2);
  expect(item(unpinned.report, 'version_stability')).toEqual(expect.objectContaining({ status: 'warn' }));
});

test('a streaming model: time to first output over the warm runs, from the predictions\' metrics', async () => {
  const check = await runCheck(call, { model: 'gantry/echo', input: { text: 'one two three four five six', stream_chunks: 6 }, runs: 3, worst_case: false });
  const predictions = await predictionsOf(call, check.report);
  const warm = runsOf(check.report, 'consistency').map((r: any) => predictions.get(r.prediction_id)).filter((p: any) => !p.metrics.cold_start);
  const ttfo = warm.map((p: any) => p.metrics.time_to_first_output);
  for (const t of ttfo) expect(t).toBeGreaterThanOrEqual(0);
  const runtime = item(check.report, 'runtime');
  expect(runtime.figures.streaming).toBe(true);
  expect(runtime.figures.time_to_first_output_s).toEqual(expect.objectContaining({ n: warm.length, mean: ms(avg(ttfo)), max: Math.max(...ttfo) }));
  // The streamed output is the list of pieces; consistency compares their text.
  expect(predictions.get(runsOf(check.report, 'consistency')[0].prediction_id).output).toHaveLength(6);
  expect(item(check.report, 'consistency').figures).toEqual(expect.objectContaining({ identical_output_rate: 1, output_kind: 'text' }));
});

test('a per-token model: cost per action in input tokens at its unit price', async () => {
  const text = 'a quick and useful little model';
  const check = await runCheck(call, { model: 'gantry/text-classifier', input: { text }, runs: 2, worst_case: false });
  const predictions = await predictionsOf(call, check.report);
  const costs = runsOf(check.report, 'consistency').map((r: any) => predictions.get(r.prediction_id).cost);
  const c = item(check.report, 'cost_per_action').figures;
  expect(costs[0]).toEqual(expect.objectContaining({ rule: 'per_input_token', quantity: 6 }));
  expect(c).toEqual(expect.objectContaining({ unit: 'input_tokens', rule: 'per_input_token', unit_price_usd: costs[0].unit_price_usd, quantity_mean: 6 }));
  expect(c.mean_usd).toBe(nano(avg(costs.map((x: any) => x.total_usd))));
  expect(c.price_rule).toBe(`input_tokens × $${costs[0].unit_price_usd} each`);
});

test('every request and answer of this file matches /openapi.json', () => expectConformant(client));
