/**
 * Gantry Check in-process (n8n-core's WorkflowExecute) against a real engine: Check Model starts
 * a check and pauses the execution until the engine's completion webhook resumes it (no polling:
 * the engine's request log shows the check read twice: before the wait and on the callback), and
 * Execution Cost sums the usage of the predictions Run Model made in the same execution.
 */
import { N8nHarness, PKG, modelRef, setup, single, teardown, type Env } from './harness/setup';
import type { WorkflowDef } from './harness/n8n';

let env: Env;
beforeAll(async () => {
  // Request lines as JSON (the default text format quotes their fields), so reads of the check can be counted.
  env = await setup({ env: { GANTRY_LOG: 'debug', GANTRY_LOG_FORMAT: 'json' } });
}, 120000);
afterAll(async () => teardown(env));

const checkNode = (parameters: Record<string, unknown>) =>
  single('gantryCheck', { operation: 'checkModel', model: modelRef('gantry/echo'), version: '', waitMode: 'webhook', timeout: 600, ...parameters }, 'Check');

test('Check Model: waits through the resume webhook, then outputs the report', async () => {
  const exec = await env.n8n.run(
    checkNode({ inputJson: '{"text": "from n8n", "sleep": 0.5}', checkOptions: { runs: 3, worstCase: false, deadline: '10s' } }),
    'Check',
  );
  expect(exec.status).toBe('waiting');
  const run = await exec.done;
  expect(run.status).toBe('success');
  const [item] = N8nHarness.output(run, 'Check');
  const check = item.json as any;
  expect(check).toEqual(expect.objectContaining({ status: 'succeeded', model: 'gantry/echo', awaitStatus: 'completed', passed: true, runs: 3, timeout: '10s' }));
  expect(check.webhook).toBe(`${env.n8n.baseUrl}/webhook-waiting/${exec.id}`);
  expect(check.report.items).toHaveLength(10);
  const consistency = check.report.items.find((i: any) => i.key === 'consistency');
  expect(consistency.figures.identical_output_rate).toBe(1);
  // Nothing polled: the check was read exactly twice, once before the wait and once on the callback.
  const reads = env.engine.output().split('\n').filter((l) => l.includes(`/v1/checks/${check.id}`) && l.includes('"method":"GET"'));
  expect(reads).toHaveLength(2);
  // The report is the engine's own.
  const stored = (await env.api('GET', `/v1/checks/${check.id}`)).json;
  expect(check.report).toEqual(stored.report);
});

test('Check Model: a failing worst case gives passed false; polling mode works too', async () => {
  const exec = await env.n8n.run(
    checkNode({ waitMode: 'poll', pollInterval: 0.3, inputJson: '{"text": "x"}', checkOptions: { runs: 2, worstCase: false, worstCaseInput: '{"fail": true}' } }),
    'Check',
  );
  expect(exec.status).toBe('success');
  const check = N8nHarness.output(exec.result, 'Check')[0].json as any;
  expect(check.passed).toBe(false);
  expect(check.report.items.find((i: any) => i.key === 'worst_case').status).toBe('fail');
});

test('Check Model: bad input is a clear node error naming the field', async () => {
  const exec = await env.n8n.run(checkNode({ inputJson: '{"bogus": 1}' }), 'Check');
  expect(exec.status).toBe('error');
  const error = exec.result!.data.resultData.error as any;
  expect(error.message).toMatch(/Invalid input/);
  expect(`${error.message} ${error.description}`).toContain('/input/bogus');
});

test('Execution Cost: the usage of the predictions this execution made', async () => {
  const def: WorkflowDef = {
    nodes: [
      {
        name: 'Run',
        type: `${PKG}.gantryRunModel`,
        parameters: { operation: 'run', source: 'model', model: modelRef('gantry/echo'), version: '', inputMode: 'json', inputJson: '={{ JSON.stringify({ text: $json.t }) }}', mode: 'wait' } as never,
      },
      { name: 'Cost', type: `${PKG}.gantryCheck`, parameters: { operation: 'executionCost' } as never, executeOnce: true },
    ],
    connections: { Run: { main: [[{ node: 'Cost', type: 'main' as never, index: 0 }]] } },
  };
  const exec = await env.n8n.run(def, 'Run', [{ json: { t: 'a' } }, { json: { t: 'b' } }, { json: { t: 'c' } }]);
  expect(exec.status).toBe('success');
  const runs = N8nHarness.output(exec.result, 'Run').map((i) => i.json as any);
  const [cost] = N8nHarness.output(exec.result, 'Cost');
  const expected = runs.reduce((s, r) => s + r.cost.total_usd, 0);
  expect(cost.json).toEqual(expect.objectContaining({ execution_id: exec.id, predictions: 3 }));
  expect((cost.json as any).total_usd).toBeCloseTo(expected, 9);
  expect((cost.json as any).by_model).toEqual([expect.objectContaining({ model: 'gantry/echo', predictions: 3, unit: 'seconds' })]);
  // Another execution's cost by id; an execution without predictions costs nothing.
  const other = await env.n8n.run(single('gantryCheck', { operation: 'executionCost', executionId: exec.id }, 'Cost'), 'Cost');
  expect((N8nHarness.output(other.result, 'Cost')[0].json as any).total_usd).toBeCloseTo(expected, 9);
  const none = await env.n8n.run(single('gantryCheck', { operation: 'executionCost' }, 'Cost'), 'Cost');
  expect(N8nHarness.output(none.result, 'Cost')[0].json).toEqual(expect.objectContaining({ total_usd: 0, predictions: 0, by_model: [] }));
});
