/** Each checklist item's status rule, as tables over constructed runs (the API tests cover the figures end to end). */
import { consistencyItem } from '../../../engine/src/checks/items/consistency';
import { coldStartItem } from '../../../engine/src/checks/items/cold-start';
import { runtimeItem } from '../../../engine/src/checks/items/runtime';
import { worstCaseItem } from '../../../engine/src/checks/items/worst-case';
import { compareItem } from '../../../engine/src/checks/items/compare';
import { hardwareItem, recommendSku } from '../../../engine/src/checks/items/hardware';
import { timeoutRetryItem, clientView } from '../../../engine/src/checks/items/timeout-retry';
import { costPerActionItem } from '../../../engine/src/checks/items/cost-per-action';
import { licenseItem } from '../../../engine/src/checks/items/license';
import { versionStabilityItem } from '../../../engine/src/checks/items/version-stability';
import { buildReport } from '../../../engine/src/checks/report';
import { input, run, typical } from './fixtures';

describe('consistency', () => {
  test.each([
    ['identical outputs pass', typical(3), 'pass', 1],
    ['one different output warns', typical(3, (i) => (i === 2 ? { output_digest: 'd2', output_text: 'other words' } : {})), 'warn', 0.6667],
    ['a failed run fails', typical(3, (i) => (i === 1 ? { status: 'failed', error: 'boom' } : {})), 'fail', 1],
  ])('%s', (_name, runs, status, rate) => {
    const i = consistencyItem(input(runs));
    expect(i.status).toBe(status);
    expect(i.figures.identical_output_rate).toBe(rate);
  });
  test('no runs: skipped, saying why', () => {
    expect(consistencyItem(input([], { stopped: 'the check was canceled' }))).toEqual(expect.objectContaining({ status: 'skipped', summary: 'not run: the check was canceled' }));
  });
  test('file outputs: the content hashes are the figure', () => {
    const i = consistencyItem(input(typical(2, () => ({ output_text: null, file_hashes: ['abc'] }))));
    expect(i.figures).toEqual(expect.objectContaining({ output_kind: 'files', file_hashes: ['abc'], text_similarity: null }));
  });
});

describe('cold_start', () => {
  test('observed and within the deadline: pass, with the time to first output', () => {
    const i = coldStartItem(input(typical(3)));
    expect(i.status).toBe('pass');
    expect(i.figures).toEqual(expect.objectContaining({ setup_time_s: 2, queue_time_s: 2.1, time_to_first_output_s: 3.1, warm_total_time_mean_s: 1.1 }));
  });
  test('streaming: the first output comes before the end of predict', () => {
    const i = coldStartItem(input(typical(2, (n) => (n === 0 ? { time_to_first_output_s: 0.25 } : {}))));
    expect(i.figures.time_to_first_output_s).toBe(2.35);
  });
  test('longer than the deadline: warn', () => {
    const base = input(typical(2));
    expect(coldStartItem({ ...base, plan: { ...base.plan, deadline_s: 3 } }).status).toBe('warn');
  });
  test('the cold run failed: fail', () => {
    expect(coldStartItem(input(typical(2, (n) => (n === 0 ? { status: 'failed', error: 'setup failed' } : {})))).status).toBe('fail');
  });
  test.each([
    ['a warm instance', { warm_instances_before: 2 }, null, /2 warm instance\(s\)/],
    ['a deployment with min instances', { warm_instances_before: 1, deployment_min_instances: 1 }, 'acme/d', /deployment acme\/d keeps 1 instance/],
    ['a race', { warm_instances_before: 0 }, null, /no run waited for a boot/],
  ])('not cold because of %s: skipped with the reason', (_n, observations, deployment, reason) => {
    const base = input(typical(2, () => ({ cold_start: false })), { observations });
    const i = coldStartItem({ ...base, request: { ...base.request, deployment } });
    expect(i.status).toBe('skipped');
    expect(i.summary).toMatch(reason);
  });
});

describe('runtime', () => {
  test('warm runs only; over the deadline fails, over half of it warns', () => {
    const runs = typical(3, (i) => (i > 0 ? { total_time_s: 40, predict_time_s: 39 } : {}));
    const base = input(runs);
    expect(runtimeItem(base).figures.warm_runs).toBe(2);
    expect(runtimeItem(base).status).toBe('warn');
    expect(runtimeItem({ ...base, plan: { ...base.plan, deadline_s: 30 } }).status).toBe('fail');
    expect(runtimeItem({ ...base, plan: { ...base.plan, deadline_s: 100 } }).status).toBe('pass');
  });
  test('time to first output over the warm runs of a streaming model', () => {
    const i = runtimeItem(input(typical(3, (n) => ({ time_to_first_output_s: 0.1 * (n + 1) }))));
    expect(i.figures.streaming).toBe(true);
    expect(i.figures.time_to_first_output_s).toEqual({ n: 2, mean: 0.25, p50: 0.2, p95: 0.3, min: 0.2, max: 0.3 });
  });
});

describe('worst_case', () => {
  const plan = (labels: string[]) => ({ runs: [], hardware: [], deadline_s: 60, worst_case: { inputs: labels.map((label) => ({ label, input: {}, changes: [] })) } });
  test.each([
    ['succeeds near the typical run', { predict_time_s: 2, cost_usd: 0.0002 }, 'pass'],
    ['succeeds but takes 20× as long', { predict_time_s: 20, cost_usd: 0.0002 }, 'warn'],
    ['is canceled at the deadline', { status: 'canceled' as const }, 'fail'],
    ['is refused by the create path', { status: 'refused' as const, prediction_id: null, error: '422 /input/x: bad' }, 'fail'],
  ])('a worst case that %s', (_n, over, status) => {
    const i = worstCaseItem(input([...typical(3), run('worst_case.1', { label: 'schema limits', ...over })], { plan: plan(['schema limits']) }));
    expect(i.status).toBe(status);
  });
  test('no inputs: skipped with the plan\'s reason', () => {
    expect(worstCaseItem(input(typical(2))).summary).toBe('worst_case is false in the request.');
  });
});

describe('compare', () => {
  const other = (over = {}) => [1, 2].map((n) => run(`compare.${n}`, { model: 'acme/other', version: 'v9', ...over }));
  test.each([
    ['the other is much cheaper at the same speed', other({ cost_usd: 0.00005 }), typical(2), 'warn'],
    ['the other is dearer', other({ cost_usd: 0.001 }), typical(2), 'pass'],
    ['only the checked model fails', other(), typical(2, (i) => (i === 1 ? { status: 'failed' } : {})), 'fail'],
  ])('%s', (_n, theirs, mine, status) => {
    const i = compareItem(input([...mine, ...theirs], { compare: { model: 'acme/other', version: 'v9' } }));
    expect(i.status).toBe(status);
  });
});

describe('hardware', () => {
  test('the cheapest SKU within 20 % of the fastest', () => {
    expect(recommendSku([
      { sku: 'a', predict_time_mean_s: 1, cost_per_run_usd: 3 },
      { sku: 'b', predict_time_mean_s: 1.19, cost_per_run_usd: 2 },
      { sku: 'c', predict_time_mean_s: 1.3, cost_per_run_usd: 1 },
    ])).toEqual({ fastest: 'a', recommended: 'b' });
  });
  test('a cheaper SKU than the model\'s own warns; unavailable SKUs are listed with their price', () => {
    const runs = [...typical(3), ...[1, 2, 3].map((n) => run(`hardware.gpu-t4.${n}`, { hardware: 'gpu-t4', predict_time_s: 0.1, cost_usd: 0.0000225, cold_start: n === 1 }))];
    const base = input(runs);
    const i = hardwareItem({ ...base, plan: { ...base.plan, hardware: [{ sku: 'gpu-t4', available: true }, { sku: 'gpu-h100', available: false, reason: 'no worker in the cluster has gpu-h100' }] } });
    expect(i.status).toBe('warn');
    expect(i.figures.recommended).toBe('gpu-t4');
    const h100 = (i.figures.hardware as any[]).find((r) => r.sku === 'gpu-h100');
    expect(h100).toEqual(expect.objectContaining({ available: false, reason: 'no worker in the cluster has gpu-h100' }));
    expect((i.figures.hardware as any[]).find((r) => r.sku === 'gpu-t4').runs).toBe(3);
  });
});

describe('timeout_retry', () => {
  test.each([
    ['the run succeeds', [run('timeout_retry.first')], 'pass'],
    ['the run is canceled and the retry succeeds', [run('timeout_retry.first', { status: 'canceled' }), run('timeout_retry.retry')], 'warn'],
    ['both fail', [run('timeout_retry.first', { status: 'aborted' }), run('timeout_retry.retry', { status: 'failed', error: 'x' })], 'fail'],
  ])('%s', (_n, runs, status) => {
    expect(timeoutRetryItem(input(runs)).status).toBe(status);
  });
  test('what the official client does with each end state', () => {
    expect(clientView(run('x', { status: 'failed', error: 'oops' })).replicate_js).toBe('replicate.run() throws "Prediction failed: oops"');
    expect(clientView(run('x', { status: 'canceled' })).replicate_js).toMatch(/resolves with null/);
    expect(clientView(run('x', { status: 'aborted' })).replicate_js).toMatch(/resolves with null/);
  });
});

test('cost per action: per-unit rules name their unit; no success fails', () => {
  const i = costPerActionItem(input(typical(2, () => ({ cost_rule: 'per_image', unit_price_usd: 0.003, cost_usd: 0.006, cost_quantity: 2 }))));
  expect(i.figures).toEqual(expect.objectContaining({ unit: 'images', price_rule: 'images × $0.003 each', per_1000_runs_usd: 6, quantity_mean: 2 }));
  expect(costPerActionItem(input(typical(2, () => ({ status: 'failed' })))).status).toBe('fail');
});

test.each([
  [null, 'warn', 'unknown'],
  ['https://www.apache.org/licenses/LICENSE-2.0', 'pass', 'yes'],
  ['https://spdx.org/licenses/CC-BY-NC-4.0', 'warn', 'no'],
  ['https://github.com/black-forest-labs/flux/blob/main/model_licenses/LICENSE-FLUX1-dev', 'warn', 'no'],
  ['https://github.com/meta-llama/llama3/blob/main/LICENSE', 'warn', 'conditional'],
  ['https://github.com/someone/model/blob/main/LICENSE', 'warn', 'unknown'],
])('licence %s → %s', (url, status, use) => {
  const base = input([]);
  const i = licenseItem({ ...base, model: { ...base.model, license_url: url } });
  expect(i.status).toBe(status);
  expect(i.figures.commercial_use).toBe(use);
});

describe('version_stability', () => {
  const versions = [
    { id: 'v2', created_at: '2026-11-02T00:00:00.000Z', input_schema: { properties: { b: { type: 'integer', maximum: 10 }, c: { type: 'string', default: 'x' } }, required: ['b'] } },
    { id: 'v1', created_at: '2026-11-01T00:00:00.000Z', input_schema: { properties: { a: { type: 'string' }, b: { type: 'integer' } } } },
  ];
  const at = (pinned: string | null, checked: string) => {
    const base = input([]);
    return versionStabilityItem({
      ...base,
      request: { ...base.request, pinned_version: pinned },
      checked: { ...base.checked, version: checked },
      model: { ...base.model, versions, latest_version: 'v2', checked_schema: versions.find((v) => v.id === checked)!.input_schema },
    });
  };
  test('pinned to an older version: pass, with the changes to the latest', () => {
    const i = at('v1', 'v1');
    expect(i.status).toBe('pass');
    expect(i.figures.schema_changes_to_latest).toEqual([
      { field: 'a', change: 'removed', detail: 'sending it is now an error' },
      { field: 'b', change: 'changed', detail: 'maximum: null → 10' },
      { field: 'b', change: 'now required', detail: 'callers that omit it get 422' },
      { field: 'c', change: 'added', detail: 'optional, default "x"' },
    ]);
    expect(i.figures.latest_created_at).toBe('2026-11-02T00:00:00.000Z');
  });
  test('not pinned with several versions: warn', () => {
    expect(at(null, 'v2').status).toBe('warn');
  });
});

test('the report: counts, overall status, totals over every prediction made (superseded ones too)', () => {
  const runs = typical(2);
  const superseded = [run('consistency.2', { attempt: 1, status: 'failed', error: 'interrupted: x', cost_usd: 0.5, predict_time_s: 3, prediction_id: 'old' })];
  const r = buildReport({ ...input(runs), superseded });
  expect(r.items).toHaveLength(10);
  expect(Object.values(r.counts).reduce((a, b) => a + b, 0)).toBe(10);
  expect(r.totals).toEqual({ predictions: 3, cost_usd: 0.5002, predict_time_s: 5 });
  const { output_text: _t, ...listed } = superseded[0];
  expect(r.superseded_runs).toEqual([listed]);
  // Output texts are kept for the similarity figure, not copied into the report.
  expect(JSON.stringify(r)).not.toContain('same text');
  expect(r.status).toBe(r.counts.fail ? 'fail' : r.counts.warn ? 'warn' : 'pass');
});
