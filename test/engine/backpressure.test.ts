/**
 * Backpressure on a real engine: a deployment's max_queue, GANTRY_MAX_QUEUE_PER_VERSION and
 * GANTRY_MAX_QUEUE refuse creates beyond them with 429 problem+json and Retry-After (header and
 * body), store nothing for the refused create, release its Idempotency-Key, and let creates in
 * again once the queue drains. The engine has one CPU slot, so what cannot run stays queued.
 */
import Replicate from 'replicate';
import { api, startEngine, type EngineHandle } from '../helpers/engine';
import { until } from '../helpers/poll';
import { checkedClient, expectConformant, type CheckedClient } from '../conformance/wire/checked-client';

let engine: EngineHandle;
let client: CheckedClient;
let call: ReturnType<typeof api>;
let serial: string;

beforeAll(async () => {
  engine = await startEngine({
    env: { GANTRY_CPU_SLOTS: '1', GANTRY_MAX_QUEUE_PER_VERSION: '2', GANTRY_MAX_QUEUE: '3', GANTRY_QUEUE_RETRY_AFTER: '2' },
  });
  // Every request and answer is held to the engine's /openapi.json.
  client = checkedClient(engine, { replicate: false });
  call = client.call;
  await call('POST', '/v1/models', { owner: 'bp', name: 'serial', visibility: 'private', hardware: 'cpu' });
  serial = (await call('POST', '/v1/models/bp/serial/versions', { runner: { type: 'node', module: 'builtin:echo' }, max_concurrency: 1 })).json.id;
}, 90_000);
afterAll(async () => engine?.stop());

const status = async (id: string) => (await call('GET', `/v1/predictions/${id}`)).json.status as string;
const count = async () => (await call('GET', '/v1/predictions')).json.results.length as number;

function expectRefused(res: { status: number; headers: Headers; json: any }, scope: string, limit: number, queued: number) {
  expect(res.status).toBe(429);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.headers.get('retry-after')).toBe('2');
  expect(res.json).toEqual(
    expect.objectContaining({ status: 429, title: 'Too many queued predictions', retry_after: 2, queue: expect.objectContaining({ scope, limit, queued }) }),
  );
}

test("a deployment's max_queue: the create beyond it is a 429, and is accepted once the queue drains", async () => {
  const bad = await call('POST', '/v1/deployments', { name: 'x', model: 'bp/serial', version: serial, max_queue: -1 });
  expect(bad.status).toBe(422);
  expect(bad.json.errors[0].pointer).toBe('/max_queue');

  const d = await call('POST', '/v1/deployments', { name: 'bounded', model: 'bp/serial', version: serial, hardware: 'cpu', min_instances: 1, max_instances: 1, max_queue: 1 });
  expect(d.status).toBe(200);
  expect(d.json.current_release.configuration.max_queue).toBe(1);
  await until(async () => (await call('GET', '/v1/deployments/gantry/bounded')).json.instances, (l: any[]) => l.some((i) => i.state === 'ready'));

  const running = (await call('POST', '/v1/deployments/gantry/bounded/predictions', { input: { sleep: 2 } })).json;
  await until(() => status(running.id), (s) => s === 'processing');
  const queued = await call('POST', '/v1/deployments/gantry/bounded/predictions', { input: { text: 'queued' } });
  expect(queued.status).toBe(201);
  expect(await status(queued.json.id)).toBe('starting');

  const before = await count();
  const refused = await call('POST', '/v1/deployments/gantry/bounded/predictions', { input: {} }, { 'idempotency-key': 'bp-1' });
  expectRefused(refused, 'deployment', 1, 1);
  expect(refused.json.queue.name).toBe('gantry/bounded');
  expect(await count()).toBe(before);

  // The official client gets the 429 as an ApiError (after its own immediate retries).
  const replicate = new Replicate({ auth: engine.token, baseUrl: `${engine.url}/v1` });
  const err = await replicate.deployments.predictions.create('gantry', 'bounded', { input: {} }).catch((e: unknown) => e);
  expect((err as Error).name).toBe('ApiError');
  expect((err as { response: Response }).response.status).toBe(429);
  expect(await count()).toBe(before);

  // Drained: the same key is not remembered for a refused create, so the retry runs.
  await until(() => status(queued.json.id), (s) => s !== 'starting');
  const retried = await call('POST', '/v1/deployments/gantry/bounded/predictions', { input: {} }, { 'idempotency-key': 'bp-1' });
  expect(retried.status).toBe(201);
  expect(retried.headers.get('idempotent-replayed')).toBeNull();

  // max_queue can be changed and removed.
  const patched = await call('PATCH', '/v1/deployments/gantry/bounded', { max_queue: null });
  expect(patched.json.current_release.configuration.max_queue).toBeUndefined();
  expect((await call('PATCH', '/v1/deployments/gantry/bounded', { max_queue: 1.5 })).json.errors[0].pointer).toBe('/max_queue');
  await until(() => status(retried.json.id), (s) => s === 'succeeded');
}, 60_000);

test('GANTRY_MAX_QUEUE_PER_VERSION and GANTRY_MAX_QUEUE bound on-demand queues', async () => {
  // The deployment's instance holds the only CPU slot, so on-demand predictions stay queued.
  const q1 = (await call('POST', '/v1/models/gantry/echo/predictions', { input: { text: 'q1' } })).json;
  const q2 = (await call('POST', '/v1/models/gantry/echo/predictions', { input: { text: 'q2' } })).json;
  await new Promise((r) => setTimeout(r, 300));
  expect([await status(q1.id), await status(q2.id)]).toEqual(['starting', 'starting']);
  expectRefused(await call('POST', '/v1/models/gantry/echo/predictions', { input: {} }), 'version', 2, 2);

  // Another version still has room of its own, until the engine's total is reached.
  const r1 = await call('POST', '/v1/predictions', { version: serial, input: {} });
  expect(r1.status).toBe(201);
  expectRefused(await call('POST', '/v1/predictions', { version: serial, input: {} }), 'engine', 3, 3);
  // A deployment is held to the engine's total too.
  expectRefused(await call('POST', '/v1/deployments/gantry/bounded/predictions', { input: {} }), 'engine', 3, 3);

  for (const p of [q1, q2, r1.json]) await call('POST', `/v1/predictions/${p.id}/cancel`);
  expect((await call('POST', '/v1/models/gantry/echo/predictions', { input: {} })).status).toBe(201);
}, 30_000);

test('every request and answer of this file matches /openapi.json', () => expectConformant(client));
