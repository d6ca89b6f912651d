/** The HTTP API over real HTTP on a real Postgres: auth, bad input, deadlines, models, tokens. */
import { api, startEngine, type EngineHandle } from '../helpers/engine';
import { checkedClient, expectConformant, type CheckedClient } from '../conformance/wire/checked-client';

let engine: EngineHandle;
let call: ReturnType<typeof api>;
let client: CheckedClient;

beforeAll(async () => {
  engine = await startEngine({ env: { GANTRY_BODY_LIMIT: '65536' } });
  // Every request and answer of this suite is held to the engine's /openapi.json.
  client = checkedClient(engine, { replicate: false });
  call = client.call;
}, 90_000);
afterAll(async () => engine?.stop());

const problem = (res: { status: number; headers: Headers; json: any }, status: number) => {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.json).toEqual(expect.objectContaining({ status, title: expect.any(String), detail: expect.any(String) }));
};

describe('auth', () => {
  test('health needs no token', async () => {
    const res = await fetch(`${engine.url}/health`);
    expect(res.status).toBe(200);
  });
  test('missing and bad tokens are 401', async () => {
    problem(await api({ url: engine.url, token: '' })('GET', '/v1/predictions'), 401);
    problem(await api({ url: engine.url, token: 'nope' })('GET', '/v1/predictions'), 401);
  });
  test('tokens can be created, used and revoked', async () => {
    const created = await call('POST', '/v1/tokens', { name: 'ci', scope: 'read' });
    expect(created.status).toBe(201);
    const other = api({ url: engine.url, token: created.json.token });
    expect((await other('GET', '/v1/account')).status).toBe(200);
    const list = await call('GET', '/v1/tokens');
    expect(list.json.results.map((t: any) => t.name)).toContain('ci');
    expect((await call('DELETE', `/v1/tokens/${created.json.id}`)).status).toBe(204);
    problem(await other('GET', '/v1/account'), 401);
    problem(await call('POST', '/v1/tokens', { name: '' }), 422);
  });
});

describe('bad input never crashes and names the field', () => {
  test('malformed JSON is 400', async () => {
    problem(await call('POST', '/v1/predictions', '{"version": ', { 'content-type': 'application/json' }), 400);
  });
  test('oversized body is 413', async () => {
    problem(await call('POST', '/v1/models/gantry/echo/predictions', { input: { text: 'x'.repeat(70_000) } }), 413);
  });
  test('missing version, bad version form, unknown version/model', async () => {
    let res = await call('POST', '/v1/predictions', { input: {} });
    problem(res, 422);
    expect(res.json.errors[0].pointer).toBe('/version');
    res = await call('POST', '/v1/predictions', { version: 'not a version!', input: {} });
    expect(res.json.errors[0].pointer).toBe('/version');
    problem(await call('POST', '/v1/predictions', { version: 'a'.repeat(64), input: {} }), 404);
    problem(await call('POST', '/v1/models/nobody/nothing/predictions', { input: {} }), 404);
    problem(await call('GET', '/v1/predictions/doesnotexist'), 404);
  });
  test('input errors carry pointers; unknown fields and wrong types are 422', async () => {
    const res = await call('POST', '/v1/models/gantry/echo/predictions', { input: { text: 1, sleep: -1, nope: true } });
    problem(res, 422);
    const pointers = res.json.errors.map((e: any) => e.pointer).sort();
    expect(pointers).toEqual(['/input/nope', '/input/sleep', '/input/text']);
    problem(await call('POST', '/v1/models/gantry/echo/predictions', { input: 'text' }), 422);
    problem(await call('POST', '/v1/models/gantry/echo/predictions', { input: {}, bogus: 1 }), 422);
    problem(await call('POST', '/v1/models/gantry/echo/predictions', { input: {}, webhook: 'ftp://x' }), 422);
    problem(await call('POST', '/v1/models/gantry/echo/predictions', { input: {}, webhook_events_filter: ['never'] }), 422);
    problem(await call('POST', '/v1/models/gantry/echo/predictions', { input: {}, tags: { a: 1 } }), 422);
  });
  test('defaults are applied to the stored input', async () => {
    const res = await call('POST', '/v1/models/gantry/echo/predictions', { input: {} }, { prefer: 'wait' });
    expect(res.json.input).toEqual(expect.objectContaining({ text: 'hello', sleep: 0 }));
    expect(res.json.output).toBe('hello');
  });
  test('bad Prefer and Cancel-After headers name the header: 400 unreadable, 422 out of range', async () => {
    let res = await call('POST', '/v1/models/gantry/echo/predictions', { input: {} }, { prefer: 'wait=99' });
    problem(res, 422);
    expect(res.json.errors[0].pointer).toBe('/headers/prefer');
    res = await call('POST', '/v1/models/gantry/echo/predictions', { input: {} }, { 'cancel-after': '2s' });
    problem(res, 422);
    expect(res.json.errors[0].pointer).toBe('/headers/cancel-after');
    res = await call('POST', '/v1/models/gantry/echo/predictions', { input: {} }, { 'cancel-after': 'soon' });
    problem(res, 400);
    expect(res.json.errors[0].pointer).toBe('/headers/cancel-after');
    problem(await call('GET', '/v1/predictions?cursor=%%%'), 400);
  });
});

describe('waiting and deadlines', () => {
  test('Prefer: wait=N returns the prediction as it stands with a Location header', async () => {
    const res = await call('POST', '/v1/models/gantry/echo/predictions', { input: { sleep: 3 } }, { prefer: 'wait=1' });
    expect(res.status).toBe(202);
    expect(res.json.status).toBe('starting');
    expect(res.headers.get('location')).toBe(res.json.urls.get);
  });
  test('Cancel-After cancels a running prediction at its deadline', async () => {
    const res = await call('POST', '/v1/models/gantry/echo/predictions', { input: { sleep: 30 } }, { 'cancel-after': '5s' });
    expect(res.json.deadline).toBeTruthy();
    let p = res.json;
    for (let i = 0; i < 100 && !['canceled', 'succeeded', 'failed'].includes(p.status); i++) {
      await new Promise((r) => setTimeout(r, 200));
      p = (await call('GET', `/v1/predictions/${p.id}`)).json;
    }
    expect(p.status).toBe('canceled');
    expect(p.metrics.predict_time).toBeGreaterThan(3);
  }, 30_000);
  test('tags are kept and a usage record priced', async () => {
    const res = await call('POST', '/v1/models/gantry/echo/predictions', { input: {}, tags: { workflow: 'w1' } }, { prefer: 'wait' });
    expect(res.json.tags).toEqual({ workflow: 'w1' });
    expect(res.json.cost.total_usd).toBeGreaterThanOrEqual(0);
    expect(res.json.metrics).toEqual(expect.objectContaining({ predict_time: expect.any(Number), queue_time: expect.any(Number) }));
  });
});

describe('models and versions', () => {
  test('create a model, a node version from a module path, run it, delete the version', async () => {
    problem(await call('POST', '/v1/models', { owner: 'me', name: 'bad name' }), 422);
    const created = await call('POST', '/v1/models', { owner: 'me', name: 'my-echo', visibility: 'private', hardware: 'cpu' });
    expect(created.status).toBe(201);
    problem(await call('POST', '/v1/models', { owner: 'me', name: 'my-echo', visibility: 'private', hardware: 'cpu' }), 409);
    problem(await call('POST', '/v1/models/me/my-echo/versions', { runner: { type: 'node', module: '/nonexistent.js' } }), 422);
    problem(await call('POST', '/v1/models/me/my-echo/versions', { runner: { type: 'node', module: 'builtin:echo' }, hardware: 'gpu-zx81' }), 422);
    const version = await call('POST', '/v1/models/me/my-echo/versions', {
      runner: { type: 'node', module: 'builtin:echo' },
      max_concurrency: 2,
      pricing: [{ rule: 'per_prediction', unit_price_usd: 0.01 }],
    });
    expect(version.status).toBe(201);
    expect(version.json.id).toMatch(/^[0-9a-f]{64}$/);
    const run = await call('POST', '/v1/predictions', { version: `me/my-echo:${version.json.id}`, input: { text: 'mine' } }, { prefer: 'wait' });
    expect(run.json.output).toBe('mine');
    expect(run.json.cost).toEqual(expect.objectContaining({ rule: 'per_prediction', quantity: 1, total_usd: 0.01 }));
    expect((await call('DELETE', `/v1/models/me/my-echo/versions/${version.json.id}`)).status).toBe(202);
    problem(await call('GET', `/v1/models/me/my-echo/versions/${version.json.id}`), 404);
    problem(await call('POST', '/v1/models/me/my-echo/predictions', { input: {} }), 404);
  });
});

test('every request and answer of this suite matches /openapi.json', () => expectConformant(client));
