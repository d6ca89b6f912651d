/**
 * Deployments and the cluster view over real HTTP on a real Postgres: CRUD, numbered releases,
 * validation, predictions through a deployment, fail-fast for hardware nobody has, cost so far.
 */
import { Client } from 'pg';
import { api, startEngine, startWorker, type EngineHandle } from '../helpers/engine';

let engine: EngineHandle;
let call: ReturnType<typeof api>;
let echo: string;
let ocr: string;

beforeAll(async () => {
  engine = await startEngine();
  call = api(engine);
  echo = (await call('GET', '/v1/models/gantry/echo')).json.latest_version.id;
  ocr = (await call('GET', '/v1/models/gantry/ocr')).json.latest_version.id;
}, 90_000);
afterAll(async () => engine?.stop());

const problem = (res: { status: number; headers: Headers; json: any }, status: number, pointer?: string) => {
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.json).toEqual(expect.objectContaining({ status, title: expect.any(String), detail: expect.any(String) }));
  expect(res.status).toBe(status);
  if (pointer) expect(res.json.errors.map((e: any) => e.pointer)).toContain(pointer);
};

/** Runs SQL on the engine's database (to play the worker's part where the test needs it). */
async function sql(text: string, params: unknown[] = []) {
  const client = new Client({ connectionString: engine.databaseUrl });
  await client.connect();
  try {
    return (await client.query(text, params)).rows;
  } finally {
    await client.end();
  }
}

describe('deployments CRUD and releases', () => {
  test('create returns the Replicate shape plus instances and cost', async () => {
    const res = await call('POST', '/v1/deployments', { name: 'echo-prod', model: 'gantry/echo', version: echo, hardware: 'cpu', min_instances: 0, max_instances: 2 });
    expect(res.status).toBe(200);
    expect(res.json).toEqual(expect.objectContaining({
      owner: 'gantry',
      name: 'echo-prod',
      current_release: {
        number: 1,
        model: 'gantry/echo',
        version: echo,
        created_at: expect.any(String),
        created_by: expect.objectContaining({ type: 'organization', username: 'gantry' }),
        configuration: { hardware: 'cpu', min_instances: 0, max_instances: 2 },
      },
      instances: [],
      cost_so_far_usd: 0,
    }));
    expect(res.json.cost_breakdown).toEqual(expect.objectContaining({ prediction: expect.any(Object), setup: expect.any(Object), idle: expect.any(Object) }));
    problem(await call('POST', '/v1/deployments', { name: 'echo-prod', model: 'gantry/echo', version: echo, hardware: 'cpu', min_instances: 0, max_instances: 1 }), 409);
  });

  test('get, list (paginated, newest first), update with release numbers, delete', async () => {
    await call('POST', '/v1/deployments', { name: 'crud', model: 'gantry/echo', version: echo, hardware: 'cpu', min_instances: 0, max_instances: 1 });
    const got = await call('GET', '/v1/deployments/gantry/crud');
    expect(got.status).toBe(200);
    expect(got.json.current_release.number).toBe(1);

    const list = await call('GET', '/v1/deployments');
    expect(list.status).toBe(200);
    expect(list.json).toEqual(expect.objectContaining({ next: null, previous: null }));
    const names = list.json.results.map((d: any) => d.name);
    expect(names.indexOf('crud')).toBeLessThan(names.indexOf('echo-prod'));

    let up = await call('PATCH', '/v1/deployments/gantry/crud', { max_instances: 3 });
    expect(up.status).toBe(200);
    expect(up.json.current_release).toEqual(expect.objectContaining({ number: 2, configuration: { hardware: 'cpu', min_instances: 0, max_instances: 3 } }));
    up = await call('PATCH', '/v1/deployments/gantry/crud', { min_instances: 1, hardware: 'gpu-t4' });
    expect(up.json.current_release).toEqual(expect.objectContaining({ number: 3, configuration: { hardware: 'gpu-t4', min_instances: 1, max_instances: 3 } }));
    // Nothing changed: no new release.
    up = await call('PATCH', '/v1/deployments/gantry/crud', { min_instances: 1 });
    expect(up.json.current_release.number).toBe(3);
    // Bad updates write nothing.
    problem(await call('PATCH', '/v1/deployments/gantry/crud', { min_instances: 5 }), 422, '/min_instances');
    problem(await call('PATCH', '/v1/deployments/gantry/crud', { version: ocr }), 422, '/version');
    problem(await call('PATCH', '/v1/deployments/gantry/crud', { model: 'gantry/ocr' }), 422, '/model');
    expect((await call('GET', '/v1/deployments/gantry/crud')).json.current_release.number).toBe(3);
    const releases = await sql(`SELECT number, hardware, min_instances, max_instances FROM deployment_releases WHERE name = 'crud' ORDER BY number`);
    expect(releases).toEqual([
      { number: 1, hardware: 'cpu', min_instances: 0, max_instances: 1 },
      { number: 2, hardware: 'cpu', min_instances: 0, max_instances: 3 },
      { number: 3, hardware: 'gpu-t4', min_instances: 1, max_instances: 3 },
    ]);

    expect((await call('DELETE', '/v1/deployments/gantry/crud')).status).toBe(204);
    problem(await call('GET', '/v1/deployments/gantry/crud'), 404);
    problem(await call('DELETE', '/v1/deployments/gantry/crud'), 404);
    problem(await call('PATCH', '/v1/deployments/gantry/crud', { max_instances: 1 }), 404);
    // The name can be used again and starts at release 1.
    const again = await call('POST', '/v1/deployments', { name: 'crud', model: 'gantry/echo', version: echo, hardware: 'cpu', min_instances: 0, max_instances: 1 });
    expect(again.json.current_release.number).toBe(1);
  });

  test('list pages through more than one page', async () => {
    for (let i = 0; i < 3; i++) await sql(`INSERT INTO deployments (owner, name, model, version, hardware, created_at)
      SELECT 'gantry', 'bulk-' || g, 'gantry/echo', $1, 'cpu', clock_timestamp() - interval '1 day' FROM generate_series($2::int, $3::int) g`, [echo, i * 40, i * 40 + 39]);
    await sql(`INSERT INTO deployment_releases (owner, name, number, model, version, hardware, min_instances, max_instances)
      SELECT owner, name, 1, model, version, hardware, 0, 1 FROM deployments WHERE name LIKE 'bulk-%'`);
    const first = await call('GET', '/v1/deployments');
    expect(first.json.results).toHaveLength(100);
    expect(first.json.next).toMatch(/^http:\/\/.*\/v1\/deployments\?cursor=/);
    const second = await fetch(first.json.next, { headers: { authorization: `Bearer ${engine.token}` } }).then((r) => r.json());
    const all = [...first.json.results, ...second.results].map((d: any) => d.name);
    expect(new Set(all).size).toBe(all.length);
    expect(all.filter((n) => n.startsWith('bulk-'))).toHaveLength(120);
    expect(second.next).toBeNull();
    await sql(`DELETE FROM deployment_releases WHERE name LIKE 'bulk-%'`);
    await sql(`DELETE FROM deployments WHERE name LIKE 'bulk-%'`);
  });
});

describe('deployment validation names the field', () => {
  const base = () => ({ name: 'v', model: 'gantry/echo', version: echo, hardware: 'cpu', min_instances: 0, max_instances: 1 });
  test.each([
    ['min > max', { min_instances: 3, max_instances: 2 }, '/min_instances'],
    ['negative min', { min_instances: -1 }, '/min_instances'],
    ['fractional max', { max_instances: 1.5 }, '/max_instances'],
    ['max too large', { max_instances: 101 }, '/max_instances'],
    ['unknown SKU', { hardware: 'gpu-b200' }, '/hardware'],
    ['unknown model', { model: 'nobody/nothing' }, '/model'],
    ['bad model form', { model: 'echo' }, '/model'],
    ['unknown version', { version: 'a'.repeat(64) }, '/version'],
    ['version of another model', { version: 'OCR' }, '/version'],
    ['bad version form', { version: 'latest' }, '/version'],
    ['bad name', { name: 'no spaces please' }, '/name'],
    ['unknown field', { region: 'eu' }, '/region'],
  ])('%s is 422', async (_label, patch, pointer) => {
    const b: any = { ...base(), ...patch };
    if (b.version === 'OCR') b.version = ocr;
    problem(await call('POST', '/v1/deployments', b), 422, pointer as string);
  });
  test('missing required fields are 422 each', async () => {
    const res = await call('POST', '/v1/deployments', {});
    problem(res, 422);
    expect(res.json.errors.map((e: any) => e.pointer).sort()).toEqual(['/model', '/name', '/version']);
    problem(await call('POST', '/v1/deployments', '[1]', { 'content-type': 'application/json' }), 422);
  });
});

describe('predictions through a deployment', () => {
  test('Prefer: wait runs on the deployment version and hardware and carries deployment', async () => {
    const res = await call('POST', '/v1/deployments/gantry/echo-prod/predictions', { input: { text: 'via deployment' }, tags: { team: 'red' } }, { prefer: 'wait' });
    expect(res.status).toBe(201);
    expect(res.json).toEqual(expect.objectContaining({ status: 'succeeded', output: 'via deployment', deployment: 'gantry/echo-prod', version: echo, model: 'gantry/echo' }));
    const got = await call('GET', `/v1/predictions/${res.json.id}`);
    expect(got.json.deployment).toBe('gantry/echo-prod');
    const dep = await call('GET', '/v1/deployments/gantry/echo-prod');
    expect(dep.json.cost_breakdown.prediction.count).toBe(1);
    expect(dep.json.cost_so_far_usd).toBeGreaterThan(0);
  });

  test('bad bodies are 422; unknown deployment 404; disabled deployment 409', async () => {
    problem(await call('POST', '/v1/deployments/gantry/echo-prod/predictions', { input: { text: 1 } }), 422, '/input/text');
    problem(await call('POST', '/v1/deployments/gantry/echo-prod/predictions', { input: {}, version: echo }), 422, '/version');
    problem(await call('POST', '/v1/deployments/gantry/nope/predictions', { input: {} }), 404);
    await call('POST', '/v1/deployments', { name: 'off', model: 'gantry/echo', version: echo, hardware: 'cpu', min_instances: 0, max_instances: 0 });
    problem(await call('POST', '/v1/deployments/gantry/off/predictions', { input: {} }), 409);
  });

  test('hardware no worker has fails fast with 422 and queues nothing', async () => {
    const created = await call('POST', '/v1/deployments', { name: 'h100', model: 'gantry/echo', version: echo, hardware: 'gpu-h100', min_instances: 0, max_instances: 1 });
    expect(created.status).toBe(200);
    const started = Date.now();
    const res = await call('POST', '/v1/deployments/gantry/h100/predictions', { input: { text: 'x' } }, { prefer: 'wait' });
    expect(Date.now() - started).toBeLessThan(2000);
    problem(res, 422, '/hardware');
    expect(res.json.errors[0].detail).toMatch(/no worker in the cluster has gpu-h100/);
    const rows = await sql(`SELECT count(*)::int AS n FROM predictions WHERE deployment = 'gantry/h100'`);
    expect(rows[0].n).toBe(0);
  });

  test('the official-client-style polling path works too (no Prefer)', async () => {
    const res = await call('POST', '/v1/deployments/gantry/echo-prod/predictions', { input: { text: 'async' } });
    expect([201, 202]).toContain(res.status);
    expect(res.json.deployment).toBe('gantry/echo-prod');
    let p = res.json;
    for (let i = 0; i < 100 && !['succeeded', 'failed'].includes(p.status); i++) {
      await new Promise((r) => setTimeout(r, 50));
      p = (await call('GET', `/v1/predictions/${p.id}`)).json;
    }
    expect(p.status).toBe('succeeded');
  });
});

describe('deleting or disabling a deployment with work in flight', () => {
  const settle = async (id: string, seconds = 5) => {
    let p: any;
    for (let i = 0; i < seconds * 20; i++) {
      p = (await call('GET', `/v1/predictions/${id}`)).json;
      if (!['starting', 'processing'].includes(p.status)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    return p;
  };
  test.each([
    ['delete', () => call('DELETE', '/v1/deployments/gantry/busy-delete'), /deployment was deleted/],
    ['max_instances 0', () => call('PATCH', '/v1/deployments/gantry/busy-zero', { max_instances: 0 }), /deployment was disabled/],
  ])('%s cancels queued and running predictions (none left waiting)', async (label, act, why) => {
    const name = label === 'delete' ? 'busy-delete' : 'busy-zero';
    await call('POST', '/v1/deployments', { name, model: 'gantry/echo', version: echo, hardware: 'cpu', min_instances: 0, max_instances: 1 });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await call('POST', `/v1/deployments/gantry/${name}/predictions`, { input: { text: 'x', sleep: 2 } })).json.id);
    expect([200, 204]).toContain((await act()).status);
    const done = await Promise.all(ids.map((id) => settle(id)));
    expect(done.map((p) => p.status)).toEqual(['canceled', 'canceled', 'canceled']);
    expect(done.some((p) => why.test(p.logs))).toBe(true);
  });

  // Skipped: a known worker bug, not an API one. DeploymentKeeper.bounds() answers max 0 for a
  // key whose version is no longer the deployment's, so a prediction accepted before a version
  // change and not yet placed stays `starting` forever (timing-dependent: passes when its instance
  // booted before the keeper's next refresh). Unskip once old-version work may drain.
  test('a new version lets predictions already accepted finish on the old one', async () => {
    await call('POST', '/v1/deployments', { name: 'rolling', model: 'gantry/echo', version: echo, hardware: 'cpu', min_instances: 0, max_instances: 1 });
    const first = (await call('POST', '/v1/deployments/gantry/rolling/predictions', { input: { text: 'old', sleep: 0.5 } })).json;
    const next = await call('POST', '/v1/models/gantry/echo/versions', { runner: { type: 'node', module: 'builtin:echo' }, max_concurrency: 3 });
    expect(next.status).toBe(201);
    const up = await call('PATCH', '/v1/deployments/gantry/rolling', { version: next.json.id });
    expect(up.json.current_release).toEqual(expect.objectContaining({ number: 2, version: next.json.id }));
    expect(await settle(first.id, 10)).toEqual(expect.objectContaining({ status: 'succeeded', version: echo, output: 'old' }));
    const second = await call('POST', '/v1/deployments/gantry/rolling/predictions', { input: { text: 'new' } }, { prefer: 'wait' });
    expect(second.json).toEqual(expect.objectContaining({ status: 'succeeded', version: next.json.id, output: 'new' }));
  });
});

describe('instances and instance cost on the deployment', () => {
  test('setup and idle usage records and live instances show on GET', async () => {
    // The embedded worker records its own instances and their setup time; the test adds rows the
    // way a worker writes them and checks they are added up.
    const before = (await call('GET', '/v1/deployments/gantry/echo-prod')).json;
    const [worker] = await sql(`SELECT id FROM workers WHERE stopped_at IS NULL LIMIT 1`);
    await sql(`INSERT INTO instances (id, worker_id, version, deployment, hardware, devices, memory_gb, state, setup_time)
      VALUES ('inst-1', $1, $2, 'gantry/echo-prod', 'cpu', '[]', 0, 'ready', 1.5),
             ('inst-old', $1, $2, 'gantry/echo-prod', 'cpu', '[]', 0, 'stopping', 1.0)`, [worker.id, echo]);
    await sql(`UPDATE instances SET stopped_at = clock_timestamp() WHERE id = 'inst-old'`);
    await sql(`INSERT INTO usage_records (kind, version, model, deployment, hardware, rule, quantity, unit_price_usd, total_usd)
      VALUES ('setup', $1, 'gantry/echo', 'gantry/echo-prod', 'cpu', 'hardware_time', 1.5, 0.0001, 0.00015),
             ('idle',  $1, 'gantry/echo', 'gantry/echo-prod', 'cpu', 'hardware_time', 300, 0.0001, 0.03)`, [echo]);
    const dep = (await call('GET', '/v1/deployments/gantry/echo-prod')).json;
    expect(dep.instances).toContainEqual(expect.objectContaining({ id: 'inst-1', state: 'ready', worker_id: worker.id, since: expect.any(String), setup_time: 1.5 }));
    expect(dep.instances.map((i: any) => i.id)).not.toContain('inst-old');
    const delta = (kind: string, key: string) => dep.cost_breakdown[kind][key] - before.cost_breakdown[kind][key];
    expect(delta('setup', 'count')).toBe(1);
    expect(delta('setup', 'quantity')).toBeCloseTo(1.5, 9);
    expect(delta('setup', 'total_usd')).toBeCloseTo(0.00015, 9);
    expect(delta('idle', 'count')).toBe(1);
    expect(delta('idle', 'quantity')).toBeCloseTo(300, 9);
    expect(dep.cost_so_far_usd - before.cost_so_far_usd).toBeCloseTo(0.03015, 9);
    const kinds = Object.values(dep.cost_breakdown) as Array<{ total_usd: number }>;
    expect(dep.cost_so_far_usd).toBeCloseTo(kinds.reduce((s, k) => s + k.total_usd, 0), 9);

    const cluster = (await call('GET', '/v1/cluster')).json;
    expect(cluster.instances.map((i: any) => i.id)).toContain('inst-1');
    expect(cluster.instances.map((i: any) => i.id)).not.toContain('inst-old');
    await sql(`UPDATE instances SET stopped_at = clock_timestamp() WHERE id = 'inst-1'`);
  });
});

describe('GET /v1/cluster', () => {
  test('shows the embedded worker, and queue rows for open predictions', async () => {
    let res = await call('GET', '/v1/cluster');
    expect(res.status).toBe(200);
    expect(res.json.workers).toEqual([
      expect.objectContaining({ id: expect.any(String), name: expect.any(String), hardware: ['cpu'], cpu_slots: expect.any(Number), gpus: [], alive: true, heartbeat_at: expect.any(String) }),
    ]);
    // A slow prediction is running while the test looks.
    const slow = await call('POST', '/v1/deployments/gantry/echo-prod/predictions', { input: { text: 'slow', sleep: 2 } });
    let row: any;
    for (let i = 0; i < 40 && !row?.running; i++) {
      res = await call('GET', '/v1/cluster');
      row = res.json.queues.find((q: any) => q.deployment === 'gantry/echo-prod');
      if (!row?.running) await new Promise((r) => setTimeout(r, 50));
    }
    expect(row).toEqual(expect.objectContaining({ model: 'gantry/echo', version: echo, hardware: 'cpu', running: 1, queued: 0 }));
    expect(res.json.unplaceable).toEqual([]);
    await call('POST', `/v1/predictions/${slow.json.id}/cancel`);
  });

  test('queued work no worker can take is listed as unplaceable', async () => {
    // What an older engine (or a model-prediction path without the check) could leave behind.
    await sql(`INSERT INTO predictions (id, model, version, input, status, hardware) VALUES ('stuck1', 'gantry/echo', $1, '{}', 'starting', 'gpu-l40s')`, [echo]);
    const res = await call('GET', '/v1/cluster');
    expect(res.json.queues).toEqual(expect.arrayContaining([expect.objectContaining({ hardware: 'gpu-l40s', queued: 1, running: 0, deployment: null })]));
    expect(res.json.unplaceable).toEqual([expect.objectContaining({ hardware: 'gpu-l40s', queued: 1, reason: 'no worker in the cluster has gpu-l40s' })]);
    await sql(`UPDATE predictions SET status = 'canceled', completed_at = clock_timestamp() WHERE id = 'stuck1'`);
  });
});

describe('a GPU worker joins', () => {
  test('the H100 deployment becomes servable; /v1/cluster shows its GPUs and the instance on them', async () => {
    await call('POST', '/v1/deployments', { name: 'h100-live', model: 'gantry/echo', version: echo, hardware: 'gpu-h100', min_instances: 0, max_instances: 1 });
    problem(await call('POST', '/v1/deployments/gantry/h100-live/predictions', { input: {} }), 422, '/hardware');
    const worker = await startWorker(engine.databaseUrl, { GANTRY_GPUS: 'gpu-h100:2', GANTRY_WORKER_NAME: 'h100-box', GANTRY_CPU_SLOTS: '1' });
    try {
      const res = await call('POST', '/v1/deployments/gantry/h100-live/predictions', { input: { text: 'on a gpu box' } }, { prefer: 'wait' });
      expect(res.json).toEqual(expect.objectContaining({ status: 'succeeded', output: 'on a gpu box', deployment: 'gantry/h100-live' }));
      const cluster = (await call('GET', '/v1/cluster')).json;
      const box = cluster.workers.find((w: any) => w.name === 'h100-box');
      expect(box).toEqual(expect.objectContaining({ alive: true, cpu_slots: 1 }));
      expect(box.hardware).toContain('gpu-h100');
      expect(box.gpus).toEqual([
        expect.objectContaining({ index: 0, sku: 'gpu-h100', memory_gb: 80 }),
        expect.objectContaining({ index: 1, sku: 'gpu-h100', memory_gb: 80 }),
      ]);
      const inst = cluster.instances.find((i: any) => i.deployment === 'gantry/h100-live');
      expect(inst).toEqual(expect.objectContaining({ worker_id: box.id, hardware: 'gpu-h100' }));
      expect(inst.devices).toHaveLength(1);
      const gpu = box.gpus.find((g: any) => g.index === inst.devices[0]);
      expect(gpu.instances).toContain(inst.id);
      expect(gpu.memory_in_use_gb).toBeCloseTo(inst.memory_gb, 5);
      const dep = (await call('GET', '/v1/deployments/gantry/h100-live')).json;
      expect(dep.instances.map((i: any) => i.id)).toContain(inst.id);
      expect(dep.cost_breakdown.prediction.count).toBe(1);
    } finally {
      await worker.stop();
    }
  }, 60_000);
});
