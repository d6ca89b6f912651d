/**
 * Cold starts and the artifact cache on a real fleet: `gantry serve --role api|controller|worker`
 * processes on one database, sharing only a bucket (the s3rver fake), each worker with a data dir
 * of its own. The artifacts are a version's weights: a few megabytes generated here and put in
 * the bucket. The first cold start of a version misses (its weights are downloaded: fetch_time,
 * bytes fetched), the next one on the same worker hits the disk copy, the one after that the
 * memory copy; each phase is in the prediction's metrics, on the instance in /v1/cluster, on the
 * worker (its cache), and counted on the worker's /metrics. With a second worker that placement
 * would otherwise prefer (binpack: it has fewer CPU slots), a version goes to the worker that
 * holds its artifacts. A version called more and more often gets its weights prefetched onto the
 * worker its next instance would land on. Creating a deployment prefetches its version's weights onto the worker
 * placement picks, before any prediction; a deployment's Cog image (started through docker) is
 * reported held from the worker's local image store, or pulled there ahead of demand (a fake
 * `docker` CLI on PATH with a store per worker: no Docker daemon runs here).
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api } from '../helpers/engine';
import { eventually, spawnRole, startFleet, type FleetHandle } from '../helpers/fleet';
import { startS3, type S3Handle } from '../helpers/s3';

const READER = join(__dirname, '..', 'fixtures', 'predictors', 'weights-reader.js');
const FAKE_DOCKER = join(__dirname, '..', 'fixtures', 'fake-docker');
const BUCKET = 'fleet';
const PREFIX = 'gantry/';
const WEIGHT_BYTES = 4_000_000;
const tmp = (name: string) => mkdtempSync(join(tmpdir(), `gantry-${name}-`));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let s3: S3Handle;
let fleet: FleetHandle;
let call: ReturnType<typeof api>;
const bigDir = tmp('big');
const smallDir = tmp('small');
const memoryDir = tmp('shm');
const weights: Record<string, Buffer> = {};
const versions: Record<string, string> = {};
let bigMetricsUrl: string;

beforeAll(async () => {
  s3 = await startS3([BUCKET]);
  const storageUrl = s3.storageUrl(BUCKET, PREFIX);
  for (const name of ['ckpt-a', 'ckpt-b', 'ckpt-c', 'ckpt-e']) {
    weights[name] = randomBytes(WEIGHT_BYTES);
    await s3.put(BUCKET, `${PREFIX}weights/${name}/model.bin`, weights[name]);
  }
  fleet = await startFleet({
    apis: 1,
    controllers: 1,
    workers: [
      {
        name: 'big',
        cpuSlots: 4,
        env: { GANTRY_DATA_DIR: bigDir, FAKE_DOCKER_STATE: join(bigDir, 'docker'), GANTRY_CACHE_MEMORY_BYTES: '64MB', GANTRY_CACHE_MEMORY_DIR: memoryDir, GANTRY_METRICS_LISTEN: '127.0.0.1:0' },
      },
    ],
    env: { PATH: `${FAKE_DOCKER}:${process.env.PATH}`, GANTRY_STORAGE_URL: storageUrl, GANTRY_SCALE_UP_DELAY: '0', GANTRY_IDLE_WINDOW: '3', GANTRY_KEEP_ALIVE: 'fixed', GANTRY_CACHE_BYTES: '100MB' },
  });
  bigMetricsUrl = /metrics and probes on (http:\/\/\S+)\/metrics/.exec(fleet.workers[0].output())![1];
  call = api({ url: fleet.apis[0].url, token: fleet.token });
  expect((await call('POST', '/v1/models', { owner: 'me', name: 'ckpt', visibility: 'private', hardware: 'cpu' })).status).toBe(201);
  for (const name of Object.keys(weights)) {
    const v = await call('POST', '/v1/models/me/ckpt/versions', { runner: { type: 'node', module: READER }, weights: `s3://${BUCKET}/${PREFIX}weights/${name}` });
    expect(v.status).toBe(201);
    versions[name] = v.json.id;
  }
}, 120_000);

afterAll(async () => {
  await fleet?.stop();
  await s3?.close();
});

async function predict(version: string, path = '/v1/predictions') {
  const res = await call('POST', path, path === '/v1/predictions' ? { version, input: { text: 'x' } } : { input: { text: 'x' } }, { prefer: 'wait=60' });
  expect([res.status, res.json.status, res.json.error]).toEqual([201, 'succeeded', null]);
  const [row] = await fleet.query('SELECT worker_id FROM predictions WHERE id = $1', [res.json.id]);
  return { ...res.json, worker_id: row.worker_id as string };
}

async function cluster() {
  return (await call('GET', '/v1/cluster')).json;
}

const noLiveInstances = () => eventually(async () => (await cluster()).instances.length === 0, 30_000, 'the idle instances to stop');

async function workerNamed(name: string) {
  return eventually(async () => (await cluster()).workers.find((w: any) => w.name === name && w.alive), 30_000, `worker ${name}`);
}

test('first cold start misses, the next hits the disk copy, the one after the memory copy; measured everywhere', async () => {
  const a = versions['ckpt-a'];
  const runs: any[] = [];
  const instances: any[] = [];
  for (let i = 0; i < 3; i++) {
    const run = await predict(a);
    runs.push(run);
    // The instance is still up for the idle window: its boot phases are on /v1/cluster.
    instances.push((await cluster()).instances.find((x: any) => x.version === a));
    expect(run.output).toMatchObject({ bytes: WEIGHT_BYTES, sha256: sha(weights['ckpt-a']) });
    await noLiveInstances();
  }
  const m = runs.map((r) => r.metrics);
  for (const x of m) {
    expect(x.cold_start).toBe(true);
    for (const phase of ['fetch_time', 'boot_time', 'setup_time']) expect(x[phase]).toBeGreaterThanOrEqual(0);
  }
  expect(m.map((x) => x.artifact_cache)).toEqual(['miss', 'disk', 'memory']);
  expect(m.map((x) => x.artifact_bytes_fetched)).toEqual([WEIGHT_BYTES, 0, 0]);
  expect(m[0].fetch_time).toBeGreaterThan(0);
  expect(m[1].fetch_time).toBeLessThan(m[0].fetch_time);
  expect(runs[2].output.path.startsWith(memoryDir)).toBe(true);
  expect(new Set(runs.map((r) => r.worker_id)).size).toBe(1);
  expect(instances.map((i) => i?.artifact_cache)).toEqual(['miss', 'disk', 'memory']);
  expect(instances[0].fetch_time).toBe(m[0].fetch_time);
  expect(instances[0].setup_time).toBe(m[0].setup_time);

  const big = await workerNamed('big');
  expect(big.artifacts).toEqual([{ version: a, tier: 'memory', bytes: WEIGHT_BYTES }]);
  expect(big.cache).toMatchObject({ misses: 1, hits_disk: 1, hits_memory: 1, fetched_bytes: WEIGHT_BYTES, used_bytes: WEIGHT_BYTES, budget_bytes: 100e6, memory_budget_bytes: 64e6 });
  const metrics = await (await fetch(`${bigMetricsUrl}/metrics`)).text();
  for (const outcome of ['miss', 'disk', 'memory']) expect(metrics).toContain(`gantry_artifact_cache_lookups_total{outcome="${outcome}",purpose="boot"} 1`);
  expect(metrics).toContain(`gantry_artifact_fetched_bytes_total{purpose="boot"} ${WEIGHT_BYTES}`);
  // Usage adds up the cold starts of the version and the seconds of each phase.
  const usage = (await call('GET', '/v1/usage?group_by=version')).json.results.find((r: any) => r.key === a);
  const sum = (phase: string) => Math.round(m.reduce((s, x) => s + x[phase], 0) * 1e6) / 1e6;
  expect(usage.cold_starts.count).toBe(3);
  for (const phase of ['fetch_time', 'boot_time', 'setup_time']) expect(usage.cold_starts[phase]).toBeCloseTo(sum(phase), 6);
  // Measured, not asserted: the fetch phase of a 4 MB checkpoint by where it was.
  console.log(`fetch_time of ${WEIGHT_BYTES} bytes: miss ${m[0].fetch_time}s, disk ${m[1].fetch_time}s, memory ${m[2].fetch_time}s; boot_time ${m.map((x) => x.boot_time).join('/')}s; setup_time ${m.map((x) => x.setup_time).join('/')}s`);
}, 120_000);

test('with two workers, placement chooses the one that holds the artifacts', async () => {
  fleet.workers.push(
    await spawnRole('worker', 'small', { ...fleet.env, GANTRY_WORKER_NAME: 'small', GANTRY_GPUS: '', GANTRY_CPU_SLOTS: '1', GANTRY_DATA_DIR: smallDir, FAKE_DOCKER_STATE: join(smallDir, 'docker') }),
  );
  const big = await workerNamed('big');
  const small = await workerNamed('small');
  // Control: a version nobody holds goes where binpack wants it, the worker with fewer slots.
  const control = await predict(versions['ckpt-b']);
  expect([control.worker_id, control.metrics.artifact_cache]).toEqual([small.id, 'miss']);
  await noLiveInstances();
  // The version whose weights `big` holds goes to `big` all the same.
  const held = await predict(versions['ckpt-a']);
  expect([held.worker_id, held.metrics.artifact_cache, held.metrics.artifact_bytes_fetched]).toEqual([big.id, 'memory', 0]);
  await noLiveInstances();
}, 120_000);

test('creating a deployment prefetches its weights onto the worker placement picks, before any prediction', async () => {
  const c = versions['ckpt-c'];
  const created = await call('POST', '/v1/deployments', { name: 'warm', model: 'me/ckpt', version: c, hardware: 'cpu', min_instances: 0, max_instances: 1 });
  expect(created.status).toBe(200);
  const small = await eventually(async () => {
    const w = (await cluster()).workers.find((x: any) => x.name === 'small');
    return w?.artifacts.some((x: any) => x.version === c) ? w : undefined;
  }, 30_000, 'the deployment version prefetched');
  expect(small.artifacts.find((x: any) => x.version === c)).toEqual({ version: c, tier: 'disk', bytes: WEIGHT_BYTES });
  const file = join(smallDir, 'cache', 'weights', 'ckpt-c', 'model.bin');
  expect(existsSync(file) && statSync(file).size).toBe(WEIGHT_BYTES);
  expect(existsSync(join(bigDir, 'cache', 'weights', 'ckpt-c'))).toBe(false);
  // Nothing ran and nothing was placed for it: the fetch happened ahead of demand.
  expect(await fleet.query('SELECT id FROM predictions WHERE version = $1', [c])).toEqual([]);
  expect(await fleet.query('SELECT id FROM placements WHERE version = $1', [c])).toEqual([]);
  // Its first prediction boots on that worker without downloading anything.
  const run = await predict(c, `/v1/deployments/${created.json.owner}/warm/predictions`);
  expect([run.worker_id, run.metrics.cold_start, run.metrics.artifact_cache, run.metrics.artifact_bytes_fetched]).toEqual([small.id, true, 'disk', 0]);
}, 120_000);

test('Cog images: held when the local image store has one, pulled ahead for a deployment when not', async () => {
  const schema = { openapi: '3.0.2', info: { title: 'img', version: '1' }, paths: {}, components: { schemas: { Input: { type: 'object', properties: {} }, Output: { type: 'string' } } } };
  const cog = async (image: string) => {
    const v = await call('POST', '/v1/models/me/ckpt/versions', { runner: { type: 'cog', command: 'docker run --rm -p 127.0.0.1:{port}:5000 {image}', image }, openapi_schema: schema });
    expect(v.status).toBe(201);
    return v.json.id as string;
  };
  const pulls = (dir: string) => (existsSync(join(dir, 'docker', 'calls.log')) ? readFileSync(join(dir, 'docker', 'calls.log'), 'utf8').split('\n').filter((l) => l.startsWith('pull ')) : []);
  // `big` already has this image in its store (as after an earlier `docker pull`).
  const present = 'r8.im/acme/present@sha256:1111';
  mkdirSync(join(bigDir, 'docker', 'images'), { recursive: true });
  writeFileSync(join(bigDir, 'docker', 'images', encodeURIComponent(present)), '987654321');
  const held = await cog(present);
  expect((await call('POST', '/v1/deployments', { name: 'img-held', model: 'me/ckpt', version: held, hardware: 'cpu', min_instances: 0, max_instances: 1 })).status).toBe(200);
  const big = await eventually(async () => {
    const w = (await cluster()).workers.find((x: any) => x.name === 'big');
    return w?.artifacts.some((x: any) => x.version === held) ? w : undefined;
  }, 30_000, 'the image reported held');
  expect(big.artifacts.find((x: any) => x.version === held)).toEqual({ version: held, tier: 'disk', bytes: 987654321 });

  // Nobody has this one: the worker placement picks pulls it, and only that one.
  const absent = 'r8.im/acme/absent@sha256:2222';
  const pulled = await cog(absent);
  expect((await call('POST', '/v1/deployments', { name: 'img-pull', model: 'me/ckpt', version: pulled, hardware: 'cpu', min_instances: 0, max_instances: 1 })).status).toBe(200);
  const holder = await eventually(async () => (await cluster()).workers.find((x: any) => x.artifacts.some((a: any) => a.version === pulled)), 30_000, 'the image pulled');
  expect(holder.artifacts.find((x: any) => x.version === pulled)).toEqual({ version: pulled, tier: 'disk', bytes: 123456789 });
  const [holderDir, otherDir] = holder.name === 'small' ? [smallDir, bigDir] : [bigDir, smallDir];
  expect(pulls(holderDir)).toEqual([`pull ${absent}`]);
  expect(pulls(otherDir)).toEqual([]);
  // The image `big` had was never pulled by anyone.
  expect([...pulls(bigDir), ...pulls(smallDir)].filter((l) => l.includes(present))).toEqual([]);
  expect(await fleet.query('SELECT id FROM placements WHERE version = ANY($1)', [[held, pulled]])).toEqual([]);
}, 120_000);

test('a version called more often gets its weights prefetched where its next instance would land', async () => {
  const e = versions['ckpt-e'];
  await noLiveInstances();
  const before = await prefetchCounters();
  // Called every moment: its instance lands on `small` (binpack) and keeps its only slot busy,
  // so the next instance would go to `big`, which fetches the weights ahead of it.
  const runs: any[] = [];
  const big = await eventually(async () => {
    runs.push(await predict(e));
    const w = (await cluster()).workers.find((x: any) => x.name === 'big');
    return w?.artifacts.some((x: any) => x.version === e) ? w : undefined;
  }, 40_000, 'the weights prefetched onto big');
  const small = await workerNamed('small');
  expect(new Set(runs.map((r) => r.worker_id))).toEqual(new Set([small.id]));
  expect(big.artifacts.find((x: any) => x.version === e)).toEqual({ version: e, tier: 'disk', bytes: WEIGHT_BYTES });
  expect(statSync(join(bigDir, 'cache', 'weights', 'ckpt-e', 'model.bin')).size).toBe(WEIGHT_BYTES);
  expect((await fleet.query('SELECT DISTINCT worker_id FROM placements WHERE version = $1', [e])).map((r) => r.worker_id)).toEqual([small.id]);
  // Counted as prefetches on big (with whatever else it prefetched while `small` was busy: the
  // next instance of a deployment would land there too).
  const after = await prefetchCounters();
  expect(after.lookups - before.lookups).toBeGreaterThanOrEqual(1);
  expect(after.bytes - before.bytes).toBeGreaterThanOrEqual(WEIGHT_BYTES);
}, 120_000);

/** Big's prefetch counters on its /metrics. */
async function prefetchCounters() {
  const metrics = await (await fetch(`${bigMetricsUrl}/metrics`)).text();
  const value = (re: RegExp) => Number(re.exec(metrics)?.[1] ?? 0);
  return {
    lookups: value(/^gantry_artifact_cache_lookups_total\{outcome="miss",purpose="prefetch"\} (\d+)$/m),
    bytes: value(/^gantry_artifact_fetched_bytes_total\{purpose="prefetch"\} (\d+)$/m),
  };
}
