/**
 * API replicas whose database traffic goes through PgBouncer in transaction mode (DATABASE_URL =
 * the pooler, GANTRY_DIRECT_DATABASE_URL = Postgres itself for LISTEN, migrations and BullMQ),
 * beside a controller and a worker on direct connections. Under concurrency, transaction pooling
 * hands each transaction any server connection: named prepared statements or session state on
 * the pooled URL would fail; everything here must work, and PgBouncer's own counters show the
 * traffic went through it.
 */
import { api, createDatabase } from '../helpers/engine';
import { startFleet, type FleetHandle } from '../helpers/fleet';
import { startPgBouncer, type Bouncer } from '../helpers/pgbouncer';
import { startReceiver, type Receiver } from '../helpers/receiver';

let bouncer: Bouncer;
let fleet: FleetHandle;
let receiver: Receiver;
let a: ReturnType<typeof api>;
let b: ReturnType<typeof api>;

beforeAll(async () => {
  const direct = await createDatabase();
  bouncer = await startPgBouncer(direct);
  receiver = await startReceiver();
  fleet = await startFleet({
    databaseUrl: direct,
    apis: 2,
    controllers: 1,
    workers: [{ name: 'pgb-w1', cpuSlots: 2 }],
    roleEnv: { api: { DATABASE_URL: bouncer.urlFor(direct), GANTRY_DIRECT_DATABASE_URL: direct } },
  });
  a = api({ url: fleet.apis[0].url, token: fleet.token });
  b = api({ url: fleet.apis[1].url, token: fleet.token });
}, 120_000);

afterAll(async () => {
  await fleet?.stop();
  await bouncer?.stop();
  await receiver?.close();
});

test('the pooler runs in transaction mode', () => {
  const config = Object.fromEntries(bouncer.show('CONFIG').map((r) => [r.key, r.value]));
  expect(config.pool_mode).toBe('transaction');
});

test('predictions, waits, lists, tokens, subscriptions and deployments work through it, concurrently', async () => {
  const ids = await Promise.all(
    Array.from({ length: 24 }, async (_, i) => {
      const via = i % 2 ? a : b;
      const res = await via('POST', '/v1/models/gantry/echo/predictions', { input: { text: `p${i}` } }, { prefer: 'wait=30' });
      expect(res.status).toBe(201);
      expect(res.json.status).toBe('succeeded');
      expect(res.json.output).toBe(`p${i}`);
      return res.json.id as string;
    }),
  );
  const listed = await a('GET', '/v1/predictions');
  expect(listed.json.results.map((p: any) => p.id)).toEqual(expect.arrayContaining(ids.slice(0, 10)));
  for (const id of ids.slice(0, 5)) expect((await b('GET', `/v1/predictions/${id}`)).json.status).toBe('succeeded');

  const token = await a('POST', '/v1/tokens', { name: 'pooled', scope: 'run' });
  expect(token.status).toBe(201);
  expect((await api({ url: fleet.apis[1].url, token: token.json.token })('GET', '/v1/account')).status).toBe(200);
  expect((await b('DELETE', `/v1/tokens/${token.json.id}`)).status).toBe(204);
  expect((await api({ url: fleet.apis[0].url, token: token.json.token })('GET', '/v1/account')).status).toBe(401);

  const sub = await a('POST', '/v1/webhooks', { url: `${receiver.url}/sub`, events: ['completed'], model: 'gantry/echo' });
  expect(sub.status).toBe(201);
  const hooked = await b('POST', '/v1/models/gantry/echo/predictions', { input: { text: 'hooked' } }, { prefer: 'wait=30' });
  const delivery = await receiver.waitFor((d) => d.path === '/sub' && d.json?.id === hooked.json.id, 30_000);
  expect(delivery.json.status).toBe('succeeded');

  const dep = await a('POST', '/v1/deployments', { name: 'pooled-echo', model: 'gantry/echo', version: hooked.json.version, hardware: 'cpu', min_instances: 0, max_instances: 1 });
  expect(dep.status).toBeLessThan(300);
  const viaDep = await b('POST', `/v1/deployments/${dep.json.owner}/pooled-echo/predictions`, { input: { text: 'dep' } }, { prefer: 'wait=30' });
  expect(viaDep.json.output).toBe('dep');
}, 120_000);

test('the traffic went through PgBouncer', () => {
  const stats = bouncer.show('STATS').filter((r) => r.database !== 'pgbouncer');
  const transactions = stats.reduce((n, r) => n + Number(r.total_xact_count ?? 0), 0);
  expect(transactions).toBeGreaterThan(100);
});
