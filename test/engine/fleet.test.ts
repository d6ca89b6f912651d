/**
 * A fleet on this machine: 2 API replicas, 2 controllers, 2 workers with one declared T4 each,
 * all real `gantry serve --role …` processes on one Postgres. Proves: every role answers /health;
 * exactly one controller leads; a sync wait, a stream and a webhook work whichever replica the
 * client reaches; predictions are placed cluster-wide (two long ones on one-GPU workers run at
 * the same time on different workers, never one after the other on a busy worker); a token
 * revoked on one replica is refused by the other at once; a waiting prediction whose job was lost
 * is enqueued again by the reconciler; a worker killed mid-prediction is declared lost, its
 * prediction ends interrupted and its instance is placed on the other worker; a controller that
 * stops hands the lease to the standby.
 */
import { join } from 'node:path';
import Replicate from 'replicate';
import { api } from '../helpers/engine';
import { eventually, startFleet, type FleetHandle } from '../helpers/fleet';
import { startReceiver, type Receiver } from '../helpers/receiver';

const FIXTURES = join(__dirname, '..', 'fixtures', 'predictors');
let fleet: FleetHandle;
let receiver: Receiver;
let a: ReturnType<typeof api>;
let b: ReturnType<typeof api>;
let t4: string;

beforeAll(async () => {
  receiver = await startReceiver();
  fleet = await startFleet({
    apis: 2,
    controllers: 2,
    workers: [
      { name: 'w1', gpus: 'gpu-t4:1' },
      { name: 'w2', gpus: 'gpu-t4:1' },
    ],
    env: { GANTRY_SCALE_UP_DELAY: '0', GANTRY_LEASE_SECONDS: '4' },
  });
  a = api({ url: fleet.apis[0].url, token: fleet.token });
  b = api({ url: fleet.apis[1].url, token: fleet.token });
  await a('POST', '/v1/models', { owner: 'fleet', name: 't4', visibility: 'private', hardware: 'gpu-t4' });
  const v = await a('POST', '/v1/models/fleet/t4/versions', { runner: { type: 'node', module: join(FIXTURES, 'gpu-env.js') }, hardware: 'gpu-t4' });
  expect(v.status).toBe(201);
  t4 = v.json.id;
}, 120_000);

afterAll(async () => {
  await fleet?.stop();
  await receiver?.close();
});

test('every role answers /health and exactly one controller leads', async () => {
  for (const p of [...fleet.apis, ...fleet.controllers, ...fleet.workers]) {
    const h = await p.health();
    expect(h.status).toBe('ok');
  }
  const leaders = await eventually(async () => {
    const states = await Promise.all(fleet.controllers.map((c) => c.health()));
    const n = states.filter((s) => s.leader).length;
    return n === 1 ? states : undefined;
  }, 20_000, 'one leader');
  expect(leaders.map((s) => s.role)).toEqual(['controller', 'controller']);
  const workers = await Promise.all(fleet.workers.map((w) => w.health()));
  expect(workers.map((w) => w.membership)).toEqual(['live', 'live']);
  const res = await b('GET', '/v1/hardware');
  expect(res.json.map((h: any) => h.sku)).toContain('gpu-t4');
});

test('a sync wait on one replica, a stream and a webhook through the other', async () => {
  const hook = `${receiver.url}/hook-sync`;
  const res = await a('POST', '/v1/predictions', { version: t4, input: { sleep: 0.3 }, webhook: hook, webhook_events_filter: ['completed'] }, { prefer: 'wait=30' });
  expect(res.status).toBe(201);
  expect(res.json.status).toBe('succeeded');
  expect(res.json.output.cuda_visible_devices).toBe('0');
  const delivered = await receiver.waitFor((d) => d.path === '/hook-sync' && d.json?.status === 'succeeded', 30_000);
  expect(delivered.json.id).toBe(res.json.id);
  expect(delivered.headers['webhook-id']).toBeTruthy();
  // Created on one replica, awaited through the other with the official client.
  const created = await a('POST', '/v1/predictions', { version: t4, input: { sleep: 0.5 } });
  const replicate = new Replicate({ auth: fleet.token, baseUrl: `${fleet.apis[1].url}/v1` });
  const done = await replicate.wait(created.json, { interval: 100 });
  expect(done.status).toBe('succeeded');
});

test('a stream opened on the other replica follows a prediction created on the first', async () => {
  await a('POST', '/v1/models', { owner: 'fleet', name: 'streamer', visibility: 'private', hardware: 'cpu' });
  const v = await a('POST', '/v1/models/fleet/streamer/versions', { runner: { type: 'node', module: 'builtin:echo' } });
  const created = await a('POST', '/v1/predictions', { version: v.json.id, input: { text: 'a b c', stream_chunks: 3, sleep: 0.2 }, stream: true });
  expect(created.status).toBe(201);
  const streamUrl: string = created.json.urls.stream;
  expect(streamUrl).toBeTruthy();
  const other = streamUrl.replace(fleet.apis[0].url, fleet.apis[1].url);
  const res = await fetch(other, { headers: { accept: 'text/event-stream' } });
  const text = await res.text();
  expect(text).toMatch(/event: done/);
  expect(text).toMatch(/event: output/);
}, 60_000);

test('placement is cluster-wide: two long predictions run at once on the two one-GPU workers', async () => {
  const [p1, p2] = await Promise.all([
    a('POST', '/v1/predictions', { version: t4, input: { sleep: 4 } }),
    b('POST', '/v1/predictions', { version: t4, input: { sleep: 4 } }),
  ]);
  const rows = await eventually(async () => {
    const r = await fleet.query(`SELECT p.id, p.status, p.started_at, p.completed_at, w.name FROM predictions p JOIN workers w ON w.id = p.worker_id WHERE p.id = ANY($1)`, [[p1.json.id, p2.json.id]]);
    return r.length === 2 && r.every((x) => x.status === 'succeeded') ? r : undefined;
  }, 60_000, 'both succeeded');
  expect(new Set(rows.map((r) => r.name))).toEqual(new Set(['w1', 'w2']));
  // Overlapping runs: each started before the other finished (not one after the other).
  const [x, y] = rows;
  expect(x.started_at.getTime()).toBeLessThan(y.completed_at.getTime());
  expect(y.started_at.getTime()).toBeLessThan(x.completed_at.getTime());
  // Never two instances on one device.
  const placements = await fleet.query(`SELECT worker_id, unnest(devices) AS device, count(*)::int AS n FROM placements GROUP BY 1, 2 HAVING count(*) > 1`);
  expect(placements).toEqual([]);
}, 90_000);

test('a token revoked through one replica is refused by the other at once', async () => {
  const created = await a('POST', '/v1/tokens', { name: 'short-lived', scope: 'run' });
  expect(created.status).toBe(201);
  const viaB = api({ url: fleet.apis[1].url, token: created.json.token });
  expect((await viaB('GET', '/v1/account')).status).toBe(200); // now cached on B (5 s TTL)
  expect((await a('DELETE', `/v1/tokens/${created.json.id}`)).status).toBe(204);
  // The invalidation travels by NOTIFY: well under the cache's TTL.
  await eventually(async () => (await viaB('GET', '/v1/account')).status === 401, 2000, 'B refuses the revoked token');
});

test('a waiting prediction whose job was lost is enqueued again by the reconciler', async () => {
  // Stored as the API stores it, but never enqueued (as when a Redis failover drops the job).
  const created = await a('POST', '/v1/predictions', { version: t4, input: { sleep: 0 } });
  await eventually(async () => (await a('GET', `/v1/predictions/${created.json.id}`)).json.status === 'succeeded', 30_000, 'first');
  const [row] = await fleet.query(`SELECT * FROM predictions WHERE id = $1`, [created.json.id]);
  const orphan = `orphan${Date.now().toString(36)}`;
  await fleet.query(
    `INSERT INTO predictions (id, kind, model, version, input, status, hardware) VALUES ($1, 'prediction', $2, $3, '{}', 'starting', 'gpu-t4')`,
    [orphan, row.model, row.version],
  );
  const done = await eventually(async () => {
    const p = (await a('GET', `/v1/predictions/${orphan}`)).json;
    return p.status === 'succeeded' ? p : undefined;
  }, 30_000, 'the orphan ran');
  expect(done.output.cuda_visible_devices).toBe('0');
}, 60_000);

test('a worker killed mid-prediction is declared lost; its prediction is interrupted and its instance replaced', async () => {
  const created = await a('POST', '/v1/predictions', { version: t4, input: { sleep: 20 } });
  const running = await eventually(async () => {
    const [r] = await fleet.query(`SELECT w.name, p.worker_id FROM predictions p JOIN workers w ON w.id = p.worker_id WHERE p.id = $1 AND p.status = 'processing'`, [created.json.id]);
    return r;
  }, 30_000, 'running');
  const victim = fleet.workers.find((w) => w.label === running.name)!;
  const killedAt = Date.now();
  await victim.kill();
  const failed = await eventually(async () => {
    const p = (await b('GET', `/v1/predictions/${created.json.id}`)).json;
    return p.status === 'failed' ? p : undefined;
  }, 40_000, 'interrupted');
  expect(failed.error).toMatch(/interrupted/);
  expect(Date.now() - killedAt).toBeLessThan(30_000);
  const [lost] = await fleet.query(`SELECT lost_at FROM workers WHERE id = $1`, [running.worker_id]);
  expect(lost.lost_at).not.toBeNull();
  // New work runs on the survivor.
  const res = await b('POST', '/v1/predictions', { version: t4, input: {} }, { prefer: 'wait=30' });
  expect(res.json.status).toBe('succeeded');
  const [where] = await fleet.query(`SELECT w.name FROM predictions p JOIN workers w ON w.id = p.worker_id WHERE p.id = $1`, [res.json.id]);
  expect(where.name).not.toBe(running.name);
}, 90_000);

test('a controller that stops hands the lease to the standby, with a new epoch', async () => {
  const leader = (await fleet.leader())!;
  const before = (await leader.health()).epoch;
  await leader.stop();
  const standby = fleet.controllers.find((c) => c !== leader)!;
  const h = await eventually(async () => {
    const s = await standby.health();
    return s.leader ? s : undefined;
  }, 15_000, 'standby takes over');
  expect(h.epoch).toBeGreaterThan(before);
  // And it works: a new prediction is placed and runs.
  const res = await a('POST', '/v1/predictions', { version: t4, input: {} }, { prefer: 'wait=30' });
  expect(res.json.status).toBe('succeeded');
}, 60_000);
