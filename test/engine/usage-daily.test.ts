/** GET /v1/usage/daily and GET /v1/usage/projection over real HTTP and real usage records. */
import { api, sql, startEngine, type EngineHandle } from '../helpers/engine';
import { checkedClient, expectConformant, type CheckedClient } from '../conformance/wire/checked-client';

let engine: EngineHandle;
let call: ReturnType<typeof api>;
let client: CheckedClient;

const record = (model: string, usd: number, createdAt: string, tags: Record<string, string> = {}) =>
  sql(engine, `INSERT INTO usage_records (kind, model, rule, quantity, unit_price_usd, total_usd, tags, created_at)
       VALUES ('prediction', $1, 'per_prediction', 1, $2, $2, $3, $4)`, [model, usd, JSON.stringify(tags), createdAt]);

beforeAll(async () => {
  engine = await startEngine();
  // Every request and answer of this file is held to the engine's /openapi.json.
  client = checkedClient(engine, { replicate: false });
  call = client.call;
}, 90_000);
afterAll(async () => engine?.stop());

test('a daily series stacked by model over a fixed range, every day present', async () => {
  await record('acme/a', 1, '2024-06-01T10:00:00Z', { team: 'red' });
  await record('acme/a', 2, '2024-06-03T23:59:59Z', { team: 'red' });
  await record('acme/b', 4, '2024-06-03T00:00:00Z', { team: 'blue' });
  await record('acme/b', 8, '2024-06-04T00:00:00Z'); // the until day: outside the half-open range
  const res = await call('GET', '/v1/usage/daily?stack_by=model&since=2024-06-01&until=2024-06-04');
  expect(res.status).toBe(200);
  expect(res.json.days).toEqual(['2024-06-01', '2024-06-02', '2024-06-03']);
  expect(res.json.stack_by).toBe('model');
  expect(res.json.series).toEqual([
    { key: 'acme/b', count: 1, total_usd: 4, daily_usd: [0, 0, 4], daily_count: [0, 0, 1] },
    { key: 'acme/a', count: 2, total_usd: 3, daily_usd: [1, 0, 2], daily_count: [1, 0, 1] },
  ]);
  expect(res.json.totals).toEqual({ count: 3, total_usd: 7, daily_usd: [1, 0, 6], daily_count: [1, 0, 2] });

  const byTag = (await call('GET', '/v1/usage/daily?stack_by=tag:team&since=2024-06-01&until=2024-06-05')).json;
  expect(byTag.stack_by).toBe('tag:team');
  expect(byTag.series.map((s: { key: string | null; total_usd: number }) => [s.key, s.total_usd])).toEqual([
    [null, 8],
    ['blue', 4],
    ['red', 3],
  ]);
});

test("the default range is the last 30 days with today, and a new prediction shows on today's bar", async () => {
  const before = (await call('GET', '/v1/usage/daily')).json;
  expect(before.days).toHaveLength(30);
  const today = new Date().toISOString().slice(0, 10);
  expect(before.days[29]).toBe(today);
  const run = await call('POST', '/v1/models/gantry/echo/predictions', { input: { text: 'x' } }, { prefer: 'wait' });
  expect(run.json.status).toBe('succeeded');
  const after = (await call('GET', '/v1/usage/daily?stack_by=model')).json;
  const echo = after.series.find((s: { key: string }) => s.key === 'gantry/echo');
  expect(echo.daily_count[29]).toBe(1);
  expect(echo.daily_usd[29]).toBeCloseTo(run.json.cost.total_usd, 9);
  expect(after.totals.daily_count[29]).toBe((before.totals.daily_count[29] ?? 0) + 1);
});

test('bad daily parameters are 422 problems naming the parameter', async () => {
  const cases: Array<[string, string]> = [
    ['stack_by=day', '/stack_by'],
    ['stack_by=colour', '/stack_by'],
    ['since=last-week', '/since'],
    ['since=2024-06-05&until=2024-06-01', '/until'],
    ['since=2020-01-01&until=2024-01-01', '/since'],
    ['group_by=model', '/group_by'],
  ];
  for (const [query, pointer] of cases) {
    const res = await call('GET', `/v1/usage/daily?${query}`);
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.json.errors[0].pointer).toBe(pointer);
  }
});

test('the month-end projection adds the rest of the month at the trailing rate', async () => {
  const fresh = await startEngine();
  const freshClient = checkedClient(fresh, { replicate: false });
  const freshCall = freshClient.call;
  try {
    const empty = (await freshCall('GET', '/v1/usage/projection')).json;
    expect(empty).toEqual(expect.objectContaining({ month_to_date_usd: 0, rate_usd_per_day: 0, projected_month_usd: 0 }));

    // $3 a day ago, so the rate window starts there (the engine is younger than a week).
    await sql(fresh, `INSERT INTO usage_records (kind, model, rule, quantity, unit_price_usd, total_usd, created_at)
      VALUES ('prediction', 'acme/a', 'per_prediction', 1, 3, 3, clock_timestamp() - interval '1 day')`);
    const p = (await freshCall('GET', '/v1/usage/projection')).json;
    const now = new Date(p.as_of).getTime();
    const monthStart = new Date(p.month_start).getTime();
    const monthEnd = new Date(p.month_end).getTime();
    expect(p.month).toBe(p.as_of.slice(0, 7));
    // The record is this month's unless the month began less than a day ago.
    expect(p.month_to_date_usd).toBe(now - 86_400_000 >= monthStart ? 3 : 0);
    expect(p.rate_window_seconds).toBeGreaterThanOrEqual(86_399);
    expect(p.rate_window_seconds).toBeLessThanOrEqual(86_460);
    expect(p.rate_usd_per_day).toBeCloseTo(3, 2);
    const remainingDays = (monthEnd - now) / 86_400_000;
    expect(p.projected_month_usd).toBeCloseTo(p.month_to_date_usd + 3 * remainingDays, 1);
    const bad = await freshCall('GET', '/v1/usage/projection?month=2024-01');
    expect(bad.status).toBe(422);
    expect(bad.json.errors[0].pointer).toBe('/month');
    expectConformant(freshClient);
  } finally {
    await fresh.stop();
  }
}, 90_000);

test('every request and answer of this file matches /openapi.json', () => expectConformant(client));
