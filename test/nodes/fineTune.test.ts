import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { N8nHarness, modelRef, setup, single, teardown, type Env } from './harness/setup';

let env: Env;
let destination: string;
const jsonl = readFileSync(join(__dirname, '..', 'engine', 'models', 'fixtures', 'support-tickets.jsonl'));

beforeAll(async () => {
  env = await setup();
  const account = await env.api('GET', '/v1/account');
  destination = `${account.json.username}/tickets-ft`;
  const created = await env.api('POST', '/v1/models', { owner: account.json.username, name: 'tickets-ft', visibility: 'private', hardware: 'cpu' });
  expect(created.status).toBe(201);
}, 120000);
afterAll(async () => teardown(env));

const fineTune = (parameters: Record<string, unknown>) =>
  single('gantryFineTune', {
    operation: 'create',
    model: modelRef('gantry/text-classifier'),
    version: '',
    destination,
    inputMode: 'json',
    inputJson: '{"epochs": 3}',
    ...parameters,
  }, 'Fine-Tune');

describe('Fine-tune', () => {
  test('webhook mode: dataset from binary data, execution waits and resumes with the new version and cost', async () => {
    const exec = await env.n8n.run(fineTune({ datasetSource: 'binary', datasetField: 'train_data', datasetBinaryProperty: 'data', waitMode: 'webhook', timeout: 600 }), 'Fine-Tune', [
      { json: {}, binary: { data: { data: jsonl.toString('base64'), mimeType: 'application/jsonl', fileName: 'tickets.jsonl' } } },
    ]);
    expect(exec.status).toBe('waiting');
    const run = await exec.done;
    expect(run.status).toBe('success');
    const [item] = N8nHarness.output(run, 'Fine-Tune');
    const json = item.json as any;
    expect(json.status).toBe('succeeded');
    expect(json.new_version).toMatch(/^[0-9a-f]{64}$/);
    // The training's own output names the version as Replicate does; the node gives both forms.
    expect(json.output.version).toBe(`${destination}:${json.new_version}`);
    expect(json.new_version_ref).toBe(json.output.version);
    expect(json.cost).toEqual(expect.objectContaining({ total_usd: expect.any(Number) }));
    expect(item.pairedItem).toEqual({ item: 0 });
    const version = await env.api('GET', `/v1/models/${destination}/versions/${json.new_version}`);
    expect(version.status).toBe(200);
  }, 120000);

  test('polling mode with the dataset given as a URL (data URI)', async () => {
    const exec = await env.n8n.run(
      fineTune({ datasetSource: 'url', datasetField: 'train_data', datasetUrl: `data:application/jsonl;base64,${jsonl.toString('base64')}`, waitMode: 'poll', pollInterval: 0.3, timeout: 120 }),
      'Fine-Tune',
    );
    expect(exec.status).toBe('success');
    const json = N8nHarness.output(exec.result, 'Fine-Tune')[0].json as any;
    expect(json).toEqual(expect.objectContaining({ status: 'succeeded', awaitStatus: 'completed', new_version: expect.any(String) }));
  }, 120000);

  test('start only, then get and cancel by id', async () => {
    const exec = await env.n8n.run(fineTune({ datasetSource: 'url', datasetUrl: `data:application/jsonl;base64,${jsonl.toString('base64')}`, waitMode: 'start', inputJson: '{"epochs": 1000}' }), 'Fine-Tune');
    const started = N8nHarness.output(exec.result, 'Fine-Tune')[0].json as any;
    expect(started.id).toEqual(expect.any(String));
    const canceled = await env.n8n.run(single('gantryFineTune', { operation: 'cancel', trainingId: started.id }, 'Cancel'), 'Cancel');
    expect((N8nHarness.output(canceled.result, 'Cancel')[0].json as any).id).toBe(started.id);
    const got = await env.n8n.run(single('gantryFineTune', { operation: 'get', trainingId: started.id }, 'Get'), 'Get');
    expect((N8nHarness.output(got.result, 'Get')[0].json as any).id).toBe(started.id);
  }, 60000);

  test('invalid training input: the API validation error becomes a clear node error', async () => {
    const exec = await env.n8n.run(fineTune({ datasetSource: 'none', inputJson: '{"epochs": 0}', waitMode: 'start' }), 'Fine-Tune');
    expect(exec.status).toBe('error');
    const error = exec.result!.data.resultData.error as any;
    expect(String(error.httpCode)).toMatch(/^4/);
    expect(error.description ?? error.message).toMatch(/epochs|train_data/);
  });

  test('a bare destination name is created under the account when missing; with creation off it must exist', async () => {
    const url = `data:application/jsonl;base64,${jsonl.toString('base64')}`;
    const exec = await env.n8n.run(fineTune({ destination: 'tickets-bare', datasetSource: 'url', datasetUrl: url, waitMode: 'start' }), 'Fine-Tune');
    expect(exec.status).toBe('success');
    const account = await env.api('GET', '/v1/account');
    const model = await env.api('GET', `/v1/models/${account.json.username}/tickets-bare`);
    expect(model.status).toBe(200);
    expect(model.json.visibility).toBe('private');
    expect((N8nHarness.output(exec.result, 'Fine-Tune')[0].json as any).destination).toBe(`${account.json.username}/tickets-bare`);

    const off = await env.n8n.run(fineTune({ destination: 'never-created', createDestination: false, datasetSource: 'url', datasetUrl: url, waitMode: 'start' }), 'Fine-Tune');
    expect(off.status).toBe('error');
    expect((await env.api('GET', `/v1/models/${account.json.username}/never-created`)).status).toBe(404);

    const bad = await env.n8n.run(fineTune({ destination: 'not a/model/name', waitMode: 'start' }), 'Fine-Tune');
    expect(bad.status).toBe('error');
    expect((bad.result!.data.resultData.error as any).message).toMatch(/Destination model "not a\/model\/name"/);
  }, 60000);
});
