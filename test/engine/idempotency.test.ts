/**
 * Idempotency-Key on creates over real HTTP: a repeat gets the original object (no second run),
 * a different body is a 422 naming the header, a repeat during a `Prefer: wait` create waits for
 * the first answer, failures release the key, keys are per token and expire (TTL 3 s here).
 */
import { api, startEngine, type EngineHandle } from '../helpers/engine';
import { checkedClient, expectConformant, type CheckedClient } from '../conformance/wire/checked-client';

let engine: EngineHandle;
let client: CheckedClient;
let call: ReturnType<typeof api>;
let echo: string;

const TTL_SECONDS = 3;

beforeAll(async () => {
  engine = await startEngine({ env: { GANTRY_IDEMPOTENCY_TTL: String(TTL_SECONDS) } });
  // Every request and answer is held to the engine's /openapi.json.
  client = checkedClient(engine, { replicate: false });
  call = client.call;
  echo = (await call('GET', '/v1/models/gantry/echo')).json.latest_version.id;
}, 90_000);
afterAll(async () => engine?.stop());

let n = 0;
const freshKey = () => `key-${Date.now()}-${n++}`;
const ids = async () => (await call('GET', '/v1/predictions')).json.results.map((p: any) => p.id) as string[];

test('the same key and body give the original prediction; nothing runs twice', async () => {
  const key = freshKey();
  const before = (await ids()).length;
  const body = { input: { text: 'once' } };
  const first = await call('POST', '/v1/models/gantry/echo/predictions', body, { 'idempotency-key': key });
  expect(first.status).toBe(201);
  expect(first.headers.get('idempotent-replayed')).toBeNull();
  const again = await call('POST', '/v1/models/gantry/echo/predictions', body, { 'idempotency-key': key });
  expect(again.status).toBe(201);
  expect(again.headers.get('idempotent-replayed')).toBe('true');
  expect(again.headers.get('location')).toBe(first.headers.get('location'));
  expect(again.json).toEqual(first.json);
  // Key order in the body does not matter (canonical JSON); another path to the same model does.
  const reordered = await call('POST', '/v1/predictions', { input: { text: 'once' }, version: echo }, { 'idempotency-key': freshKey() });
  expect(reordered.status).toBe(201);
  expect((await ids()).length).toBe(before + 2);
});

test('the same key with another body or route is a 422 naming the header', async () => {
  const key = freshKey();
  expect((await call('POST', '/v1/models/gantry/echo/predictions', { input: { text: 'a' } }, { 'idempotency-key': key })).status).toBe(201);
  for (const [path, body] of [
    ['/v1/models/gantry/echo/predictions', { input: { text: 'b' } }],
    ['/v1/predictions', { version: echo, input: { text: 'a' } }],
  ] as const) {
    const res = await call('POST', path, body, { 'idempotency-key': key });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.json.errors).toEqual([{ pointer: '/headers/idempotency-key', detail: expect.any(String) }]);
  }
});

test('a bad header is a 400 naming it', async () => {
  for (const bad of ['x'.repeat(256), 'caf\u00e9']) {
    const res = await call('POST', '/v1/models/gantry/echo/predictions', { input: {} }, { 'idempotency-key': bad });
    expect(res.status).toBe(400);
    expect(res.json.errors[0].pointer).toBe('/headers/idempotency-key');
  }
});

test('a repeat during a Prefer: wait create waits and gets the same finished prediction', async () => {
  const key = freshKey();
  const before = (await ids()).length;
  const body = { input: { text: 'slow', sleep: 1.5 } };
  const first = call('POST', '/v1/models/gantry/echo/predictions', body, { 'idempotency-key': key, prefer: 'wait' });
  await new Promise((r) => setTimeout(r, 300));
  const second = await call('POST', '/v1/models/gantry/echo/predictions', body, { 'idempotency-key': key, prefer: 'wait' });
  const original = await first;
  expect(original.json.status).toBe('succeeded');
  expect(second.json).toEqual(original.json);
  expect(second.headers.get('idempotent-replayed')).toBe('true');
  expect((await ids()).length).toBe(before + 1);
});

test('a failed request releases its key; keys are per token', async () => {
  const key = freshKey();
  const bad = await call('POST', '/v1/models/gantry/echo/predictions', { input: { nope: 1 } }, { 'idempotency-key': key });
  expect(bad.status).toBe(422);
  expect(bad.json.errors[0].pointer).toBe('/input/nope');
  // Not a reuse: the failed request left nothing behind.
  const good = await call('POST', '/v1/models/gantry/echo/predictions', { input: { text: 'ok' } }, { 'idempotency-key': key });
  expect(good.status).toBe(201);

  const other = await call('POST', '/v1/tokens', { name: 'other', scope: 'run' });
  const otherCall = api({ url: engine.url, token: other.json.token }, client.fetch);
  const theirs = await otherCall('POST', '/v1/models/gantry/echo/predictions', { input: { text: 'theirs' } }, { 'idempotency-key': key });
  expect(theirs.status).toBe(201);
  expect(theirs.json.id).not.toBe(good.json.id);
});

test('trainings and deployments honour the key too', async () => {
  const base = (await call('GET', '/v1/models/gantry/text-classifier')).json.latest_version.id;
  expect((await call('POST', '/v1/models', { owner: 'me', name: 'clf', visibility: 'private', hardware: 'cpu' })).status).toBe(201);
  const dataset = `data:application/jsonl;base64,${Buffer.from('{"text":"good","label":"pos"}\n{"text":"bad","label":"neg"}\n').toString('base64')}`;
  const key = freshKey();
  const path = `/v1/models/gantry/text-classifier/versions/${base}/trainings`;
  const t1 = await call('POST', path, { destination: 'me/clf', input: { train_data: dataset } }, { 'idempotency-key': key });
  const t2 = await call('POST', path, { destination: 'me/clf', input: { train_data: dataset } }, { 'idempotency-key': key });
  expect(t1.status).toBe(201);
  expect(t2.json.id).toBe(t1.json.id);
  expect((await call('GET', '/v1/trainings')).json.results.length).toBe(1);

  // Without a key a second create of the same name is a 409; with the key it is the first answer.
  const dkey = freshKey();
  const body = { name: 'idem', model: 'gantry/echo', version: echo, hardware: 'cpu', min_instances: 0, max_instances: 1 };
  const d1 = await call('POST', '/v1/deployments', body, { 'idempotency-key': dkey });
  const d2 = await call('POST', '/v1/deployments', body, { 'idempotency-key': dkey });
  expect(d1.status).toBe(200);
  expect(d2.status).toBe(200);
  expect(d2.json).toEqual(d1.json);
  expect((await call('POST', '/v1/deployments', body)).status).toBe(409);
  const pkey = freshKey();
  const p1 = await call('POST', '/v1/deployments/gantry/idem/predictions', { input: {} }, { 'idempotency-key': pkey });
  const p2 = await call('POST', '/v1/deployments/gantry/idem/predictions', { input: {} }, { 'idempotency-key': pkey });
  expect(p2.json.id).toBe(p1.json.id);
});

test('keys expire after GANTRY_IDEMPOTENCY_TTL', async () => {
  const key = freshKey();
  const first = await call('POST', '/v1/models/gantry/echo/predictions', { input: { text: 'x' } }, { 'idempotency-key': key });
  await new Promise((r) => setTimeout(r, (TTL_SECONDS + 0.5) * 1000));
  // Expired: another body with the same key is a new request, not a reuse.
  const later = await call('POST', '/v1/models/gantry/echo/predictions', { input: { text: 'y' } }, { 'idempotency-key': key });
  expect(later.status).toBe(201);
  expect(later.json.id).not.toBe(first.json.id);
  expect(later.headers.get('idempotent-replayed')).toBeNull();
}, 20_000);

test('every request and answer of this file matches /openapi.json', () => expectConformant(client));
