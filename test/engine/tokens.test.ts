/**
 * Token scopes, ownership and spend limits over real HTTP on a real engine: `read` tokens only
 * read, `run` tokens create and see only their own predictions, trainings, checks, files,
 * subscriptions and webhook deliveries (404 for the others'), spend limits answer 402 naming the
 * limit and the spend (a check's runs too), and the usage endpoints and the cost decision show a
 * non-admin token its own usage.
 */
import { api, startEngine, type EngineHandle } from '../helpers/engine';
import { checkedClient, expectConformant, type CheckedClient } from '../conformance/wire/checked-client';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { waitForCheck } from '../helpers/checks';

let engine: EngineHandle;
let client: CheckedClient;
let admin: ReturnType<typeof api>;
let receiver: Receiver;
let paidVersion: string;

type Call = ReturnType<typeof api>;

async function makeToken(body: Record<string, unknown>): Promise<{ id: string; call: Call; json: any }> {
  const res = await admin('POST', '/v1/tokens', body);
  expect(res.status).toBe(201);
  return { id: res.json.id, call: api({ url: engine.url, token: res.json.token }, client.fetch), json: res.json };
}

const problem = (res: { status: number; headers: Headers; json: any }, status: number, pointer?: string) => {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  if (pointer) expect(res.json.errors.map((e: any) => e.pointer)).toContain(pointer);
};

beforeAll(async () => {
  engine = await startEngine();
  // Every request and answer is held to the engine's /openapi.json.
  client = checkedClient(engine, { replicate: false });
  admin = client.call;
  receiver = await startReceiver();
  // A model priced per prediction ($0.01 each), so spend is exact.
  expect((await admin('POST', '/v1/models', { owner: 'me', name: 'paid', visibility: 'private', hardware: 'cpu' })).status).toBe(201);
  const version = await admin('POST', '/v1/models/me/paid/versions', {
    runner: { type: 'node', module: 'builtin:echo' },
    pricing: [{ rule: 'per_prediction', unit_price_usd: 0.01 }],
  });
  paidVersion = version.json.id;
}, 90_000);

afterAll(async () => {
  await receiver?.close();
  await engine?.stop();
});

describe('POST /v1/tokens', () => {
  test('answers the token once with its scope and limits; bad input names the field', async () => {
    const t = await makeToken({ name: 'runner', scope: 'run', limits: { usd_per_day: 1.5 } });
    expect(t.json).toEqual(expect.objectContaining({ name: 'runner', scope: 'run', limits: { usd_per_day: 1.5, usd_per_month: null }, token: expect.stringMatching(/^gnt_/) }));
    const listed = (await admin('GET', '/v1/tokens')).json.results.find((x: any) => x.id === t.id);
    expect(listed).toEqual(expect.objectContaining({ scope: 'run', limits: { usd_per_day: 1.5, usd_per_month: null } }));
    expect(listed.token).toBeUndefined();

    problem(await admin('POST', '/v1/tokens', { name: 'x' }), 422, '/scope');
    problem(await admin('POST', '/v1/tokens', { name: 'x', scope: 'root' }), 422, '/scope');
    problem(await admin('POST', '/v1/tokens', { name: 'x', scope: 'run', limits: { usd_per_day: -1 } }), 422, '/limits/usd_per_day');
    problem(await admin('POST', '/v1/tokens', { name: 'x', scope: 'run', limits: { usd_per_week: 1 } }), 422, '/limits/usd_per_week');
    problem(await admin('POST', '/v1/tokens', { name: 'x', scope: 'run', limits: 5 }), 422, '/limits');
    problem(await admin('POST', '/v1/tokens', { name: 'x', scope: 'run', admin: true }), 422, '/admin');
  });

  test('only an admin manages tokens', async () => {
    const run = await makeToken({ name: 'r', scope: 'run' });
    problem(await run.call('POST', '/v1/tokens', { name: 'escalate', scope: 'admin' }), 403, '/headers/authorization');
    problem(await run.call('GET', '/v1/tokens'), 403);
    problem(await run.call('DELETE', `/v1/tokens/${run.id}`), 403);
  });
});

describe('scopes', () => {
  test('a read token reads but every write is 403', async () => {
    const read = await makeToken({ name: 'reader', scope: 'read' });
    expect((await read.call('GET', '/v1/models/gantry/echo')).status).toBe(200);
    expect((await read.call('GET', '/v1/predictions')).status).toBe(200);
    expect((await read.call('QUERY', '/v1/models', 'echo', { 'content-type': 'text/plain' })).status).toBe(200);
    const writes: Array<[string, string, unknown]> = [
      ['POST', '/v1/models/gantry/echo/predictions', { input: {} }],
      ['POST', '/v1/predictions', { version: 'gantry/echo', input: {} }],
      ['POST', '/v1/webhooks', { url: receiver.url }],
      ['POST', '/v1/models', { owner: 'me', name: 'nope', visibility: 'private', hardware: 'cpu' }],
      ['POST', '/v1/deployments', { name: 'd', model: 'gantry/echo', version: 'x' }],
    ];
    for (const [method, path, body] of writes) {
      const res = await read.call(method, path, body);
      problem(res, 403, '/headers/authorization');
      expect(res.json.detail).toContain('scope is "read"');
    }
    // Nothing was created by the refused writes.
    expect((await admin('GET', '/v1/predictions')).json.results.length).toBe(0);
  });

  test('a run token runs models but does not manage the catalogue or deployments', async () => {
    const run = await makeToken({ name: 'runner', scope: 'run' });
    const p = await run.call('POST', '/v1/models/gantry/echo/predictions', { input: { text: 'mine' } }, { prefer: 'wait' });
    expect(p.status).toBe(201);
    expect(p.json.output).toBe('mine');
    problem(await run.call('POST', '/v1/models', { owner: 'me', name: 'nope', visibility: 'private', hardware: 'cpu' }), 403);
    problem(await run.call('DELETE', `/v1/models/me/paid/versions/${paidVersion}`), 403);
    problem(await run.call('POST', '/v1/models/import', { model: 'a/b' }), 403);
  });
});

describe('ownership', () => {
  test("predictions, trainings, files and subscriptions of other tokens are 404 and missing from lists", async () => {
    const a = await makeToken({ name: 'a', scope: 'run' });
    const b = await makeToken({ name: 'b', scope: 'run' });
    const readB = await makeToken({ name: 'b-read', scope: 'read' });

    const pa = (await a.call('POST', '/v1/models/gantry/echo/predictions', { input: { text: 'a' } }, { prefer: 'wait' })).json;
    const pb = (await b.call('POST', '/v1/models/gantry/echo/predictions', { input: { text: 'b' } }, { prefer: 'wait' })).json;
    // Others' predictions do not exist for b; its own do; the admin sees both.
    problem(await b.call('GET', `/v1/predictions/${pa.id}`), 404);
    problem(await readB.call('GET', `/v1/predictions/${pa.id}`), 404);
    problem(await b.call('POST', `/v1/predictions/${pa.id}/cancel`), 404);
    expect((await b.call('GET', `/v1/predictions/${pb.id}`)).json.output).toBe('b');
    expect((await b.call('GET', '/v1/predictions')).json.results.map((p: any) => p.id)).toEqual([pb.id]);
    expect((await a.call('GET', '/v1/predictions')).json.results.map((p: any) => p.id)).toEqual([pa.id]);
    // A read token is a different token: it has no predictions of its own.
    expect((await readB.call('GET', '/v1/predictions')).json.results).toEqual([]);
    const all = (await admin('GET', '/v1/predictions')).json.results.map((p: any) => p.id);
    expect(all).toEqual(expect.arrayContaining([pa.id, pb.id]));

    // Trainings.
    const base = (await admin('GET', '/v1/models/gantry/text-classifier')).json.latest_version.id;
    expect((await admin('POST', '/v1/models', { owner: 'me', name: 'clf-a', visibility: 'private', hardware: 'cpu' })).status).toBe(201);
    const dataset = `data:application/jsonl;base64,${Buffer.from('{"text":"good","label":"pos"}\n{"text":"bad","label":"neg"}\n').toString('base64')}`;
    const ta = await a.call('POST', `/v1/models/gantry/text-classifier/versions/${base}/trainings`, { destination: 'me/clf-a', input: { train_data: dataset } });
    expect(ta.status).toBe(201);
    problem(await b.call('GET', `/v1/trainings/${ta.json.id}`), 404);
    problem(await b.call('POST', `/v1/trainings/${ta.json.id}/cancel`), 404);
    expect((await b.call('GET', '/v1/trainings')).json.results).toEqual([]);
    expect((await a.call('GET', '/v1/trainings')).json.results.map((t: any) => t.id)).toEqual([ta.json.id]);

    // Files.
    const form = new FormData();
    form.append('content', new Blob([Buffer.from('hello')], { type: 'text/plain' }), 'a.txt');
    const up = await fetch(`${engine.url}/v1/files`, { method: 'POST', headers: { authorization: `Bearer ${a.json.token}` }, body: form });
    expect(up.status).toBe(201);
    const file = (await up.json()) as any;
    problem(await b.call('GET', `/v1/files/${file.id}`), 404);
    problem(await b.call('DELETE', `/v1/files/${file.id}`), 404);
    expect((await b.call('GET', '/v1/files')).json.results).toEqual([]);
    expect((await a.call('GET', '/v1/files')).json.results.map((f: any) => f.id)).toEqual([file.id]);
    expect((await admin('GET', `/v1/files/${file.id}`)).status).toBe(200);

    // Subscriptions.
    const sub = await a.call('POST', '/v1/webhooks', { url: `${receiver.url}/a`, events: ['completed'], model: 'gantry/echo' });
    expect(sub.status).toBe(201);
    problem(await b.call('GET', `/v1/webhooks/${sub.json.id}`), 404);
    problem(await b.call('DELETE', `/v1/webhooks/${sub.json.id}`), 404);
    expect((await b.call('GET', '/v1/webhooks')).json.results).toEqual([]);
    expect((await a.call('GET', '/v1/webhooks')).json.results.map((s: any) => s.id)).toEqual([sub.json.id]);
    expect((await admin('GET', '/v1/webhooks')).json.results.map((s: any) => s.id)).toContain(sub.json.id);
  }, 60_000);

  test("a run token's subscription receives only that token's predictions", async () => {
    const a = await makeToken({ name: 'sub-a', scope: 'run' });
    const b = await makeToken({ name: 'sub-b', scope: 'run' });
    const sub = await a.call('POST', '/v1/webhooks', { url: `${receiver.url}/only-a`, events: ['completed'], model: 'gantry/echo' });
    expect(sub.status).toBe(201);
    const adminSub = await admin('POST', '/v1/webhooks', { url: `${receiver.url}/all`, events: ['completed'], model: 'gantry/echo' });
    const pb = (await b.call('POST', '/v1/models/gantry/echo/predictions', { input: { text: 'b' } }, { prefer: 'wait' })).json;
    const pa = (await a.call('POST', '/v1/models/gantry/echo/predictions', { input: { text: 'a' } }, { prefer: 'wait' })).json;
    // The admin's subscription sees both (b's first); a's sees a's only.
    await receiver.waitFor((d) => d.path === '/all' && d.json?.id === pa.id);
    await receiver.waitFor((d) => d.path === '/all' && d.json?.id === pb.id);
    await receiver.waitFor((d) => d.path === '/only-a' && d.json?.id === pa.id);
    expect(receiver.deliveries.filter((d) => d.path === '/only-a').map((d) => d.json.id)).toEqual([pa.id]);
    await admin('DELETE', `/v1/webhooks/${adminSub.json.id}`);
    await a.call('DELETE', `/v1/webhooks/${sub.json.id}`);
  }, 30_000);
});

describe('spend limits', () => {
  test('a create past the daily limit answers 402 naming the limit and the spend so far', async () => {
    const t = await makeToken({ name: 'budget', scope: 'run', limits: { usd_per_day: 0.02, usd_per_month: 10 } });
    for (let i = 0; i < 2; i++) {
      const p = await t.call('POST', '/v1/predictions', { version: `me/paid:${paidVersion}`, input: { text: `n${i}` } }, { prefer: 'wait' });
      expect(p.json.status).toBe('succeeded');
      expect(p.json.cost.total_usd).toBe(0.01);
    }
    const refused = await t.call('POST', '/v1/predictions', { version: `me/paid:${paidVersion}`, input: {} });
    problem(refused, 402, '/limits/usd_per_day');
    expect(refused.json.title).toBe('Spend limit reached');
    expect(refused.json.detail).toContain('$0.02');
    expect(refused.json.limit).toEqual({ name: 'usd_per_day', usd: 0.02, spent_usd: 0.02, resets_at: expect.stringMatching(/T00:00:00.000Z$/) });
    // Every create path is held to it, and nothing was stored for the refused ones.
    problem(await t.call('POST', '/v1/models/me/paid/predictions', { input: {} }), 402, '/limits/usd_per_day');
    expect((await t.call('GET', '/v1/predictions')).json.results.length).toBe(2);
    // Reads still work.
    expect((await t.call('GET', '/v1/models/me/paid')).status).toBe(200);

    // A month limit is named when it is the one reached.
    const monthly = await makeToken({ name: 'monthly', scope: 'run', limits: { usd_per_month: 0.01 } });
    await monthly.call('POST', '/v1/predictions', { version: `me/paid:${paidVersion}`, input: {} }, { prefer: 'wait' });
    const m = await monthly.call('POST', '/v1/predictions', { version: `me/paid:${paidVersion}`, input: {} });
    problem(m, 402, '/limits/usd_per_month');
    expect(m.json.limit).toEqual(expect.objectContaining({ name: 'usd_per_month', usd: 0.01, spent_usd: 0.01 }));

    // A zero limit allows nothing.
    const zero = await makeToken({ name: 'zero', scope: 'run', limits: { usd_per_day: 0 } });
    problem(await zero.call('POST', '/v1/models/gantry/echo/predictions', { input: {} }), 402, '/limits/usd_per_day');

    // Usage per token: the admin sees every token with its name and limits; a token only itself.
    const usage = (await admin('GET', '/v1/usage?group_by=token')).json.results;
    const mine = usage.find((r: any) => r.key === t.id);
    expect(mine).toEqual(expect.objectContaining({ count: 2, total_usd: 0.02, token: { name: 'budget', scope: 'run', limits: { usd_per_day: 0.02, usd_per_month: 10 } } }));
    const own = (await t.call('GET', '/v1/usage?group_by=token')).json.results;
    expect(own.map((r: any) => r.key)).toEqual([t.id]);
    const ownByModel = (await t.call('GET', '/v1/usage?group_by=model')).json.results;
    expect(ownByModel).toEqual([expect.objectContaining({ key: 'me/paid', count: 2, total_usd: 0.02 })]);
  }, 60_000);
});

describe('checks, deliveries, daily usage and the decision under scopes', () => {
  const echoCheck = { model: 'gantry/echo', input: { text: 'checked' }, runs: 2, worst_case: false };

  test('a read token may decide (GET or POST) but not run a check', async () => {
    const read = await makeToken({ name: 'check-reader', scope: 'read' });
    problem(await read.call('POST', '/v1/checks', echoCheck), 403, '/headers/authorization');
    expect((await read.call('GET', '/v1/decide')).status).toBe(200);
    const priced = await read.call('POST', '/v1/decide', { prices: { replicate: { cpu: 0.0002 } } });
    expect(priced.status).toBe(200);
    expect(priced.json.prices.overridden).toEqual(['replicate cpu = $0.0002/s (the request)']);
    // A read token has no usage of its own: nothing to decide on.
    expect(priced.json.groups).toEqual([]);
  });

  test("a run token runs and cancels its own checks; another token's are 404 and missing from its list", async () => {
    const a = await makeToken({ name: 'check-a', scope: 'run' });
    const b = await makeToken({ name: 'check-b', scope: 'run' });
    const created = await a.call('POST', '/v1/checks', echoCheck);
    expect(created.status).toBe(201);
    const id = created.json.id;
    problem(await b.call('GET', `/v1/checks/${id}`), 404);
    problem(await b.call('GET', `/v1/checks/${id}?format=markdown`), 404);
    problem(await b.call('POST', `/v1/checks/${id}/cancel`), 404);
    expect((await b.call('GET', '/v1/checks')).json.results).toEqual([]);
    expect((await a.call('GET', '/v1/checks')).json.results.map((c: any) => c.id)).toEqual([id]);
    expect((await admin('GET', '/v1/checks')).json.results.map((c: any) => c.id)).toContain(id);

    const done = await waitForCheck(a.call, id);
    expect(done.status).toBe('succeeded');
    // Its runs are a's predictions: in a's list, not in b's.
    const made = done.report.runs.filter((r: any) => r.prediction_id).map((r: any) => r.prediction_id);
    expect(made.length).toBe(3); // two typical runs and the deadline run (its retry was not needed)
    const mine = (await a.call('GET', `/v1/predictions?tag=gantry_check:${id}`)).json.results.map((p: any) => p.id);
    expect(mine.sort()).toEqual([...made].sort());
    expect((await b.call('GET', `/v1/predictions?tag=gantry_check:${id}`)).json.results).toEqual([]);
    // Canceling an ended check of its own answers it as it is.
    const again = await a.call('POST', `/v1/checks/${id}/cancel`);
    expect(again.status).toBe(200);
    expect(again.json.status).toBe('succeeded');

    // The daily series, the projection and the decision cover a token's own usage only.
    const ownDaily = (await a.call('GET', '/v1/usage/daily')).json;
    expect(ownDaily.totals.count).toBe(3);
    expect(ownDaily.series.map((s: any) => s.key)).toEqual(['gantry/echo']);
    expect((await b.call('GET', '/v1/usage/daily')).json.totals.count).toBe(0);
    expect((await admin('GET', '/v1/usage/daily')).json.totals.count).toBeGreaterThan(3);
    const ownCost = (await a.call('GET', `/v1/usage?tag=gantry_check:${id}`)).json.results[0].total_usd;
    expect((await b.call('GET', '/v1/usage/projection')).json.month_to_date_usd).toBe(0);
    expect((await a.call('GET', '/v1/usage/projection')).json.month_to_date_usd).toBeCloseTo(ownCost, 9);
    const decided = (await a.call('GET', '/v1/decide')).json;
    expect(decided.groups.map((g: any) => [g.key, g.predictions])).toEqual([['gantry/echo', 3]]);
    expect((await b.call('GET', '/v1/decide')).json.groups).toEqual([]);
  }, 90_000);

  test("a prediction's webhook deliveries are its owner's", async () => {
    const a = await makeToken({ name: 'hooks-a', scope: 'run' });
    const b = await makeToken({ name: 'hooks-b', scope: 'read' });
    const p = (await a.call('POST', '/v1/models/gantry/echo/predictions', { input: { text: 'hooked' }, webhook: `${receiver.url}/own`, webhook_events_filter: ['completed'] }, { prefer: 'wait' })).json;
    await receiver.waitFor((d) => d.path === '/own' && d.json?.id === p.id);
    const own = await a.call('GET', `/v1/predictions/${p.id}/webhooks`);
    expect(own.status).toBe(200);
    expect(own.json.results.map((d: any) => [d.event, d.url])).toEqual([['completed', `${receiver.url}/own`]]);
    problem(await b.call('GET', `/v1/predictions/${p.id}/webhooks`), 404);
    expect((await admin('GET', `/v1/predictions/${p.id}/webhooks`)).status).toBe(200);
  }, 30_000);

  test("a check's runs are held to the token's spend limit, and a token past it cannot start a check", async () => {
    const t = await makeToken({ name: 'check-budget', scope: 'run', limits: { usd_per_day: 0.02 } });
    const created = await t.call('POST', '/v1/checks', { model: `me/paid:${paidVersion}`, input: { text: 'x' }, runs: 2, worst_case: false });
    expect(created.status).toBe(201);
    const done = await waitForCheck(t.call, created.json.id);
    // $0.01 a run: the two typical runs reach the limit, so the deadline run and its retry are refused.
    expect(done.report.runs.map((r: any) => [r.key, r.status])).toEqual([
      ['consistency.1', 'succeeded'],
      ['consistency.2', 'succeeded'],
      ['timeout_retry.first', 'refused'],
      ['timeout_retry.retry', 'refused'],
    ]);
    expect(done.report.runs[2].error).toMatch(/^402 Token "check-budget" has spent \$0\.02 today/);
    expect(done.report.totals).toEqual(expect.objectContaining({ predictions: 2, cost_usd: 0.02 }));
    const refused = await t.call('POST', '/v1/checks', { model: 'gantry/echo', input: {}, runs: 2 });
    problem(refused, 402, '/limits/usd_per_day');
    expect(refused.json.limit).toEqual(expect.objectContaining({ name: 'usd_per_day', usd: 0.02, spent_usd: 0.02 }));
    expect((await t.call('GET', '/v1/checks')).json.results.map((c: any) => c.id)).toEqual([created.json.id]);
  }, 90_000);
});

test('every request and answer of this file matches /openapi.json', () => expectConformant(client));
