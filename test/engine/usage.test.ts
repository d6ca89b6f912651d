/** GET /v1/usage over real HTTP: grouping, units, date ranges, bad parameters. */
import { Client } from 'pg';
import { api, startEngine, type EngineHandle } from '../helpers/engine';

let engine: EngineHandle;
let call: ReturnType<typeof api>;
let echo: string;

async function sql(text: string, params: unknown[] = []) {
  const client = new Client({ connectionString: engine.databaseUrl });
  await client.connect();
  try {
    return (await client.query(text, params)).rows;
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  engine = await startEngine();
  call = api(engine);
  echo = (await call('GET', '/v1/models/gantry/echo')).json.latest_version.id;
  await call('POST', '/v1/deployments', { name: 'billing', model: 'gantry/echo', version: echo, hardware: 'cpu', min_instances: 0, max_instances: 1 });
  const runs = [
    call('POST', '/v1/deployments/gantry/billing/predictions', { input: { text: 'a' }, tags: { workflow: 'wf-1' } }, { prefer: 'wait' }),
    call('POST', '/v1/deployments/gantry/billing/predictions', { input: { text: 'b' }, tags: { workflow: 'wf-1' } }, { prefer: 'wait' }),
    call('POST', '/v1/models/gantry/echo/predictions', { input: { text: 'c' }, tags: { workflow: 'wf-2' } }, { prefer: 'wait' }),
  ];
  for (const r of await Promise.all(runs)) expect(r.json.status).toBe('succeeded');
}, 90_000);
afterAll(async () => engine?.stop());

const row = (results: any[], key: string | null) => results.find((r) => r.key === key);

test('group by deployment shows the deployment predictions (and its instance time)', async () => {
  const res = await call('GET', '/v1/usage?group_by=deployment');
  expect(res.status).toBe(200);
  const dep = row(res.json.results, 'gantry/billing');
  expect(dep).toEqual(expect.objectContaining({ unit: 'seconds', quantity: expect.any(Number), total_usd: expect.any(Number) }));
  expect(dep.by_kind.prediction.count).toBe(2);
  expect(dep.total_usd).toBeGreaterThan(0);
  // Total over kinds equals the row total, and matches what the deployment says it cost.
  const kinds = Object.values(dep.by_kind) as Array<{ total_usd: number }>;
  expect(dep.total_usd).toBeCloseTo(kinds.reduce((s, k) => s + k.total_usd, 0), 9);
  const d = (await call('GET', '/v1/deployments/gantry/billing')).json;
  expect(d.cost_so_far_usd).toBeCloseTo(dep.total_usd, 9);
  // The model prediction has no deployment.
  expect(row(res.json.results, null).by_kind.prediction.count).toBe(1);
});

test('group by tag, model, kind, day, token', async () => {
  const tag = (await call('GET', '/v1/usage?group_by=tag:workflow')).json;
  expect(tag.group_by).toBe('tag:workflow');
  expect(row(tag.results, 'wf-1').by_kind.prediction.count).toBe(2);
  expect(row(tag.results, 'wf-2').by_kind.prediction.count).toBe(1);

  const model = (await call('GET', '/v1/usage?group_by=model')).json;
  expect(row(model.results, 'gantry/echo').by_kind.prediction.count).toBe(3);

  const kind = (await call('GET', '/v1/usage?group_by=kind')).json;
  expect(row(kind.results, 'prediction').count).toBe(3);

  const day = (await call('GET', '/v1/usage?group_by=day')).json;
  const today = new Date().toISOString().slice(0, 10);
  expect(day.results.map((r: any) => r.key)).toContain(today);

  const token = (await call('GET', '/v1/usage?group_by=token')).json;
  expect(row(token.results, 'admin').by_kind.prediction.count).toBe(3);
});

test('units: one unit per row, seconds when mixed, all units in quantities', async () => {
  // A per-image record next to the hardware-time ones (as a version with per_image pricing writes).
  await sql(`INSERT INTO usage_records (kind, model, version, rule, quantity, unit_price_usd, total_usd, tags)
    VALUES ('prediction', 'acme/images', 'v1', 'per_image', 4, 0.003, 0.012, '{"workflow":"wf-2"}')`);
  const model = (await call('GET', '/v1/usage?group_by=model')).json;
  expect(row(model.results, 'acme/images')).toEqual(expect.objectContaining({ unit: 'images', quantity: 4, total_usd: 0.012, count: 1 }));
  const tag = (await call('GET', '/v1/usage?group_by=tag:workflow')).json;
  const mixed = row(tag.results, 'wf-2');
  expect(mixed.unit).toBe('seconds');
  expect(mixed.quantities).toEqual(expect.objectContaining({ images: 4, seconds: expect.any(Number) }));
  expect(mixed.quantity).toBe(mixed.quantities.seconds);
});

test('since and until bound the range (half-open)', async () => {
  const future = (await call('GET', '/v1/usage?group_by=kind&since=2999-01-01')).json;
  expect(future.results).toEqual([]);
  const past = (await call('GET', '/v1/usage?group_by=kind&until=2000-01-01T00:00:00Z')).json;
  expect(past.results).toEqual([]);
  const now = (await call('GET', `/v1/usage?group_by=kind&since=2000-01-01&until=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).json;
  expect(row(now.results, 'prediction').count).toBe(4);
});

test('bad parameters are 422 naming the query field', async () => {
  const cases: Array<[string, string]> = [
    ['group_by=colour', '/group_by'],
    ['group_by=tag:', '/group_by'],
    ['since=yesterday', '/since'],
    ['until=2025-13-45', '/until'],
    ['since=2025-02-01&until=2025-01-01', '/until'],
    ['limit=5', '/limit'],
  ];
  for (const [query, pointer] of cases) {
    const res = await call('GET', `/v1/usage?${query}`);
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.json.errors[0].pointer).toBe(pointer);
  }
});
