import { N8nHarness, modelRef, setup, single, teardown, type Env } from './harness/setup';

let env: Env;
let owner: string;
beforeAll(async () => {
  env = await setup();
  owner = (await env.api('GET', '/v1/account')).json.username;
}, 120000);
afterAll(async () => teardown(env));

const dep = (operation: string, parameters: Record<string, unknown> = {}) =>
  single('gantryDeployment', { operation, ...parameters }, 'Deployment');
const depRef = () => modelRef(`${owner}/echo-dep`);
const first = (run: any) => N8nHarness.output(run, 'Deployment')[0]?.json as any;

describe('Deployment', () => {
  test('create, get (with cost so far), list, run through it, update, scale to zero, delete', async () => {
    const created = await env.n8n.run(dep('create', { name: 'echo-dep', model: modelRef('gantry/echo'), version: '', hardware: 'cpu', minInstances: 0, maxInstances: 1 }), 'Deployment');
    expect(created.status).toBe('success');
    expect(first(created.result)).toEqual(expect.objectContaining({ owner, name: 'echo-dep', cost_so_far: { total_usd: 0, count: 0 } }));
    expect(first(created.result).current_release.configuration).toEqual(expect.objectContaining({ hardware: 'cpu', min_instances: 0, max_instances: 1 }));

    const ran = await env.n8n.run(
      single('gantryRunModel', { operation: 'run', source: 'deployment', deployment: depRef(), inputMode: 'json', inputJson: '{"text": "via deployment"}' }, 'Run'),
      'Run',
    );
    expect(ran.status).toBe('success');
    expect((N8nHarness.output(ran.result, 'Run')[0].json as any).output).toBe('via deployment');

    const got = await env.n8n.run(dep('get', { deployment: depRef() }), 'Deployment');
    expect(first(got.result).cost_so_far).toEqual({ total_usd: expect.any(Number), count: expect.any(Number) });
    expect(first(got.result).cost_so_far.count).toBeGreaterThanOrEqual(1);
    expect(first(got.result)).toHaveProperty('instances');

    const listed = await env.n8n.run(dep('getMany', { returnAll: true }), 'Deployment');
    expect(N8nHarness.output(listed.result, 'Deployment').map((i) => i.json.name)).toContain('echo-dep');

    const updated = await env.n8n.run(dep('update', { deployment: depRef(), updateFields: { maxInstances: 2 } }), 'Deployment');
    expect(first(updated.result).current_release.configuration.max_instances).toBe(2);
    expect(first(updated.result).current_release.number).toBe(2);

    const scaled = await env.n8n.run(dep('scaleToZero', { deployment: depRef(), disable: true }), 'Deployment');
    expect(first(scaled.result).current_release.configuration).toEqual(expect.objectContaining({ min_instances: 0, max_instances: 0 }));

    const deleted = await env.n8n.run(dep('delete', { deployment: depRef() }), 'Deployment');
    expect(first(deleted.result)).toEqual({ deleted: true, deployment: `${owner}/echo-dep` });

    const gone = await env.n8n.run(dep('get', { deployment: depRef() }), 'Deployment');
    expect(gone.status).toBe('error');
    expect(gone.result!.data.resultData.error!.message).toMatch(/^Not found/);
  }, 90000);

  test('update with nothing to change is a clear configuration error', async () => {
    const exec = await env.n8n.run(dep('update', { deployment: depRef(), updateFields: {} }), 'Deployment');
    expect(exec.result!.data.resultData.error!.message).toBe('Nothing to update: add at least one field');
  });
});
