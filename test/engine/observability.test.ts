/**
 * Operating a real engine: /metrics scraped while predictions run moves by exactly what the API
 * reports (counts, histogram counts and sums, cost, queue depth, instances, GPU memory per device,
 * webhook attempts), its auth and the separate listener, readiness with a database that goes
 * away, and JSON log lines that carry request id, prediction id and model.
 */
import { Client } from 'pg';
import { api, sql, startEngine, type EngineHandle } from '../helpers/engine';
import { until } from '../helpers/poll';
import { checkedClient, expectConformant, type CheckedClient } from '../conformance/wire/checked-client';
import { startReceiver, type Receiver } from '../helpers/receiver';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
const GIB = 1024 ** 3;

let engine: EngineHandle;
let client: CheckedClient;
let call: ReturnType<typeof api>;
let receiver: Receiver;
let listenerUrl: string;

type Samples = Map<string, number>;

/** Parses the exposition text into `name{label="v",…}` (labels sorted) → value. */
function parse(text: string): Samples {
  const out: Samples = new Map();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => `${k}="${v}"`).sort();
    out.set(`${m[1]}{${labels.join(',')}}`, Number(m[3]));
  }
  return out;
}

/** One sample: name and labels in any order (missing: 0, as Prometheus reads an absent counter). */
function value(s: Samples, name: string, labels: Record<string, string> = {}): number {
  const key = `${name}{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).sort().join(',')}}`;
  return s.get(key) ?? 0;
}

async function scrape(): Promise<Samples> {
  const res = await fetch(`${engine.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(res.status).toBe(200);
  return parse(await res.text());
}

const get = async (id: string) => (await call('GET', `/v1/predictions/${id}`)).json;
const done = (id: string) => until(() => get(id), (p) => ['succeeded', 'failed', 'canceled', 'aborted'].includes(p.status));

beforeAll(async () => {
  engine = await startEngine({
    env: {
      GANTRY_GPUS: 'gpu-t4:2',
      GANTRY_MAX_INSTANCES: '1',
      GANTRY_LOG_FORMAT: 'json',
      GANTRY_METRICS_TOKEN: METRICS_TOKEN,
      GANTRY_METRICS_LISTEN: '127.0.0.1:0',
      GANTRY_WEBHOOK_RETRY_BASE_MS: '200',
      GANTRY_WEBHOOK_RETRY_MAX_MS: '1500',
    },
  });
  // Every request and answer is held to the engine's /openapi.json.
  client = checkedClient(engine, { replicate: false });
  call = client.call;
  receiver = await startReceiver();
  listenerUrl = /metrics and probes on (http:\/\/[^\s"/]+)/.exec(engine.output())![1];
  await call('POST', '/v1/models', { owner: 'obs', name: 'gpu-echo', visibility: 'private', hardware: 'gpu-t4' });
  expect((await call('POST', '/v1/models/obs/gpu-echo/versions', { runner: { type: 'node', module: 'builtin:echo' }, hardware: 'gpu-t4', max_concurrency: 1 })).status).toBe(201);
}, 90_000);

afterAll(async () => {
  await receiver?.close();
  await engine?.stop();
});

test('scraped while predictions run, the numbers move by exactly what happened', async () => {
  const m0 = await scrape();
  const cpu = await Promise.all([1, 2, 3].map((i) => call('POST', '/v1/models/gantry/echo/predictions', { input: { text: `c${i}`, sleep: 1.5 } })));
  const gpu = [];
  for (let i = 0; i < 3; i++) gpu.push(await call('POST', '/v1/models/obs/gpu-echo/predictions', { input: { text: `g${i}`, sleep: 1 } }));
  for (const r of [...cpu, ...gpu]) expect(r.status).toBe(201);

  // While they run: three on CPU at once (echo takes 64), one on the GPU instance, two queued behind it.
  await until(async () => Promise.all(cpu.map((r) => get(r.json.id))), (ps) => ps.every((p) => p.status === 'processing'));
  await until(() => get(gpu[0].json.id), (p) => p.status === 'processing');
  const m1 = await scrape();
  const cluster = (await call('GET', '/v1/cluster')).json;
  expect(value(m1, 'gantry_predictions_created_total', { kind: 'prediction', model: 'gantry/echo', deployment: '' }) - value(m0, 'gantry_predictions_created_total', { kind: 'prediction', model: 'gantry/echo', deployment: '' })).toBe(3);
  expect(value(m1, 'gantry_predictions_created_total', { kind: 'prediction', model: 'obs/gpu-echo', deployment: '' })).toBe(3);
  expect(value(m1, 'gantry_predictions_running', { hardware: 'cpu', deployment: '' })).toBe(3);
  expect(value(m1, 'gantry_predictions_running', { hardware: 'gpu-t4', deployment: '' })).toBe(1);
  expect(value(m1, 'gantry_queue_depth', { hardware: 'gpu-t4', deployment: '' })).toBe(2);
  // GPU memory per device: what /v1/cluster says each device holds, in bytes; device 1 is empty.
  const gpus = cluster.workers[0].gpus;
  expect(gpus.map((g: any) => g.index)).toEqual([0, 1]);
  const instance = cluster.instances.find((i: any) => i.hardware === 'gpu-t4');
  expect(instance.memory_gb).toBeGreaterThan(0);
  const worker = cluster.workers[0].name;
  const onDevice = (d: number) => cluster.instances.filter((i: any) => i.hardware === 'gpu-t4' && i.devices.includes(d)).reduce((s: number, i: any) => s + i.memory_gb, 0);
  for (const d of [0, 1]) {
    expect(value(m1, 'gantry_gpu_memory_used_bytes', { worker, device: String(d), sku: 'gpu-t4' })).toBe(Math.round(onDevice(d) * GIB));
    expect(value(m1, 'gantry_gpu_memory_total_bytes', { worker, device: String(d), sku: 'gpu-t4' })).toBe(Math.round(gpus[d].memory_gb * GIB));
  }
  expect(onDevice(0) + onDevice(1)).toBe(instance.memory_gb);

  // After: completions, histogram counts and sums and cost match the predictions exactly.
  const finished = await Promise.all([...cpu, ...gpu].map((r) => done(r.json.id)));
  const m2 = await scrape();
  const delta = (name: string, labels: Record<string, string>) => value(m2, name, labels) - value(m0, name, labels);
  for (const [model, runs] of [['gantry/echo', finished.slice(0, 3)], ['obs/gpu-echo', finished.slice(3)]] as const) {
    expect(runs.every((p) => p.status === 'succeeded')).toBe(true);
    expect(delta('gantry_predictions_completed_total', { kind: 'prediction', model, deployment: '', status: 'succeeded' })).toBe(3);
    expect(delta('gantry_prediction_predict_seconds_count', { kind: 'prediction', model, status: 'succeeded' })).toBe(3);
    expect(delta('gantry_prediction_predict_seconds_sum', { kind: 'prediction', model, status: 'succeeded' })).toBeCloseTo(runs.reduce((s, p) => s + p.metrics.predict_time, 0), 6);
    expect(delta('gantry_prediction_queue_seconds_count', { kind: 'prediction', model })).toBe(3);
    expect(delta('gantry_prediction_queue_seconds_sum', { kind: 'prediction', model })).toBeCloseTo(runs.reduce((s, p) => s + p.metrics.queue_time, 0), 6);
    const cold = runs.filter((p) => p.metrics.setup_time !== undefined);
    expect(delta('gantry_prediction_setup_seconds_count', { kind: 'prediction', model })).toBe(cold.length);
    expect(delta('gantry_cost_usd_total', { kind: 'prediction', model, deployment: '' })).toBeCloseTo(runs.reduce((s, p) => s + p.cost.total_usd, 0), 9);
  }
  // The GPU version booted once for this test: one cold start.
  expect(finished.slice(3).filter((p) => p.metrics.cold_start).length).toBe(1);
  expect(value(m2, 'gantry_queue_depth', { hardware: 'gpu-t4', deployment: '' })).toBe(0);
  expect(value(m2, 'gantry_predictions_running', { hardware: 'cpu', deployment: '' })).toBe(0);
  // Instances by state: exactly what /v1/cluster lists.
  const after = (await call('GET', '/v1/cluster')).json.instances as any[];
  const states = new Map<string, number>();
  for (const i of after) states.set(`${i.state}|${i.hardware}`, (states.get(`${i.state}|${i.hardware}`) ?? 0) + 1);
  for (const [key, n] of states) {
    const [state, hardware] = key.split('|');
    expect(value(m2, 'gantry_instances', { state, hardware, deployment: '' })).toBe(n);
  }
  expect(value(m2, 'gantry_workers', { alive: 'true' })).toBe(1);
}, 60_000);

test('a failed prediction and webhook retries and dead letters are counted', async () => {
  const m0 = await scrape();
  const failing = await call('POST', '/v1/models/gantry/echo/predictions', { input: { fail: true } }, { prefer: 'wait' });
  expect(failing.json.status).toBe('failed');
  // One webhook fails at first (the receiver answers 500), then gets through; another never can.
  receiver.status = 500;
  const ok = await call('POST', '/v1/models/gantry/echo/predictions', { input: { text: 'hook' }, webhook: `${receiver.url}/flaky`, webhook_events_filter: ['completed'] }, { prefer: 'wait' });
  const dead = await call('POST', '/v1/models/gantry/echo/predictions', { input: { text: 'dead' }, webhook: 'http://127.0.0.1:9/closed', webhook_events_filter: ['completed'] }, { prefer: 'wait' });
  expect(ok.json.status).toBe('succeeded');
  const rows = async () => sql(engine, `SELECT prediction_id, status, attempts FROM webhook_deliveries WHERE prediction_id = ANY($1)`, [[ok.json.id, dead.json.id]]);
  await receiver.waitFor((d) => d.path === '/flaky');
  receiver.status = 204;
  const final = await until(rows, (r) => r.length === 2 && r.every((d: any) => d.status !== 'pending'));
  const byId = new Map(final.map((d: any) => [d.prediction_id, d]));
  expect(byId.get(dead.json.id).status).toBe('dead');
  const m1 = await scrape();
  const delta = (name: string, labels: Record<string, string>) => value(m1, name, labels) - value(m0, name, labels);
  expect(delta('gantry_predictions_completed_total', { kind: 'prediction', model: 'gantry/echo', deployment: '', status: 'failed' })).toBe(1);
  expect(byId.get(ok.json.id).status).toBe('delivered');
  expect(byId.get(ok.json.id).attempts).toBeGreaterThanOrEqual(2);
  expect(delta('gantry_webhook_deliveries_total', { event: 'completed', outcome: 'delivered' })).toBe(1);
  expect(delta('gantry_webhook_deliveries_total', { event: 'completed', outcome: 'dead' })).toBe(1);
  const retries = final.reduce((s: number, d: any) => s + d.attempts - 1, 0);
  expect(delta('gantry_webhook_deliveries_total', { event: 'completed', outcome: 'retry' })).toBe(retries);
  expect(value(m1, 'gantry_webhook_outbox', { status: 'dead' })).toBe(1);
}, 30_000);

test('/metrics needs GANTRY_METRICS_TOKEN or an admin token; the separate listener needs none', async () => {
  const bare = await fetch(`${engine.url}/metrics`);
  expect(bare.status).toBe(401);
  expect(bare.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const wrong = await fetch(`${engine.url}/metrics`, { headers: { authorization: 'Bearer not-a-token' } });
  expect(wrong.status).toBe(401);
  expect(((await wrong.json()) as any).errors[0].pointer).toBe('/headers/authorization');
  const run = await call('POST', '/v1/tokens', { name: 'runner', scope: 'run' });
  const denied = await fetch(`${engine.url}/metrics`, { headers: { authorization: `Bearer ${run.json.token}` } });
  expect(denied.status).toBe(403);
  const admin = await fetch(`${engine.url}/metrics`, { headers: { authorization: `Bearer ${engine.token}` } });
  expect(admin.status).toBe(200);
  expect(admin.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const separate = await fetch(`${listenerUrl}/metrics`);
  expect(separate.status).toBe(200);
  expect(value(parse(await separate.text()), 'gantry_workers', { alive: 'true' })).toBe(1);
  expect((await fetch(`${listenerUrl}/health/ready`)).status).toBe(200);
});

test('log lines about a prediction carry its request id, prediction id and model', async () => {
  const res = await call('POST', '/v1/models/gantry/echo/predictions', { input: { text: 'logged' } }, { prefer: 'wait', 'x-request-id': 'req-obs-1' });
  expect(res.headers.get('x-request-id')).toBe('req-obs-1');
  const failed = await call('POST', '/v1/models/gantry/echo/predictions', { input: { fail: true } }, { prefer: 'wait', 'x-request-id': 'not a sane id' });
  const generated = failed.headers.get('x-request-id')!;
  expect(generated).toMatch(/^req_/);
  await new Promise((r) => setTimeout(r, 200));
  // Log lines are JSON records; anything else on the output is not a log line (Node's own warnings).
  const lines = engine.output().split('\n').filter((l) => l.startsWith('{'));
  for (const [id, requestId, endings] of [
    [res.json.id, 'req-obs-1', ['prediction created', 'prediction started', 'prediction succeeded']],
    [failed.json.id, generated, ['prediction created', 'prediction started', 'prediction failed']],
  ] as const) {
    const about = lines.filter((l) => l.includes(id));
    expect(about.length).toBeGreaterThanOrEqual(3);
    for (const line of about) {
      const record = JSON.parse(line);
      expect(record).toEqual(expect.objectContaining({ prediction_id: id, model: 'gantry/echo', request_id: requestId, time: expect.any(String), level: expect.any(Number) }));
    }
    expect(about.map((l) => JSON.parse(l).msg)).toEqual(expect.arrayContaining([...endings]));
  }
  const failure = lines.map((l) => JSON.parse(l)).find((r) => r.prediction_id === failed.json.id && r.msg === 'prediction failed');
  expect(failure).toEqual(expect.objectContaining({ level: 40, status: 'failed', error: expect.any(String) }));
});

test('readiness follows the database; liveness does not', async () => {
  const ready = await fetch(`${engine.url}/health/ready`);
  expect(ready.status).toBe(200);
  const body = (await ready.json()) as any;
  expect(body.status).toBe('ready');
  expect(Object.keys(body.checks).sort()).toEqual(['database', 'queue', 'worker']);
  expect(body.checks.worker.detail).toContain('2 GPU(s)');

  const name = new URL(engine.databaseUrl).pathname.slice(1);
  const admin = new Client({ connectionString: engine.databaseUrl.replace(`/${name}`, '/test') });
  await admin.connect();
  try {
    await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [name]);
    const down = await until(() => fetch(`${engine.url}/health/ready`), (r) => r.status === 503, 10_000);
    expect(down.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = (await down.json()) as any;
    expect(problem).toEqual(expect.objectContaining({ status: 503, title: 'Not ready' }));
    expect(problem.checks.database.ok).toBe(false);
    expect((await fetch(`${engine.url}/health`)).status).toBe(200);
  } finally {
    await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
    await admin.end();
  }
  await until(() => fetch(`${engine.url}/health/ready`), (r) => r.status === 200, 15_000);
}, 40_000);

test('every request and answer of this file matches /openapi.json', () => expectConformant(client));
