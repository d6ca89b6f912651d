/**
 * BullMQ on a real Redis Cluster (3 masters started from the machine's redis-server): a fleet
 * (API, controller, two workers) routes predictions of several versions through their own
 * queues. Every queue's keys carry a hash tag of its name, so each queue lives in one slot
 * (BullMQ's scripts need that) while different queues are spread over the cluster's nodes.
 */
import { join } from 'node:path';
import { api } from '../helpers/engine';
import { startFleet, type FleetHandle } from '../helpers/fleet';
import { startRedisCluster, type RedisClusterHandle } from '../helpers/redis';

const FIXTURES = join(__dirname, '..', 'fixtures', 'predictors');
let cluster: RedisClusterHandle;
let fleet: FleetHandle;
let call: ReturnType<typeof api>;

beforeAll(async () => {
  cluster = await startRedisCluster(3);
  fleet = await startFleet({
    controllers: 1,
    workers: [
      { name: 'rc-w1', gpus: 'gpu-t4:2', cpuSlots: 2 },
      { name: 'rc-w2', gpus: 'gpu-t4:2', cpuSlots: 2 },
    ],
    env: { REDIS_URL: cluster.url },
  });
  call = api({ url: fleet.apis[0].url, token: fleet.token });
}, 120_000);

afterAll(async () => {
  await fleet?.stop();
  await cluster?.stop();
});

test('predictions of several versions run through queues on a Redis Cluster', async () => {
  const versions: string[] = [];
  // A version per model (its id covers the model's name), hence a queue per version: eight queue
  // names all hashing to one of three masters would take odds of 1 in 2,187.
  for (const name of ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta']) {
    await call('POST', '/v1/models', { owner: 'rc', name, visibility: 'private', hardware: 'gpu-t4' });
    const v = await call('POST', `/v1/models/rc/${name}/versions`, { runner: { type: 'node', module: join(FIXTURES, 'gpu-env.js') }, hardware: 'gpu-t4' });
    expect(v.status).toBe(201);
    versions.push(v.json.id);
  }
  expect(new Set(versions).size).toBe(versions.length);
  const results = await Promise.all(versions.flatMap((version) => [0, 1].map(() => call('POST', '/v1/predictions', { version, input: { sleep: 0.2 } }, { prefer: 'wait=60' }))));
  for (const r of results) expect(r.json.status).toBe('succeeded');

  // Each queue's keys live under one hash tag, and the tags spread over the masters.
  const tagsByNode = new Map<number, Set<string>>();
  for (const port of cluster.ports) {
    const keys = (await cluster.cli(port, '--scan', '--pattern', '{run-*')).split('\n').filter(Boolean);
    tagsByNode.set(port, new Set(keys.map((k) => /^\{([^}]+)\}/.exec(k)![1])));
  }
  const all = [...tagsByNode.values()].flatMap((s) => [...s]);
  expect(new Set(all).size).toBe(all.length); // no queue split over two nodes
  for (const version of versions) expect(all).toContain(`run-${version}`);
  expect([...tagsByNode.values()].filter((s) => s.size > 0).length).toBeGreaterThanOrEqual(2);
}, 120_000);
