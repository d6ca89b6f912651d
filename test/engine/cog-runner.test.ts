/**
 * The `cog` runner against a FAKE Cog server (test/fixtures/fake-cog.js, written from Cog's
 * documented HTTP API; no Docker here): started from a command template with {port} and {gpus},
 * setup waits for READY, predictions run through PUT /predictions/{id}, logs and billing metrics
 * come back, cancel reaches the server, SETUP_FAILED fails waiting predictions with its logs,
 * and a server reached by URL describes its own schema.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { api, startEngine, type EngineHandle } from '../helpers/engine';

const FAKE = join(__dirname, '..', 'fixtures', 'fake-cog.js');
let engine: EngineHandle;
let call: ReturnType<typeof api>;

beforeAll(async () => {
  engine = await startEngine({ env: { GANTRY_GPUS: 'gpu-t4:1' } });
  call = api(engine);
  await call('POST', '/v1/models', { owner: 'cog', name: 'upper', visibility: 'private', hardware: 'gpu-t4' });
}, 90_000);
afterAll(async () => engine?.stop());

const schema = {
  openapi: '3.0.2',
  components: { schemas: { Input: { type: 'object', properties: { text: { type: 'string' }, sleep: { type: 'number', default: 0 } } }, Output: {} } },
};

test('a command-started Cog server on a GPU: setup, predict, logs, billing metrics, cancel', async () => {
  const v = await call('POST', '/v1/models/cog/upper/versions', {
    runner: { type: 'cog', command: `node ${FAKE} --port {port} --gpus {gpus}` },
    hardware: 'gpu-t4',
    openapi_schema: schema,
    pricing: [{ rule: 'per_image', unit_price_usd: 0.003 }],
  });
  expect(v.status).toBe(201);
  const res = await call('POST', '/v1/predictions', { version: v.json.id, input: { text: 'shout' } }, { prefer: 'wait=30' });
  expect(res.json.status).toBe('succeeded');
  expect(res.json.output).toEqual({ text: 'SHOUT', gpus: '0' });
  expect(res.json.logs).toContain('uppercasing');
  expect(res.json.metrics.cold_start).toBe(true);
  expect(res.json.cost).toEqual(expect.objectContaining({ rule: 'per_image', quantity: 2, total_usd: 0.006 }));

  const slow = await call('POST', '/v1/predictions', { version: v.json.id, input: { text: 'x', sleep: 20 } });
  for (let i = 0; i < 100; i++) {
    if ((await call('GET', `/v1/predictions/${slow.json.id}`)).json.status === 'processing') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const canceled = await call('POST', `/v1/predictions/${slow.json.id}/cancel`);
  expect(canceled.json.status).toBe('canceled');
  expect(canceled.json.metrics.predict_time).toBeLessThan(10);
}, 60_000);

test('SETUP_FAILED fails the waiting prediction with the setup logs', async () => {
  const v = await call('POST', '/v1/models/cog/upper/versions', {
    runner: { type: 'cog', command: `node ${FAKE} --port {port} --fail-setup` },
    hardware: 'gpu-t4',
    openapi_schema: schema,
  });
  const res = await call('POST', '/v1/predictions', { version: v.json.id, input: {} }, { prefer: 'wait=30' });
  expect(res.json.status).toBe('failed');
  expect(res.json.error).toMatch(/SETUP_FAILED .*CUDA out of memory/);
}, 60_000);

test('a Cog server reached by URL gives its own schema; bad inputs are 422 before it is called', async () => {
  const server = spawn(process.execPath, [FAKE, '--port', '18766', '--setup-ms', '0'], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 500));
    await call('POST', '/v1/models', { owner: 'cog', name: 'remote', visibility: 'private', hardware: 'cpu' });
    const v = await call('POST', '/v1/models/cog/remote/versions', { runner: { type: 'cog', url: 'http://127.0.0.1:18766' } });
    expect(v.status).toBe(201);
    expect(v.json.openapi_schema.components.schemas.Input.properties.text).toBeTruthy();
    const bad = await call('POST', '/v1/predictions', { version: v.json.id, input: { text: 7 } });
    expect(bad.status).toBe(422);
    const res = await call('POST', '/v1/predictions', { version: v.json.id, input: { text: 'remote' } }, { prefer: 'wait=30' });
    expect(res.json.output.text).toBe('REMOTE');
    const unreachable = await call('POST', '/v1/models/cog/remote/versions', { runner: { type: 'cog', url: 'http://127.0.0.1:1' } });
    expect(unreachable.status).toBe(422);
    expect(unreachable.json.errors[0].pointer).toBe('/runner/url');
  } finally {
    server.kill();
  }
}, 60_000);
