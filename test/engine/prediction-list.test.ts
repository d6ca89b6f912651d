/**
 * GET /v1/predictions filters (model, deployment, status, tag, time range, limit) applied by the
 * API and carried into `next`, their bad input, and GET /v1/predictions/{id}/webhooks.
 */
import { api, startEngine, type EngineHandle } from '../helpers/engine';
import { checkedClient, expectConformant, type CheckedClient } from '../conformance/wire/checked-client';
import { startReceiver, type Receiver } from '../helpers/receiver';

let engine: EngineHandle;
let call: ReturnType<typeof api>;
let client: CheckedClient;
let receiver: Receiver;
const ids: Record<string, string> = {};
let between: string;

async function run(model: string, input: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const res = await call('POST', `/v1/models/${model}/predictions`, { input, ...extra }, { prefer: 'wait' });
  expect(res.status).toBe(201);
  return res.json;
}

beforeAll(async () => {
  engine = await startEngine();
  // Every request and answer of this file is held to the engine's /openapi.json.
  client = checkedClient(engine, { replicate: false });
  call = client.call;
  receiver = await startReceiver();
  const echo = (await call('GET', '/v1/models/gantry/echo')).json.latest_version.id;
  await call('POST', '/v1/deployments', { name: 'lister', model: 'gantry/echo', version: echo, hardware: 'cpu', min_instances: 0, max_instances: 1 });
  ids.a = (await run('gantry/echo', { text: 'a' }, { tags: { n8n_execution_id: 'exec-1', team: 'red' } })).id;
  ids.b = (await run('gantry/echo', { text: 'b', fail: true }, { tags: { n8n_execution_id: 'exec-1', team: 'blue' } })).id;
  between = new Date().toISOString();
  await new Promise((r) => setTimeout(r, 20));
  ids.c = (await run('gantry/text-classifier', { text: 'lovely room' }, { tags: { n8n_execution_id: 'exec-2' }, webhook: receiver.url })).id;
  const d = await call('POST', '/v1/deployments/gantry/lister/predictions', { input: { text: 'd' } }, { prefer: 'wait' });
  ids.d = d.json.id;
  await receiver.waitFor((x) => x.json?.id === ids.c && x.json?.status === 'succeeded');
}, 120_000);
afterAll(async () => {
  await receiver?.close();
  await engine?.stop();
});

const listed = async (query: string) => {
  const res = await call('GET', `/v1/predictions${query}`);
  expect(res.status).toBe(200);
  return res.json.results.map((p: { id: string }) => p.id) as string[];
};

test('model, deployment, status and tag filters are applied by the API', async () => {
  expect(await listed('')).toEqual([ids.d, ids.c, ids.b, ids.a]);
  expect(await listed('?model=gantry/echo')).toEqual([ids.d, ids.b, ids.a]);
  expect(await listed('?model=gantry/text-classifier')).toEqual([ids.c]);
  expect(await listed('?deployment=gantry/lister')).toEqual([ids.d]);
  expect(await listed('?status=failed')).toEqual([ids.b]);
  expect(await listed('?status=failed,succeeded&model=gantry/echo')).toEqual([ids.d, ids.b, ids.a]);
  expect(await listed('?status=failed&status=canceled')).toEqual([ids.b]);
  // One n8n execution's predictions; two tags must both match.
  expect(await listed('?tag=n8n_execution_id:exec-1')).toEqual([ids.b, ids.a]);
  expect(await listed('?tag=n8n_execution_id:exec-1&tag=team:red')).toEqual([ids.a]);
  expect(await listed('?tag=team:green')).toEqual([]);
  // A value may itself contain a colon: only the first one separates.
  expect(await listed(`?tag=${encodeURIComponent('n8n_execution_id:exec-1:x')}`)).toEqual([]);
});

test('time range filters, and combined with the others', async () => {
  expect(await listed(`?created_after=${encodeURIComponent(between)}`)).toEqual([ids.d, ids.c]);
  expect(await listed(`?created_before=${encodeURIComponent(between)}&model=gantry/echo`)).toEqual([ids.b, ids.a]);
});

test('next pages keep the filters (limit pages through a filtered list)', async () => {
  const first = await call('GET', '/v1/predictions?model=gantry/echo&limit=1&tag=n8n_execution_id:exec-1');
  expect(first.json.results.map((p: { id: string }) => p.id)).toEqual([ids.b]);
  const rest = new URL(first.json.next);
  expect(rest.searchParams.get('tag')).toBe('n8n_execution_id:exec-1');
  const second = await call('GET', `${rest.pathname}${rest.search}`);
  expect(second.json.results.map((p: { id: string }) => p.id)).toEqual([ids.a]);
  expect(second.json.next).toBeNull();

  const page1 = await call('GET', '/v1/predictions?model=gantry/echo&limit=2');
  expect(page1.json.results.map((p: { id: string }) => p.id)).toEqual([ids.d, ids.b]);
  const next = new URL(page1.json.next);
  expect(next.searchParams.get('model')).toBe('gantry/echo');
  expect(next.searchParams.get('limit')).toBe('2');
  const page2 = await call('GET', `${next.pathname}${next.search}`);
  expect(page2.json.results.map((p: { id: string }) => p.id)).toEqual([ids.a]);
  expect(page2.json.next).toBeNull();

  const byStatus = await call('GET', '/v1/predictions?status=succeeded&limit=1&tag=n8n_execution_id:exec-2');
  expect(byStatus.json.results.map((p: { id: string }) => p.id)).toEqual([ids.c]);
});

const problemOf = async (query: string) => {
  const res = await call('GET', `/v1/predictions${query}`);
  expect(res.status).toBe(422);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  return res.json.errors.map((e: { pointer: string }) => e.pointer) as string[];
};

test('bad filters are 422 problems naming the parameter', async () => {
  expect(await problemOf('?status=done')).toEqual(['/status']);
  expect(await problemOf('?model=echo')).toEqual(['/model']);
  expect(await problemOf('?model=gantry/echo:abc')).toEqual(['/model']);
  expect(await problemOf('?deployment=a/b/c')).toEqual(['/deployment']);
  expect(await problemOf('?tag=novalue')).toEqual(['/tag']);
  expect(await problemOf('?tag=:x')).toEqual(['/tag']);
  expect(await problemOf('?tag=a:1&tag=a:2')).toEqual(['/tag']);
  expect(await problemOf('?limit=0')).toEqual(['/limit']);
  expect(await problemOf('?limit=101')).toEqual(['/limit']);
  expect(await problemOf('?created_after=yesterday')).toEqual(['/created_after']);
  expect(await problemOf('?created_after=2025-02-01T00:00:00Z&created_before=2025-01-01T00:00:00Z')).toEqual(['/created_before']);
  expect(await problemOf('?colour=red')).toEqual(['/colour']);
  // Only status and tag may repeat: any other parameter given twice is refused at the edge (400).
  const twice = await call('GET', '/v1/predictions?model=gantry/echo&model=gantry/ocr');
  expect(twice.status).toBe(400);
  expect(twice.json.errors.map((e: { pointer: string }) => e.pointer)).toEqual(['/model']);
  // Every problem at once.
  expect(await problemOf('?status=done&limit=x&tag=y')).toEqual(expect.arrayContaining(['/status', '/limit', '/tag']));
});

test("a prediction's webhook deliveries", async () => {
  const res = await call('GET', `/v1/predictions/${ids.c}/webhooks`);
  expect(res.status).toBe(200);
  const completed = res.json.results.find((d: { event: string }) => d.event === 'completed');
  expect(completed).toEqual(
    expect.objectContaining({
      url: receiver.url,
      status: 'delivered',
      attempts: 1,
      last_status: 204,
      retryable: true,
      delivered_at: expect.any(String),
      next_attempt_at: null,
    }),
  );
  expect(completed).not.toHaveProperty('body');
  // No webhook, no deliveries; an unknown prediction is a 404 problem.
  expect((await call('GET', `/v1/predictions/${ids.a}/webhooks`)).json.results).toEqual([]);
  const missing = await call('GET', '/v1/predictions/nope/webhooks');
  expect(missing.status).toBe(404);
  expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
});

test('every request and answer of this file matches /openapi.json', () => expectConformant(client));
