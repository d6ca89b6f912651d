/**
 * A model check of the deterministic built-in `gantry/echo` over real HTTP, on an engine that
 * declares two GPU SKUs (GANTRY_GPUS=gpu-t4:1,gpu-l40s:1: node predictors run here on the CPU
 * while placed on the declared GPUs, with CUDA_VISIBLE_DEVICES). Every figure of the report is
 * recomputed from the predictions it lists (GET /v1/predictions/{id}) and from usage records.
 */
import { api, startEngine, type EngineHandle } from '../helpers/engine';
import { checkedClient, expectConformant, type CheckedClient } from '../conformance/wire/checked-client';
import { avg, item, ms, nano, nearestRank, predictionsOf, runCheck, runsOf } from '../helpers/checks';

let engine: EngineHandle;
let call: ReturnType<typeof api>;
let client: CheckedClient;
let check: any;
let report: any;
let predictions: Map<string, any>;

beforeAll(async () => {
  engine = await startEngine({ env: { GANTRY_GPUS: 'gpu-t4:1,gpu-l40s:1' } });
  // Every request and answer of this file is held to the engine's /openapi.json.
  client = checkedClient(engine, { replicate: false });
  call = client.call;
  // A fresh engine: no instance of echo is up, so the first run is a cold start.
  check = await runCheck(call, {
    model: 'gantry/echo',
    input: { text: 'the same words every time' },
    runs: 4,
    hardware: ['gpu-t4', 'gpu-l40s', 'gpu-h100'],
    timeout: '5s',
    worst_case: { inputs: [{ fail: true }] },
  });
  report = check.report;
  predictions = await predictionsOf(call, report);
}, 120_000);
afterAll(async () => engine?.stop());

const pred = (run: any) => predictions.get(run.prediction_id);

test('the check ran to the end with a report of all ten items', () => {
  expect(check.status).toBe('succeeded');
  expect(check.progress).toEqual({ planned: check.planned_runs.length, finished: check.planned_runs.length });
  expect(report.items.map((i: any) => i.key)).toEqual([
    'consistency', 'cold_start', 'runtime', 'worst_case', 'compare', 'hardware', 'timeout_retry', 'cost_per_action', 'license', 'version_stability',
  ]);
  for (const i of report.items) {
    expect(['pass', 'warn', 'fail', 'skipped']).toContain(i.status);
    expect(i.summary.length).toBeGreaterThan(10);
    expect(i.description.length).toBeGreaterThan(10);
  }
  expect(report.status).toBe('fail'); // the worst cases fail (below)
  // Echo's runs take a millisecond or two, so which SKU the hardware item finds fastest is noise:
  // it passes or warns (the hardware test checks the rule itself).
  const hardwareWarns = item(report, 'hardware').status === 'warn' ? 1 : 0;
  expect(report.counts).toEqual({ pass: 8 - hardwareWarns, warn: hardwareWarns, fail: 1, skipped: 1 });
});

test('each run is a real prediction through the public path, tagged with the check, in the list and in usage', async () => {
  const made = report.runs.filter((r: any) => r.prediction_id);
  expect(made.length).toBe(report.totals.predictions);
  for (const run of made) {
    const p = pred(run);
    expect(p.tags).toEqual({ gantry_check: check.id, gantry_check_run: run.key });
    expect(p.model).toBe('gantry/echo');
    expect(p.status).toBe(run.status);
  }
  const listed = new Set<string>();
  for (let url: string | null = '/v1/predictions'; url; ) {
    const page: any = (await call('GET', url.replace(engine.url, ''))).json;
    for (const p of page.results) listed.add(p.id);
    url = page.next;
  }
  for (const run of made) expect(listed.has(run.prediction_id)).toBe(true);
  const usage = (await call('GET', '/v1/usage?group_by=tag:gantry_check')).json.results.find((r: any) => r.key === check.id);
  expect(usage.count).toBe(made.length);
  expect(usage.total_usd).toBeCloseTo(report.totals.cost_usd, 9);
  // The same through the tag filter, per hardware.
  const filtered = (await call('GET', `/v1/usage?group_by=hardware&tag=gantry_check:${check.id}`)).json;
  expect(filtered.tag).toBe(`gantry_check:${check.id}`);
  expect(filtered.results.reduce((s: number, r: any) => s + r.count, 0)).toBe(made.length);
  expect(filtered.results.map((r: any) => r.key).sort()).toEqual(['cpu', 'gpu-l40s', 'gpu-t4']);
  expect((await call('GET', '/v1/usage?tag=no-colon')).json.errors).toEqual([{ pointer: '/tag', detail: 'must be <key>:<value>, e.g. n8n_execution_id:42' }]);
  const sum = made.reduce((s: number, r: any) => s + pred(r).cost.total_usd, 0);
  expect(report.totals.cost_usd).toBeCloseTo(sum, 9);
  expect(report.totals.predict_time_s).toBeCloseTo(made.reduce((s: number, r: any) => s + pred(r).metrics.predict_time, 0), 3);
});

test('consistency: 100 % identical output, text similarity 1, no seed in the schema', () => {
  const c = item(report, 'consistency');
  const runs = runsOf(report, 'consistency');
  expect(runs).toHaveLength(4);
  const outputs = runs.map((r: any) => pred(r).output);
  expect(new Set(outputs)).toEqual(new Set(['the same words every time']));
  expect(c.status).toBe('pass');
  expect(c.figures).toEqual(expect.objectContaining({
    runs: 4, succeeded: 4, failed: 0, identical_output_rate: 1, distinct_outputs: 1, output_kind: 'text', text_similarity: 1,
    seed: { in_schema: false, used: false },
  }));
  expect(c.predictions.sort()).toEqual(runs.map((r: any) => r.prediction_id).sort());
});

test('cold start: the first run waited for a boot; its figures are the prediction\'s metrics', () => {
  const c = item(report, 'cold_start');
  const first = runsOf(report, 'consistency')[0];
  const p = pred(first);
  expect(p.metrics.cold_start).toBe(true);
  expect(c.status).toBe('pass');
  const warm = runsOf(report, 'consistency').filter((r: any) => !pred(r).metrics.cold_start).map((r: any) => pred(r).metrics.total_time);
  expect(c.figures).toEqual({
    observed: true,
    prediction_id: p.id,
    status: 'succeeded',
    setup_time_s: p.metrics.setup_time,
    queue_time_s: p.metrics.queue_time,
    predict_time_s: p.metrics.predict_time,
    total_time_s: p.metrics.total_time,
    time_to_first_output_s: ms(p.metrics.queue_time + p.metrics.predict_time),
    warm_total_time_mean_s: ms(avg(warm)),
    deadline_s: 5,
  });
  // The boot is measured by phase; echo's own setup is empty, the process start is not.
  expect(p.metrics.setup_time).toBeGreaterThanOrEqual(0);
  expect(p.metrics.boot_time).toBeGreaterThan(0);
});

test('runtime: mean, p50, p95, max over the warm runs, recomputed', () => {
  const r = item(report, 'runtime');
  const warm = runsOf(report, 'consistency').filter((x: any) => !pred(x).metrics.cold_start);
  expect(warm).toHaveLength(3);
  const predict = warm.map((x: any) => pred(x).metrics.predict_time);
  const total = warm.map((x: any) => pred(x).metrics.total_time);
  expect(r.figures.warm_runs).toBe(3);
  expect(r.figures.predict_time_s).toEqual({ n: 3, mean: ms(avg(predict)), p50: nearestRank(predict, 50), p95: nearestRank(predict, 95), min: Math.min(...predict), max: Math.max(...predict) });
  expect(r.figures.total_time_s).toEqual({ n: 3, mean: ms(avg(total)), p50: nearestRank(total, 50), p95: nearestRank(total, 95), min: Math.min(...total), max: Math.max(...total) });
  expect(r.figures.streaming).toBe(false);
  expect(r.status).toBe('pass');
});

test('worst case: the schema-limit input (sleep 600 s) is canceled at the 5 s deadline and the marked input fails: fail', () => {
  const w = item(report, 'worst_case');
  expect(w.status).toBe('fail');
  const [limits, marked] = w.figures.cases;
  expect(limits.label).toBe('schema limits');
  expect(limits.changes.map((c: any) => c.field).sort()).toEqual(['sleep', 'stream_chunks']);
  expect(w.figures.fields_without_limit.sort()).toEqual(['fail (no limit declared)', 'text (no maxLength declared)']);
  const limitsPrediction = predictions.get(limits.prediction_id);
  expect(limitsPrediction.input).toEqual(expect.objectContaining({ sleep: 600, stream_chunks: 10000 }));
  expect(limitsPrediction.status).toBe('canceled');
  expect(limits.status).toBe('canceled');
  expect(limits.predict_time_s).toBe(limitsPrediction.metrics.predict_time);
  expect(limits.predict_time_s).toBeGreaterThan(4);
  expect(limits.cost_usd).toBe(limitsPrediction.cost.total_usd);
  const markedPrediction = predictions.get(marked.prediction_id);
  expect(markedPrediction.input.fail).toBe(true);
  expect(marked).toEqual(expect.objectContaining({ label: 'marked input 1', status: 'failed', error: 'echo asked to fail' }));
  const warm = runsOf(report, 'consistency').filter((x: any) => !pred(x).metrics.cold_start);
  const typicalPredict = ms(avg(warm.map((x: any) => pred(x).metrics.predict_time)));
  expect(w.figures.typical.predict_time_mean_s).toBe(typicalPredict);
  expect(w.figures.typical.cost_mean_usd).toBe(nano(avg(warm.map((x: any) => pred(x).cost.total_usd))));
  expect(limits.runtime_ratio).toBeCloseTo(limits.predict_time_s / typicalPredict, 3);
});

test('hardware: runs on both declared GPUs, the undeclared SKU unavailable with its price; costs are each SKU\'s price', async () => {
  const h = item(report, 'hardware');
  const rows = Object.fromEntries(h.figures.hardware.map((r: any) => [r.sku, r]));
  expect(Object.keys(rows).sort()).toEqual(['cpu', 'gpu-h100', 'gpu-l40s', 'gpu-t4']);
  expect(rows['gpu-h100']).toEqual(expect.objectContaining({ available: false, runs: 0, price_per_second_usd: 0.001525 }));
  expect(rows['gpu-h100'].reason).toMatch(/gpu-h100/);
  for (const sku of ['gpu-t4', 'gpu-l40s']) {
    const runs = runsOf(report, 'hardware').filter((r: any) => r.hardware === sku);
    expect(runs).toHaveLength(4);
    const ps = runs.map(pred);
    for (const p of ps) {
      expect(p.cost.hardware).toBe(sku);
      expect(p.cost.total_usd).toBeCloseTo(p.metrics.predict_time * rows[sku].price_per_second_usd, 9);
    }
    const warm = ps.filter((p: any) => !p.metrics.cold_start);
    expect(rows[sku].predict_time_mean_s).toBe(ms(avg(warm.map((p: any) => p.metrics.predict_time))));
    expect(rows[sku].cost_per_run_usd).toBe(nano(avg(warm.map((p: any) => p.cost.total_usd))));
    // Its first run booted an instance of its own on that SKU (not the CPU instance).
    expect(ps[0].metrics.cold_start).toBe(true);
  }
  expect(rows['gpu-t4'].price_per_second_usd).toBe(0.000225);
  expect(rows['gpu-l40s'].price_per_second_usd).toBe(0.000975);
  // The recommendation follows the rule: the cheapest per run among SKUs within 20 % of the fastest.
  const timed = Object.values(rows).filter((r: any) => r.predict_time_mean_s !== null) as any[];
  const fastest = Math.min(...timed.map((r) => r.predict_time_mean_s));
  const fastEnough = timed.filter((r) => r.predict_time_mean_s <= fastest * 1.2);
  const cheapest = fastEnough.reduce((a, b) => (b.cost_per_run_usd < a.cost_per_run_usd ? b : a));
  expect(h.figures.recommended).toBe(cheapest.sku);
  expect(h.status).toBe(cheapest.sku === 'cpu' ? 'pass' : 'warn');
  // The instances ran on the declared devices.
  const cluster = (await call('GET', '/v1/cluster')).json;
  const gpuInstances = cluster.instances.filter((i: any) => i.hardware === 'gpu-t4' || i.hardware === 'gpu-l40s');
  expect(gpuInstances.map((i: any) => i.hardware).sort()).toEqual(['gpu-l40s', 'gpu-t4']);
});

test('timeout and retry: the run under the deadline succeeded, no retry; what a client sees', () => {
  const t = item(report, 'timeout_retry');
  const first = pred(report.runs.find((r: any) => r.key === 'timeout_retry.first'));
  expect(first.status).toBe('succeeded');
  expect(report.runs.find((r: any) => r.key === 'timeout_retry.retry').status).toBe('skipped');
  expect(t.status).toBe('pass');
  expect(t.figures.deadline_s).toBe(5);
  expect(t.figures.first).toEqual(expect.objectContaining({ prediction_id: first.id, status: 'succeeded', total_time_s: first.metrics.total_time }));
  expect(t.figures.margin_s).toBe(ms(5 - first.metrics.total_time));
  expect(t.figures.retry).toBeNull();
  expect(first.deadline).toBeDefined();
  expect(new Date(first.deadline).getTime() - new Date(first.created_at).getTime()).toBeGreaterThanOrEqual(4900);
});

test('cost per action: mean, p95, worst case and per 1,000 runs from the runs\' cost records', () => {
  const c = item(report, 'cost_per_action');
  const costs = runsOf(report, 'consistency').map((r: any) => pred(r).cost.total_usd);
  const worst = runsOf(report, 'worst_case').map((r: any) => pred(r).cost.total_usd);
  expect(c.figures).toEqual(expect.objectContaining({
    runs: 4,
    mean_usd: nano(avg(costs)),
    p95_usd: nano(nearestRank(costs, 95)),
    max_usd: nano(Math.max(...costs)),
    worst_case_usd: nano(Math.max(...costs, ...worst)),
    per_1000_runs_usd: nano(avg(costs) * 1000),
    unit: 'seconds',
    rule: 'hardware_time',
    unit_price_usd: 0.0001,
    hardware: 'cpu',
    check_total_usd: report.totals.cost_usd,
  }));
  expect(c.status).toBe('pass');
});

test('licence and version stability from the model', async () => {
  expect(item(report, 'license')).toEqual(expect.objectContaining({ status: 'pass' }));
  expect(item(report, 'license').figures).toEqual(expect.objectContaining({ license_url: 'https://opensource.org/licenses/MIT', source: 'model', name: 'MIT', commercial_use: 'yes' }));
  const model = (await call('GET', '/v1/models/gantry/echo')).json;
  const v = item(report, 'version_stability');
  expect(v.figures).toEqual(expect.objectContaining({
    pinned: false, checked_version: model.latest_version.id, latest_version: model.latest_version.id, checked_is_latest: true, versions: 1, schema_changes_to_latest: [],
  }));
  expect(v.status).toBe('pass');
  expect(item(report, 'compare')).toEqual(expect.objectContaining({ status: 'skipped', summary: 'No compare_with was given.' }));
});

test('a second check finds echo warm: the cold start is skipped with the reason', async () => {
  const second = await runCheck(call, { model: 'gantry/echo', input: { text: 'again' }, runs: 2, worst_case: false });
  const c = item(second.report, 'cold_start');
  expect(c.status).toBe('skipped');
  expect(c.summary).toMatch(/warm instance/);
  expect(c.figures.warm_instances_before).toBeGreaterThanOrEqual(1);
  expect(item(second.report, 'worst_case')).toEqual(expect.objectContaining({ status: 'skipped', summary: 'worst_case is false in the request.' }));
  expect(second.report.status).toBe('pass');
});

test('the report as Markdown: Accept: text/markdown and ?format=markdown', async () => {
  const md = await call('GET', `/v1/checks/${check.id}`, undefined, { accept: 'text/markdown' });
  expect(md.status).toBe(200);
  expect(md.headers.get('content-type')).toMatch(/^text\/markdown/);
  expect(md.text).toContain(`# Model check ${check.id}`);
  expect(md.text).toContain('| item | status | summary |');
  for (const i of report.items) expect(md.text).toContain(`## ${i.title}`);
  for (const r of report.runs.filter((x: any) => x.prediction_id)) expect(md.text).toContain(r.prediction_id);
  const viaQuery = await call('GET', `/v1/checks/${check.id}?format=markdown`);
  expect(viaQuery.text).toBe(md.text);
});

test('every request and answer of this file matches /openapi.json', () => expectConformant(client));
