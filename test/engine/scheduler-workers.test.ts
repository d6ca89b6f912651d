/**
 * Two `gantry worker` processes on this machine declaring different GPUs: predictions for an
 * H100 version run only on the worker that has one, with CUDA_VISIBLE_DEVICES set; hardware
 * nobody has fails fast; a failing setup fails its predictions with the setup error.
 */
import { join } from 'node:path';
import { Client } from 'pg';
import { api, startEngine, startWorker, type EngineHandle } from '../helpers/engine';

let engine: EngineHandle;
const workers: Array<{ stop(): Promise<void>; output(): string }> = [];
let call: ReturnType<typeof api>;
const FIXTURES = join(__dirname, '..', 'fixtures', 'predictors');

beforeAll(async () => {
  engine = await startEngine();
  call = api(engine);
  workers.push(await startWorker(engine.databaseUrl, { GANTRY_GPUS: 'gpu-h100:2', GANTRY_WORKER_NAME: 'h100-box', GANTRY_CPU_SLOTS: '1' }));
  workers.push(await startWorker(engine.databaseUrl, { GANTRY_GPUS: 'gpu-t4:1', GANTRY_WORKER_NAME: 't4-box', GANTRY_CPU_SLOTS: '1' }));
}, 120_000);

afterAll(async () => {
  for (const w of workers) await w.stop();
  await engine?.stop();
});

async function workerOf(predictionId: string): Promise<string> {
  const db = new Client({ connectionString: engine.databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query('SELECT w.name FROM predictions p JOIN workers w ON w.id = p.worker_id WHERE p.id = $1', [predictionId]);
    return rows[0]?.name;
  } finally {
    await db.end();
  }
}

async function version(name: string, module: string, hardware: string, extra: Record<string, unknown> = {}) {
  await call('POST', '/v1/models', { owner: 'sched', name, visibility: 'private', hardware });
  const res = await call('POST', `/v1/models/sched/${name}/versions`, { runner: { type: 'node', module }, hardware, ...extra });
  expect(res.status).toBe(201);
  return res.json.id as string;
}

test('hardware lists what the live workers serve', async () => {
  const res = await call('GET', '/v1/hardware');
  const skus = res.json.map((h: any) => h.sku);
  expect(skus).toEqual(expect.arrayContaining(['cpu', 'gpu-h100', 'gpu-h100-2x', 'gpu-t4']));
  expect(skus).not.toContain('gpu-l40s');
});

test('an H100 version runs only on the H100 worker, with CUDA_VISIBLE_DEVICES', async () => {
  const id = await version('h100-env', join(FIXTURES, 'gpu-env.js'), 'gpu-h100');
  for (let i = 0; i < 3; i++) {
    const res = await call('POST', '/v1/predictions', { version: id, input: {} }, { prefer: 'wait=30' });
    expect(res.json.status).toBe('succeeded');
    expect(res.json.output.cuda_visible_devices).toMatch(/^[01]$/);
    expect(res.json.cost.hardware).toBe('gpu-h100');
    expect(await workerOf(res.json.id)).toBe('h100-box');
  }
  const t4 = await version('t4-env', join(FIXTURES, 'gpu-env.js'), 'gpu-t4');
  const res = await call('POST', '/v1/predictions', { version: t4, input: {} }, { prefer: 'wait=30' });
  expect(res.json.output.cuda_visible_devices).toBe('0');
  expect(await workerOf(res.json.id)).toBe('t4-box');
});

test('a two-GPU version gets both devices of one worker', async () => {
  const id = await version('h100x2-env', join(FIXTURES, 'gpu-env.js'), 'gpu-h100-2x');
  const res = await call('POST', '/v1/predictions', { version: id, input: {} }, { prefer: 'wait=30' });
  expect(res.json.status).toBe('succeeded');
  expect(res.json.output.cuda_visible_devices).toBe('0,1');
  expect(res.json.metrics.cold_start).toBe(true);
  // The cold start by phase: the process start is measurable; this model's own setup does nothing.
  expect(res.json.metrics.boot_time).toBeGreaterThan(0);
  expect(res.json.metrics.setup_time).toBeGreaterThanOrEqual(0);
  expect(res.json.metrics.fetch_time).toBe(0);
});

test('hardware nobody has fails fast instead of queueing forever', async () => {
  const id = await version('a100-env', join(FIXTURES, 'gpu-env.js'), 'gpu-a100-large');
  const res = await call('POST', '/v1/predictions', { version: id, input: {} }, { prefer: 'wait=10' });
  expect(res.status).toBeGreaterThanOrEqual(400);
  expect(res.status).toBeLessThan(500);
  expect(JSON.stringify(res.json)).toMatch(/gpu-a100-large/);
});

test('a setup failure fails waiting predictions with the setup error and its logs', async () => {
  const id = await version('bad-setup', join(FIXTURES, 'bad-setup.js'), 'cpu');
  const res = await call('POST', '/v1/predictions', { version: id, input: {} }, { prefer: 'wait=30' });
  expect(res.json.status).toBe('failed');
  expect(res.json.error).toMatch(/setup failed: .*weights not found/);
  expect(res.json.logs).toMatch(/loading weights from \/nowhere/);
});

test('when nothing fits, the prediction waits with the reasons in its logs and in /v1/cluster', async () => {
  // A two-GPU version busy on both H100s; a one-GPU version must wait (the busy one cannot be evicted).
  const big = await version('h100x2-busy', join(FIXTURES, 'gpu-env.js'), 'gpu-h100-2x');
  const small = await version('h100-waits', join(FIXTURES, 'gpu-env.js'), 'gpu-h100');
  const running = await call('POST', '/v1/predictions', { version: big, input: { sleep: 6 } });
  for (let i = 0; i < 100; i++) {
    if ((await call('GET', `/v1/predictions/${running.json.id}`)).json.status === 'processing') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const waiting = await call('POST', '/v1/predictions', { version: small, input: {} });
  let cluster: any;
  let logs = '';
  for (let i = 0; i < 60; i++) {
    cluster = (await call('GET', '/v1/cluster')).json;
    logs = (await call('GET', `/v1/predictions/${waiting.json.id}`)).json.logs;
    if (logs && cluster.workers.some((w: any) => w.pending.length)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  expect(logs).toMatch(/waiting for capacity: .*device/);
  const box = cluster.workers.find((w: any) => w.name === 'h100-box');
  expect(box.pending).toEqual([expect.objectContaining({ version: small, reasons: expect.arrayContaining([expect.stringMatching(/device/)]) })]);
  const done = await call('POST', '/v1/predictions', { version: small, input: {} }, { prefer: 'wait=30' });
  expect(done.json.status).toBe('succeeded');
}, 60_000);
