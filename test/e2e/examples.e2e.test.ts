/**
 * End to end: this package, packed with `npm pack` and installed as a community node into a real
 * n8n on Node 24 — 2.41.1, and 1.123.81 (the last 1.x) — runs every workflow in examples/ against
 * a real Gantry engine. Manual workflows go through `n8n import:workflow` + `n8n execute --id`;
 * webhook-triggered ones through `n8n start`, HTTP calls, and n8n's public API.
 * `GANTRY_E2E_N8N_VERSIONS="2.41.1"` limits the run to the versions given.
 */
import { api, startEngine, type EngineHandle } from '../helpers/engine';
import { exampleFiles, loadExample } from './harness/examples';
import { e2eVersions, keepLogs, N8n, nodeOutput, packPackage, provision, type Execution } from './harness/n8n';
import { runWebhookAwaitRespond } from './harness/webhook-await';

const CREDENTIAL = { id: 'gantryE2eCred001', name: 'Gantry (e2e engine)' };
const IDS: Record<string, string> = {
  '01-ocr-then-classify.json': 'gantryExample01',
  '02-fine-tune-classifier.json': 'gantryExample02',
  '03-deployment-burst.json': 'gantryExample03',
  '04-webhook-await-respond.json': 'gantryExample04',
  '05-alert-on-failed-predictions.json': 'gantryExample05',
};

function expectSuccess(execution: Execution): void {
  const error = execution.data.resultData.error;
  if (execution.status !== 'success') throw new Error(`execution ${execution.status}: ${error?.message ?? JSON.stringify(execution).slice(0, 2000)}`);
}

describe.each(e2eVersions())('n8n %s', (version) => {
  let engine: EngineHandle;
  let n8n: N8n;
  let call: ReturnType<typeof api>;

  beforeAll(async () => {
    const runtime = provision(version);
    expect(runtime.version).toBe(version);
    const tarball = packPackage();
    // Request lines as JSON, so the harness can count the engine's reads (engineRequests).
    engine = await startEngine({ env: { GANTRY_LOG: 'debug', GANTRY_LOG_FORMAT: 'json' } });
    call = api(engine);
    n8n = await N8n.create(runtime, tarball);
    await n8n.importCredential({ ...CREDENTIAL, type: 'gantryApi', data: { baseUrl: engine.url, apiToken: engine.token } });
    for (const file of exampleFiles()) {
      const workflow = loadExample(file, IDS[file] ?? file, CREDENTIAL);
      await n8n.importWorkflow(workflow);
    }
  }, 1_800_000);

  afterAll(async () => {
    keepLogs(`examples-${version}`, { 'n8n-main': n8n?.log(), engine: engine?.output() });
    await n8n?.remove();
    await engine?.stop();
  });

  test('every example in examples/ has an end-to-end test here', () => {
    expect(exampleFiles()).toEqual(Object.keys(IDS));
    expect(n8n.installedPackages()).toEqual(expect.arrayContaining(['n8n-nodes-gantry', 'n8n-workflow']));
  });

  describe('manual workflows (n8n execute)', () => {
    test('1: OCR reads two review images, the classifier labels them, the cost is summed', async () => {
      const execution = await n8n.execute(IDS['01-ocr-then-classify.json']);
      expectSuccess(execution);
      const perImage = nodeOutput(execution, 'Per image');
      expect(perImage).toEqual([
        expect.objectContaining({ file: 'review-positive.png', text: expect.stringMatching(/great service/i), label: 'positive' }),
        expect.objectContaining({ file: 'review-negative.png', text: expect.stringMatching(/arrived broken/i), label: 'negative' }),
      ]);
      for (const item of perImage) {
        expect(item.ocr_cost_usd).toBeGreaterThan(0);
        expect(item.classifier_cost_usd).toBeGreaterThan(0);
        expect(item.cost_usd).toBeCloseTo(item.ocr_cost_usd + item.classifier_cost_usd, 12);
      }
      const [total] = nodeOutput(execution, 'Total cost');
      expect(total.count_file).toBe(2);
      expect(total.sum_cost_usd).toBeCloseTo(perImage[0].cost_usd + perImage[1].cost_usd, 12);
      // The OCR step got the image as n8n binary data, and its predictions carry the workflow's tags.
      const ocr = nodeOutput(execution, 'Read text (OCR)');
      expect(ocr[0].tags).toEqual(expect.objectContaining({ n8n_workflow_id: IDS['01-ocr-then-classify.json'], n8n_node: 'Read text (OCR)' }));
      expect(ocr[0].input.image).toMatch(/^data:image\/png;base64,/);
    });

    test('2: fine-tunes the classifier on labelled tickets, then the new version routes a new ticket', async () => {
      const execution = await n8n.execute(IDS['02-fine-tune-classifier.json']);
      expectSuccess(execution);
      const [training] = nodeOutput(execution, 'Fine-tune');
      expect(training).toEqual(expect.objectContaining({ status: 'succeeded', new_version: expect.stringMatching(/^[0-9a-f]{64}$/) }));
      const [result] = nodeOutput(execution, 'Result');
      expect(result).toEqual(expect.objectContaining({ label: 'billing', new_version: training.new_version }));
      expect(result.training_cost_usd).toBeGreaterThan(0);
      expect(result.prediction_cost_usd).toBeGreaterThan(0);
      // The destination did not exist: the node created it under the token's account.
      const account = await call('GET', '/v1/account');
      const model = await call('GET', `/v1/models/${account.json.username}/ticket-router`);
      expect(model.status).toBe(200);
      expect(model.json.latest_version.id).toBe(training.new_version);
    });

    test('3: a min-1 deployment takes a burst of 8, scales to zero, and reports setup, idle and prediction cost', async () => {
      const execution = await n8n.execute(IDS['03-deployment-burst.json']);
      expectSuccess(execution);
      const awaited = nodeOutput(execution, 'Await all');
      expect(awaited).toHaveLength(8);
      expect(new Set(awaited.map((p) => p.status))).toEqual(new Set(['succeeded']));
      expect(awaited.map((p) => p.output)).toEqual(['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight']);
      const [report] = nodeOutput(execution, 'Cost report');
      expect(report.predictions).toBe(8);
      expect(report.prediction_usd).toBeGreaterThan(0);
      expect(report.setup_seconds).toBeGreaterThan(0);
      expect(report.setup_usd).toBeGreaterThan(0);
      expect(report.idle_seconds).toBeGreaterThan(0);
      expect(report.total_usd).toBeCloseTo(report.prediction_usd + report.setup_usd + report.idle_usd, 9);
      expect(report.instances_now).toBe(0);
      const [summed] = nodeOutput(execution, 'Prediction cost');
      expect(summed.sum_cost_total_usd).toBeCloseTo(report.prediction_usd, 9);
      const deployment = await call('GET', `/v1/deployments/${report.deployment}`);
      expect(deployment.json.current_release.configuration).toEqual(expect.objectContaining({ min_instances: 0, max_instances: 0 }));
    });
  });

  describe('webhook-triggered workflows (n8n start)', () => {
    beforeAll(async () => {
      await n8n.publish(IDS['04-webhook-await-respond.json']);
      await n8n.publish(IDS['05-alert-on-failed-predictions.json']);
      await n8n.start();
    }, 180_000);

    test('4: Await Prediction sleeps until the engine calls back (no polling), then the webhook caller gets the result', async () => {
      await runWebhookAwaitRespond(n8n, engine, IDS['04-webhook-await-respond.json']);
    });

    test('5: Gantry Trigger fires for a failed prediction of the model, not for a successful one', async () => {
      const workflowId = IDS['05-alert-on-failed-predictions.json'];
      const subscriptions = await call('GET', '/v1/webhooks');
      expect(subscriptions.json.results).toEqual([expect.objectContaining({ model: 'gantry/echo', events: ['completed'], url: expect.stringContaining(n8n.url) })]);
      const before = (await n8n.executions(workflowId)).length;

      const ok = await call('POST', '/v1/models/gantry/echo/predictions', { input: { text: 'fine' } }, { Prefer: 'wait' });
      expect(ok.json.status).toBe('succeeded');
      const failed = await call('POST', '/v1/models/gantry/echo/predictions', { input: { text: 'boom', fail: true } }, { Prefer: 'wait' });
      expect(failed.json.status).toBe('failed');

      const list = await n8n.waitForExecutions(workflowId, (l) => l.length > before && l.every((e) => e.status === 'success'), 60_000);
      // Give a wrongly delivered "succeeded" event time to show up before counting.
      await new Promise((r) => setTimeout(r, 2000));
      expect((await n8n.executions(workflowId)).length).toBe(before + 1);
      const [alert] = nodeOutput(list[0], 'Alert');
      expect(alert).toEqual({ alert: `Prediction ${failed.json.id} of gantry/echo failed: echo asked to fail`, prediction_id: failed.json.id, status: 'failed' });

      // Unpublishing the workflow removes the trigger's subscription from the engine.
      // (n8n tears triggers down after it answers, so wait for it.)
      await n8n.unpublish(workflowId);
      const deadline = Date.now() + 20_000;
      let left = (await call('GET', '/v1/webhooks')).json.results;
      while (left.length > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        left = (await call('GET', '/v1/webhooks')).json.results;
      }
      if (left.length > 0) throw new Error(`subscription still there after unpublish; n8n said:\n${n8n.log().slice(-3000)}`);
    });
  });
});
