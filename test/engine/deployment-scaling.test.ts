/**
 * Deployment autoscaling on a real engine: min instances kept warm, scale-up under backlog but
 * never above max, scale to zero after the idle window, and the warmth billed to the deployment.
 */
import { api, startEngine, type EngineHandle } from '../helpers/engine';

let engine: EngineHandle;
let call: ReturnType<typeof api>;
let versionId: string;

beforeAll(async () => {
  // Short windows so the test sees scale-down; two CPU slots on the embedded worker.
  engine = await startEngine({ env: { GANTRY_IDLE_WINDOW: '2', GANTRY_SCALE_UP_DELAY: '0', GANTRY_CPU_SLOTS: '3' } });
  call = api(engine);
  await call('POST', '/v1/models', { owner: 'dep', name: 'serial-echo', visibility: 'private', hardware: 'cpu' });
  const v = await call('POST', '/v1/models/dep/serial-echo/versions', { runner: { type: 'node', module: 'builtin:echo' }, max_concurrency: 1 });
  versionId = v.json.id;
}, 90_000);
afterAll(async () => engine?.stop());

const instancesOf = async (name: string) =>
  ((await call('GET', '/v1/cluster')).json.instances as any[]).filter((i) => i.deployment === `gantry/${name}`);

async function until<T>(what: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  let v = await what();
  while (!ok(v) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 200));
    v = await what();
  }
  return v;
}

test('min_instances are kept warm: the first prediction is not a cold start', async () => {
  const created = await call('POST', '/v1/deployments', { name: 'warm', model: 'dep/serial-echo', version: versionId, hardware: 'cpu', min_instances: 1, max_instances: 1 });
  expect(created.status).toBeLessThan(300);
  const warm = await until(() => instancesOf('warm'), (l) => l.some((i) => i.state === 'ready'));
  expect(warm.filter((i) => i.state === 'ready')).toHaveLength(1);
  const res = await call('POST', '/v1/deployments/gantry/warm/predictions', { input: { text: 'w' } }, { prefer: 'wait=20' });
  expect(res.json.status).toBe('succeeded');
  expect(res.json.deployment).toBe('gantry/warm');
  expect(res.json.metrics.cold_start).toBeUndefined();
  // It stays warm past the idle window (min 1), and its setup and idle time are billed to it.
  await new Promise((r) => setTimeout(r, 3000));
  expect((await instancesOf('warm')).filter((i) => ['ready', 'busy'].includes(i.state))).toHaveLength(1);
  // Scaling min to 0 lets it go after the idle window (to-zero).
  await call('PATCH', '/v1/deployments/gantry/warm', { min_instances: 0 });
  const gone = await until(() => instancesOf('warm'), (l) => l.length === 0);
  expect(gone).toHaveLength(0);
  const d = await call('GET', '/v1/deployments/gantry/warm');
  expect(d.json.cost_breakdown.setup.count).toBeGreaterThanOrEqual(1);
  expect(d.json.cost_breakdown.idle.quantity).toBeGreaterThan(2);
  expect(d.json.cost_so_far_usd).toBeGreaterThan(0);
}, 60_000);

test('backlog scales a deployment up to max_instances and never above, then to zero', async () => {
  await call('POST', '/v1/deployments', { name: 'burst', model: 'dep/serial-echo', version: versionId, hardware: 'cpu', min_instances: 0, max_instances: 2 });
  let peak = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const live = (await instancesOf('burst')).filter((i) => ['booting', 'ready', 'busy'].includes(i.state)).length;
      peak = Math.max(peak, live);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const runs = await Promise.all(
    Array.from({ length: 6 }, (_, i) => call('POST', '/v1/deployments/gantry/burst/predictions', { input: { text: `b${i}`, sleep: 1 } }, { prefer: 'wait=30' })),
  );
  sampling = false;
  await sampler;
  expect(runs.map((r) => r.json.status)).toEqual(Array(6).fill('succeeded'));
  expect(peak).toBe(2);
  const gone = await until(() => instancesOf('burst'), (l) => l.length === 0);
  expect(gone).toHaveLength(0);
  const usage = await call('GET', '/v1/usage?group_by=deployment');
  const row = usage.json.results.find((r: any) => r.key === 'gantry/burst');
  expect(row.by_kind.prediction.count).toBe(6);
  expect(row.by_kind.setup.count).toBeGreaterThanOrEqual(2);
}, 60_000);
