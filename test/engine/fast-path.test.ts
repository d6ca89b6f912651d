/**
 * The warm fast path (a new prediction starts at once on a warm instance's free slot) must not
 * promise one free slot to two predictions: with one CPU slot and a burst of parallel creates,
 * the predictions' [started_at, completed_at] intervals never overlap, and the ones that waited
 * stayed `starting` (not `processing`) while they waited.
 */
import { join } from 'node:path';
import { api, startEngine, type EngineHandle } from '../helpers/engine';

const MODULE = join(__dirname, '..', 'fixtures', 'predictors', 'retained.js');

let engine: EngineHandle;
let call: ReturnType<typeof api>;

beforeAll(async () => {
  engine = await startEngine({ env: { GANTRY_CPU_SLOTS: '1' } });
  call = api(engine);
  expect((await call('POST', '/v1/models', { owner: 'me', name: 'one-slot', visibility: 'private', hardware: 'cpu' })).status).toBe(201);
  expect((await call('POST', '/v1/models/me/one-slot/versions', { runner: { type: 'node', module: MODULE } })).status).toBe(201);
}, 90_000);
afterAll(async () => engine?.stop());

test('a burst on one warm slot runs one at a time; waiting predictions stay starting', async () => {
  // Warm the instance, so the burst takes the fast path.
  const warm = await call('POST', '/v1/models/me/one-slot/predictions', { input: { text: 'warm' } }, { prefer: 'wait=30' });
  expect(warm.json.status).toBe('succeeded');

  const created = await Promise.all(
    Array.from({ length: 4 }, (_, i) => call('POST', '/v1/models/me/one-slot/predictions', { input: { text: `p${i}`, sleep: 0.5 } })),
  );
  const ids = created.map((c) => c.json.id as string);
  const until = Date.now() + 30_000;
  let rows: any[] = [];
  for (;;) {
    rows = await Promise.all(ids.map(async (id) => (await call('GET', `/v1/predictions/${id}`)).json));
    const processing = rows.filter((r) => r.status === 'processing');
    expect(processing.length).toBeLessThanOrEqual(1);
    if (rows.every((r) => r.status === 'succeeded')) break;
    expect(Date.now()).toBeLessThan(until);
    await new Promise((r) => setTimeout(r, 50));
  }
  const intervals = rows
    .map((r) => [Date.parse(r.started_at), Date.parse(r.completed_at)] as const)
    .sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < intervals.length; i++) expect(intervals[i][0]).toBeGreaterThanOrEqual(intervals[i - 1][1]);
  // Predict time is the run alone, not the wait.
  for (const r of rows) expect(r.metrics.predict_time).toBeLessThan(1.5);
}, 60_000);
