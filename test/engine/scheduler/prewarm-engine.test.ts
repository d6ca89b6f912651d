/**
 * Forecast prewarm on a real engine: a version called like a timer (every 3 s) with a 1 s fixed
 * idle window goes cold between calls, until the forecast has seen enough gaps (8); from then on
 * an instance is started before each call, and the calls are served warm.
 */
import { api, startEngine, type EngineHandle } from '../../helpers/engine';

let engine: EngineHandle;
let call: ReturnType<typeof api>;

beforeAll(async () => {
  engine = await startEngine({ env: { GANTRY_IDLE_WINDOW: '1', GANTRY_KEEP_ALIVE: 'fixed', GANTRY_SCALE_UP_DELAY: '0', GANTRY_CPU_SLOTS: '2' } });
  call = api(engine);
  await call('POST', '/v1/models', { owner: 'cron', name: 'tick', visibility: 'private', hardware: 'cpu' });
  await call('POST', '/v1/models/cron/tick/versions', { runner: { type: 'node', module: 'builtin:echo' }, max_concurrency: 1 });
}, 90_000);
afterAll(async () => engine?.stop());

test('a timer-like version is prewarmed before its calls once its gaps are known', async () => {
  const cold: boolean[] = [];
  const start = Date.now();
  for (let k = 0; k < 15; k++) {
    // Calls on a 3 s grid, whatever each one took.
    await new Promise((r) => setTimeout(r, Math.max(0, start + k * 3000 - Date.now())));
    const res = await call('POST', '/v1/models/cron/tick/predictions', { input: { text: `t${k}` } }, { prefer: 'wait=20' });
    expect(res.json.status).toBe('succeeded');
    cold.push(res.json.metrics.cold_start === true);
  }
  // Before 8 gaps nothing is forecast: the 1 s idle window lets every instance go between calls.
  expect(cold.slice(1, 8).filter(Boolean).length).toBeGreaterThanOrEqual(6);
  // After, the instance is started ahead of each call.
  expect(cold.slice(11).filter(Boolean).length).toBeLessThanOrEqual(1);
  const cluster = (await call('GET', '/v1/cluster')).json;
  expect(cluster.instances.length).toBeGreaterThanOrEqual(1);
}, 90_000);
