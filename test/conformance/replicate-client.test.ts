/**
 * The official `replicate` client (1.4.0), unmodified, pointed at a real engine with `baseUrl`.
 * Covers the client quirks the engine must serve (reference §10.4–10.6).
 */
import type Replicate from 'replicate';
import { startEngine, type EngineHandle } from '../helpers/engine';
import { checkedClient, expectConformant, type CheckedClient } from './wire/checked-client';

let engine: EngineHandle;
let replicate: Replicate;
let client: CheckedClient;

beforeAll(async () => {
  engine = await startEngine();
  client = checkedClient(engine);
  replicate = client.replicate;
}, 90_000);

afterAll(async () => engine?.stop());

test('run without a version posts to the model endpoint and blocks for the output', async () => {
  const output = await replicate.run('gantry/echo', { input: { text: 'hello conformance' } });
  expect(output).toBe('hello conformance');
});

test('run with owner/name:version uses POST /predictions', async () => {
  const model = await replicate.models.get('gantry', 'echo');
  const output = await replicate.run(`gantry/echo:${model.latest_version!.id}`, { input: { text: 'pinned' } });
  expect(output).toBe('pinned');
});

test('run falls back to polling when the sync wait runs out (answer is `starting`)', async () => {
  // wait.timeout 1 s, the model sleeps 2.5 s: the create answers `starting`, then the client polls.
  const started = Date.now();
  const output = await replicate.run('gantry/echo', { input: { text: 'slow', sleep: 2.5 }, wait: { mode: 'block', timeout: 1 } });
  expect(output).toBe('slow');
  expect(Date.now() - started).toBeGreaterThanOrEqual(2500);
});

test('run in poll mode', async () => {
  const output = await replicate.run('gantry/echo', { input: { text: 'polled' }, wait: { mode: 'poll', interval: 100 } });
  expect(output).toBe('polled');
});

test('a failing model makes run throw with the error', async () => {
  await expect(replicate.run('gantry/echo', { input: { fail: true } })).rejects.toThrow(/Prediction failed: .*echo asked to fail/);
});

test('predictions.create/get/cancel', async () => {
  const created = await replicate.predictions.create({ model: 'gantry/echo', input: { text: 'x', sleep: 30 } });
  // `starting` when it waits for an instance; a warm instance with a free slot starts it at once.
  expect(['starting', 'processing']).toContain(created.status);
  expect(created.urls.get).toBe(`${engine.url}/v1/predictions/${created.id}`);
  // Wait until it runs, then cancel it.
  let current = created;
  for (let i = 0; i < 100 && current.status !== 'processing'; i++) {
    await new Promise((r) => setTimeout(r, 100));
    current = await replicate.predictions.get(created.id);
  }
  expect(current.status).toBe('processing');
  const canceled = await replicate.predictions.cancel(created.id);
  expect(canceled.status).toBe('canceled');
  const after = await replicate.predictions.get(created.id);
  expect(after.status).toBe('canceled');
  expect(after.completed_at).toBeTruthy();
});

test('predictions.create with version and wait returns the finished prediction with metrics and cost', async () => {
  const model = await replicate.models.get('gantry', 'echo');
  const p = (await replicate.predictions.create({ version: model.latest_version!.id, input: { text: 'm' }, wait: 10 })) as any;
  expect(p.status).toBe('succeeded');
  expect(p.output).toBe('m');
  expect(p.metrics.predict_time).toBeGreaterThanOrEqual(0);
  expect(p.metrics.total_time).toBeGreaterThanOrEqual(p.metrics.predict_time);
  expect(p.cost).toEqual(expect.objectContaining({ rule: 'hardware_time', hardware: 'cpu' }));
  expect(typeof p.cost.total_usd).toBe('number');
  expect(p.created_at && p.started_at && p.completed_at).toBeTruthy();
});

test('predictions.list and paginate follow absolute next URLs across pages', async () => {
  // 105 quick predictions: more than one page of 100.
  const call = client.call;
  const created = await Promise.all(
    Array.from({ length: 105 }, (_, i) => call('POST', '/v1/models/gantry/echo/predictions', { input: { text: `p${i}` } })),
  );
  expect(created.every((r) => r.status === 201)).toBe(true);
  const first = await replicate.predictions.list();
  expect(first.results).toHaveLength(100);
  expect(first.next).toMatch(new RegExp(`^${engine.url}/v1/predictions\\?cursor=`));
  const seen = new Set<string>();
  for await (const pageItems of replicate.paginate(replicate.predictions.list)) for (const p of pageItems) seen.add(p.id);
  for (const r of created) expect(seen.has(r.json.id)).toBe(true);
});

test('models.get, models.list, models.versions.list/get, hardware.list, accounts.current', async () => {
  const model = await replicate.models.get('gantry', 'echo');
  expect(model.owner).toBe('gantry');
  expect(model.latest_version?.openapi_schema).toBeTruthy();
  const list = await replicate.models.list();
  expect(list.results.map((m) => `${m.owner}/${m.name}`)).toEqual(expect.arrayContaining(['gantry/echo', 'gantry/ocr']));
  const versions = await replicate.models.versions.list('gantry', 'echo');
  expect(versions.results[0].id).toBe(model.latest_version!.id);
  const version = await replicate.models.versions.get('gantry', 'echo', model.latest_version!.id);
  expect(version.id).toBe(model.latest_version!.id);
  const hardware = await replicate.hardware.list();
  expect(hardware).toEqual(expect.arrayContaining([{ name: 'CPU', sku: 'cpu' }]));
  const account = await replicate.accounts.current();
  expect(account.username).toBe('gantry');
});

test('a bad input is an ApiError 422 naming the field', async () => {
  await expect(replicate.predictions.create({ model: 'gantry/echo', input: { text: 42 } as any })).rejects.toThrow(/422/);
  const res = await client.call('POST', '/v1/models/gantry/echo/predictions', { input: { text: 42 } });
  expect(res.status).toBe(422);
  expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
  expect(res.json.errors).toEqual([expect.objectContaining({ pointer: '/input/text' })]);
});

test("every answer the engine gave in this file matches Replicate's object schemas", () => expectConformant(client));
