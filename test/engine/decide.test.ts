/**
 * The cost decision over real HTTP: real predictions (on demand on the CPU, three at once; on a
 * gpu-l40s deployment with a warm min instance; a per-token model), then GET/POST /v1/decide,
 * every figure recomputed here from the predictions (GET /v1/predictions/{id}) and the usage
 * records (read from the table), with GANTRY_PRICES sections and request overrides.
 */
import { api, sql as query, startEngine, type EngineHandle } from '../helpers/engine';
import { checkedClient, expectConformant, type CheckedClient } from '../conformance/wire/checked-client';

/** Gantry charges its own $0.0002/s for CPU; Replicate's public prices stay the shipped ones. */
const PRICES = { cpu: 0.0002, replicate: { 'gpu-l40s': 0.001 }, dedicated: { per_gpu_hour: { cpu: 0.04 } } };

let engine: EngineHandle;
let call: ReturnType<typeof api>;
let client: CheckedClient;
let since: string;
let until: string;
let model: any;
let byDeployment: any;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const sql = (text: string, params: unknown[] = []) => query(engine, text, params);

/** Peak overlap of [start, end] intervals, written independently of the engine's. */
function peak(intervals: Array<[number, number]>): number {
  let best = 0;
  for (const [s] of intervals) best = Math.max(best, intervals.filter(([a, b]) => a <= s && s < b).length);
  return best;
}

const group = (d: any, key: string | null) => d.groups.find((g: any) => g.key === key);
const hw = (g: any, sku: string) => g.hardware.find((h: any) => h.sku === sku);

beforeAll(async () => {
  engine = await startEngine({ env: { GANTRY_GPUS: 'gpu-l40s:1', GANTRY_PRICES: JSON.stringify(PRICES) } });
  // Every request and answer of this file is held to the engine's /openapi.json.
  client = checkedClient(engine, { replicate: false });
  call = client.call;
  const echo = (await call('GET', '/v1/models/gantry/echo')).json.latest_version.id;
  expect((await call('POST', '/v1/deployments', { name: 'echo-l40s', model: 'gantry/echo', version: echo, hardware: 'gpu-l40s', min_instances: 1, max_instances: 1 })).status).toBeLessThan(300);
  since = new Date(Date.now() - 1000).toISOString();
  for (let waited = 0; !(await call('GET', '/v1/deployments/gantry/echo-l40s')).json.instances.some((i: any) => i.state === 'ready'); waited++) {
    if (waited > 300) throw new Error('the deployment did not get ready');
    await sleep(100);
  }
  const runs = [
    call('POST', '/v1/models/gantry/echo/predictions', { input: { text: 'a', sleep: 1 } }, { prefer: 'wait' }),
    call('POST', '/v1/models/gantry/echo/predictions', { input: { text: 'b', sleep: 1 } }, { prefer: 'wait' }),
    call('POST', '/v1/models/gantry/echo/predictions', { input: { text: 'c', sleep: 1 } }, { prefer: 'wait' }),
  ];
  for (const r of await Promise.all(runs)) expect(r.json.status).toBe('succeeded');
  for (const text of ['d', 'e']) {
    expect((await call('POST', '/v1/deployments/gantry/echo-l40s/predictions', { input: { text, sleep: 0.5 } }, { prefer: 'wait' })).json.status).toBe('succeeded');
    await sleep(300);
  }
  expect((await call('POST', '/v1/models/gantry/text-classifier/predictions', { input: { text: 'a fine and useful thing' } }, { prefer: 'wait' })).json.status).toBe('succeeded');
  until = new Date(Date.now() + 50).toISOString();
  await sleep(100);
  model = (await call('GET', `/v1/decide?since=${since}&until=${until}`)).json;
  byDeployment = (await call('GET', `/v1/decide?since=${since}&until=${until}&group_by=deployment`)).json;
}, 120_000);
afterAll(async () => engine?.stop());

/** The usage records of the period with their predictions, read from the tables. */
async function records() {
  return sql(
    `SELECT u.*, COALESCE(v.owner || '/' || v.name, u.model) AS real_model, p.metrics,
       extract(epoch FROM p.started_at)::float8 AS started, extract(epoch FROM p.completed_at)::float8 AS completed
     FROM usage_records u LEFT JOIN predictions p ON p.id = u.prediction_id LEFT JOIN versions v ON v.id = u.version
     WHERE u.created_at >= $1 AND u.created_at < $2`,
    [since, until],
  );
}

test('the period and the price tables, with their sources and the GANTRY_PRICES overrides', () => {
  expect(model.group_by).toBe('model');
  expect(model.since).toBe(since);
  expect(model.until).toBe(until);
  expect(model.period_seconds).toBeCloseTo((Date.parse(until) - Date.parse(since)) / 1000, 3);
  expect(model.prices.replicate).toEqual(expect.objectContaining({ source: 'https://replicate.com/pricing', retrieved: expect.any(String) }));
  // Replicate's table is the engine's own default one; GANTRY_PRICES' flat cpu price is Gantry's, not Replicate's.
  expect(model.prices.replicate.per_second.cpu).toBe(0.0001);
  expect(model.prices.replicate.per_second['gpu-l40s']).toBe(0.001);
  expect(model.prices.replicate.per_second['gpu-h100']).toBe(0.001525);
  expect(model.prices.dedicated.chosen).toBe('custom');
  for (const p of model.prices.dedicated.providers) expect(p).toEqual(expect.objectContaining({ source: expect.any(String), retrieved: expect.any(String) }));
  expect(model.prices.overridden).toEqual(expect.arrayContaining([expect.stringMatching(/replicate gpu-l40s = \$0.001\/s \(GANTRY_PRICES\)/)]));
});

test('group by model: usage figures recomputed from the predictions and usage records', async () => {
  const rows = (await records()).filter((r) => r.real_model === 'gantry/echo');
  const runs = rows.filter((r) => r.kind === 'prediction');
  const g = group(model, 'gantry/echo');
  expect(g.predictions).toBe(5);
  expect(runs).toHaveLength(5);
  // Each run's predict_time is the prediction's own metric.
  for (const r of runs) {
    const p = (await call('GET', `/v1/predictions/${r.prediction_id}`)).json;
    expect(p.metrics.predict_time).toBe(r.metrics.predict_time);
  }
  const periodS = (Date.parse(until) - Date.parse(since)) / 1000;
  const bySku = (sku: string) => runs.filter((r) => r.hardware === sku);
  const active = (list: any[]) => list.reduce((s, r) => s + r.metrics.predict_time, 0);
  const instance = (kind: string, sku: string) => rows.filter((r) => r.kind === kind && r.hardware === sku).reduce((s, r) => s + r.quantity, 0);
  const peakOf = (list: any[]) => peak(list.map((r) => [r.started, r.completed]));
  expect(g.active_seconds).toBeCloseTo(active(runs), 3);
  expect(hw(g, 'cpu').active_seconds).toBeCloseTo(active(bySku('cpu')), 3);
  expect(hw(g, 'gpu-l40s').active_seconds).toBeCloseTo(active(bySku('gpu-l40s')), 3);
  expect(hw(g, 'cpu').peak_concurrency).toBe(peakOf(bySku('cpu')));
  expect(hw(g, 'cpu').peak_concurrency).toBe(3);
  expect(hw(g, 'gpu-l40s').peak_concurrency).toBe(1);
  expect(g.peak_concurrency).toBe(peakOf(runs));
  // Setup and idle: the deployment's instance records, plus the on-demand cold start's whole wait
  // (its fetch, boot and setup phases).
  const coldWait = bySku('cpu').reduce((s, r) => s + (r.metrics.cold_start ? r.metrics.fetch_time + r.metrics.boot_time + r.metrics.setup_time : 0), 0);
  expect(hw(g, 'gpu-l40s').setup_seconds).toBeCloseTo(instance('setup', 'gpu-l40s'), 3);
  expect(hw(g, 'gpu-l40s').idle_seconds).toBeCloseTo(instance('idle', 'gpu-l40s'), 3);
  expect(hw(g, 'gpu-l40s').idle_seconds).toBeGreaterThan(0);
  expect(hw(g, 'cpu').setup_seconds).toBeCloseTo(coldWait, 3);
  expect(g.mean_concurrency).toBeCloseTo(active(runs) / periodS, 4);
  const capacity = periodS * 3 + periodS * 1;
  expect(g.utilisation).toBeCloseTo(active(runs) / capacity, 4);
  expect(hw(g, 'cpu').utilisation).toBeCloseTo(active(bySku('cpu')) / (periodS * 3), 4);
});

test('group by model: the cost of that usage under each option, recomputed', async () => {
  const rows = (await records()).filter((r) => r.real_model === 'gantry/echo');
  const g = group(model, 'gantry/echo');
  const periodS = (Date.parse(until) - Date.parse(since)) / 1000;
  const runs = rows.filter((r) => r.kind === 'prediction');
  const of = (sku: string) => runs.filter((r) => r.hardware === sku);
  const active = (list: any[]) => list.reduce((s, r) => s + r.metrics.predict_time, 0);
  const kindSeconds = (kind: string, sku: string) => rows.filter((r) => r.kind === kind && r.hardware === sku).reduce((s, r) => s + r.quantity, 0);

  // gantry: the usage records as they are (CPU at Gantry's own $0.0002/s).
  expect(g.options.gantry.total_usd).toBeCloseTo(rows.reduce((s, r) => s + r.total_usd, 0), 9);
  for (const r of of('cpu')) expect(r.unit_price_usd).toBe(0.0002);
  // replicate_public: active seconds × Replicate's $/s (setup and idle free).
  const publicUsd = active(of('cpu')) * 0.0001 + active(of('gpu-l40s')) * 0.001;
  expect(g.options.replicate_public.total_usd).toBeCloseTo(publicUsd, 9);
  // replicate_private: setup + idle + active, at least the min instance for the deployment's life.
  const deployment = (await sql(`SELECT extract(epoch FROM created_at)::float8 AS at FROM deployments WHERE name = 'echo-l40s'`))[0];
  const floor = 1 * (Date.parse(until) / 1000 - Math.max(Date.parse(since) / 1000, deployment.at));
  const coldWait = of('cpu').reduce((s, r) => s + (r.metrics.cold_start ? r.metrics.fetch_time + r.metrics.boot_time + r.metrics.setup_time : 0), 0);
  const l40s = Math.max(active(of('gpu-l40s')) + kindSeconds('setup', 'gpu-l40s') + kindSeconds('idle', 'gpu-l40s'), floor);
  const privateUsd = (active(of('cpu')) + coldWait) * 0.0001 + l40s * 0.001;
  expect(g.options.replicate_private.total_usd).toBeCloseTo(privateUsd, 9);
  expect(hw(g, 'gpu-l40s').min_instances_seconds).toBeCloseTo(floor, 3);
  // dedicated: peak instances × hours × $/GPU-hour: CPU at the GANTRY_PRICES price, the L40S at the
  // cheapest listed provider (the custom prices have none for it).
  const hours = periodS / 3600;
  const cpuRow = g.options.dedicated.by_hardware.find((r: any) => r.sku === 'cpu');
  const l40sRow = g.options.dedicated.by_hardware.find((r: any) => r.sku === 'gpu-l40s');
  expect(cpuRow).toEqual(expect.objectContaining({ instances: 3, gpus_per_instance: 1, provider: 'custom', per_gpu_hour_usd: 0.04 }));
  expect(l40sRow).toEqual(expect.objectContaining({ instances: 1, gpus_per_instance: 1, provider: 'runpod-community', per_gpu_hour_usd: 0.79 }));
  expect(g.options.dedicated.total_usd).toBeCloseTo(3 * hours * 0.04 + 1 * hours * 0.79, 9);
  expect(l40sRow.alternatives.find((a: any) => a.provider === 'modal').total_usd).toBeCloseTo(hours * 1.95, 9);
  const cheapest = Object.entries(g.options).reduce((a: any, b: any) => (b[1].total_usd < a[1].total_usd ? b : a))[0];
  expect(g.cheapest).toBe(cheapest);
});

test('break-even utilisation per option pair, recomputed from the linear model, and a recommendation', () => {
  const g = group(model, 'gantry/echo');
  const u0 = g.utilisation;
  const o = g.options;
  const pair = (a: string, b: string) => g.break_even_utilisation.find((x: any) => x.options[0] === a && x.options[1] === b);
  expect(g.break_even_utilisation).toHaveLength(6);
  // Public vs dedicated: public grows with use, dedicated is fixed: u* = u0 × dedicated / public.
  const pd = pair('replicate_public', 'dedicated');
  expect(pd.utilisation).toBeCloseTo((u0 * o.dedicated.total_usd) / o.replicate_public.total_usd, 3);
  expect(pd.cheaper_above).toBe('dedicated');
  expect(pd.reachable).toBe(pd.utilisation >= 0 && pd.utilisation <= 1);
  // Gantry vs private: each has a fixed part (instance time) and a part that grows with use.
  const fixed = (x: any) => x.total_usd - x.variable_usd;
  const gp = pair('gantry', 'replicate_private');
  const expected = (u0 * (fixed(o.replicate_private) - fixed(o.gantry))) / (o.gantry.variable_usd - o.replicate_private.variable_usd);
  expect(gp.utilisation).toBeCloseTo(expected, 3);
  expect(g.recommendation).toMatch(/^gantry\/echo: /);
  expect(g.recommendation).toContain(`${(u0 * 100).toFixed(u0 < 0.01 ? 2 : 1)} % utilisation`);
  expect(model.recommendation).toMatch(/cheapest for this usage/);
  const totals = model.totals;
  for (const k of ['gantry', 'replicate_public', 'replicate_private', 'dedicated']) {
    expect(totals[k]).toBeCloseTo(model.groups.reduce((s: number, x: any) => s + x.options[k].total_usd, 0), 9);
  }
});

test('group by deployment: the deployment apart from the on-demand runs', async () => {
  const dep = group(byDeployment, 'gantry/echo-l40s');
  const onDemand = group(byDeployment, null);
  const rows = await records();
  expect(dep.predictions).toBe(2);
  expect(onDemand.predictions).toBe(4); // three echo runs and the classifier
  expect(dep.options.gantry.total_usd).toBeCloseTo(rows.filter((r) => r.deployment === 'gantry/echo-l40s').reduce((s, r) => s + r.total_usd, 0), 9);
  expect(dep.deployments).toEqual([{ name: 'gantry/echo-l40s', hardware: 'gpu-l40s', min_instances: 1 }]);
  expect(onDemand.recommendation).toMatch(/^on-demand runs: /);
});

test('POST /v1/decide overrides prices for one request: an official per-unit price, a provider, Replicate $/s', async () => {
  const res = await call('POST', '/v1/decide', {
    since,
    until,
    prices: {
      official_models: { 'gantry/text-classifier': { per_input_token: 0.001 } },
      dedicated: { provider: 'modal' },
      replicate: { cpu: 0.0003 },
    },
  });
  expect(res.status).toBe(200);
  const classifier = group(res.json, 'gantry/text-classifier');
  const [record] = (await records()).filter((r) => r.real_model === 'gantry/text-classifier');
  const tokens = record.metrics.input_token_count;
  expect(tokens).toBe(5);
  expect(classifier.options.replicate_public.total_usd).toBeCloseTo(tokens * 0.001, 9);
  expect(classifier.options.replicate_public.basis).toMatch(/official models/);
  const echo = group(res.json, 'gantry/echo');
  const l40s = echo.options.dedicated.by_hardware.find((r: any) => r.sku === 'gpu-l40s');
  expect(l40s).toEqual(expect.objectContaining({ provider: 'modal', per_gpu_hour_usd: 1.95 }));
  // The CPU keeps the GANTRY_PRICES custom price: modal lists none for it.
  expect(echo.options.dedicated.by_hardware.find((r: any) => r.sku === 'cpu').provider).toBe('custom');
  expect(res.json.prices.replicate.per_second.cpu).toBe(0.0003);
  expect(res.json.prices.overridden).toEqual(expect.arrayContaining(['replicate cpu = $0.0003/s (the request)', 'dedicated provider modal (the request)']));
  const before = group(model, 'gantry/echo');
  expect(echo.options.replicate_public.total_usd).toBeGreaterThan(before.options.replicate_public.total_usd);
  // Nothing persisted: the next GET has the configured prices again.
  expect((await call('GET', `/v1/decide?since=${since}&until=${until}`)).json.prices.replicate.per_second.cpu).toBe(0.0001);
});

test('relative periods and an empty period', async () => {
  const recent = (await call('GET', '/v1/decide?since=1h')).json;
  expect(Date.parse(recent.until) - Date.parse(recent.since)).toBeCloseTo(3600_000, -2);
  expect(group(recent, 'gantry/echo').predictions).toBe(5);
  const empty = (await call('GET', '/v1/decide?since=2020-01-01&until=2020-01-02')).json;
  expect(empty.groups).toEqual([]);
  expect(empty.recommendation).toBe('No usage in this period: nothing to decide yet.');
  const defaulted = (await call('GET', '/v1/decide')).json;
  expect(defaulted.period_seconds).toBeCloseTo(30 * 86400, 0);
});

describe('bad input is a 422 problem+json naming the field', () => {
  test.each([
    ['GET', '/v1/decide?group_by=token', undefined, '/group_by'],
    ['GET', '/v1/decide?since=yesterday', undefined, '/since'],
    ['GET', '/v1/decide?until=2020-13-45', undefined, '/until'],
    ['GET', '/v1/decide?since=2025-02-01&until=2025-01-01', undefined, '/until'],
    ['GET', '/v1/decide?prices=1', undefined, '/prices'],
    ['POST', '/v1/decide', [1], ''],
    ['POST', '/v1/decide', { extra: 1 }, '/extra'],
    ['POST', '/v1/decide', { prices: 5 }, '/prices'],
    ['POST', '/v1/decide', { prices: { cloud: {} } }, '/prices/cloud'],
    ['POST', '/v1/decide', { prices: { replicate: { 'gpu-x': 1 } } }, '/prices/replicate/gpu-x'],
    ['POST', '/v1/decide', { prices: { replicate: { cpu: -1 } } }, '/prices/replicate/cpu'],
    ['POST', '/v1/decide', { prices: { official_models: { 'no-slash': { per_image: 1 } } } }, '/prices/official_models/no-slash'],
    ['POST', '/v1/decide', { prices: { official_models: { 'a/b': { per_hour: 1 } } } }, '/prices/official_models/a/b/per_hour'],
    ['POST', '/v1/decide', { prices: { dedicated: { provider: 'nope' } } }, '/prices/dedicated/provider'],
    ['POST', '/v1/decide', { prices: { dedicated: { per_gpu_hour: { 'gpu-x': 1 } } } }, '/prices/dedicated/per_gpu_hour/gpu-x'],
    ['POST', '/v1/decide', { prices: { dedicated: { spot: true } } }, '/prices/dedicated/spot'],
  ])('%s %s %j', async (method, path, body, pointer) => {
    const res = await call(method, path, body);
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.json.errors.map((e: any) => e.pointer)).toContain(pointer);
  });
});

test('every request and answer of this file matches /openapi.json', () => expectConformant(client));
