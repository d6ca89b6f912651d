/**
 * Data retention over real HTTP (Replicate's `data_removed`): with GANTRY_DATA_RETENTION=1 the
 * sweeper (every second) clears a finished prediction's input, output and logs, deletes its output
 * files and its delivered webhook records (their bodies carry the same data) and sets `data_removed`, keeping status, timestamps, metrics, cost, tags and version;
 * running and queued predictions are untouched; `off` keeps data forever; a bad value stops the
 * engine from starting.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Client } from 'pg';
import { api, startEngine, type EngineHandle } from '../helpers/engine';

const CLI = join(__dirname, '..', '..', 'engine', 'dist', 'src', 'cli.js');
const MODULE = join(__dirname, '..', 'fixtures', 'predictors', 'retained.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function setUp(engine: EngineHandle) {
  const call = api(engine);
  expect((await call('POST', '/v1/models', { owner: 'me', name: 'retained', visibility: 'private', hardware: 'cpu' })).status).toBe(201);
  expect((await call('POST', '/v1/models/me/retained/versions', { runner: { type: 'node', module: MODULE } })).status).toBe(201);
  return call;
}

async function waitFor(call: ReturnType<typeof api>, id: string, done: (p: any) => boolean, ms = 20_000) {
  const until = Date.now() + ms;
  for (;;) {
    const { json } = await call('GET', `/v1/predictions/${id}`);
    if (done(json)) return json;
    if (Date.now() > until) throw new Error(`timed out; last seen ${JSON.stringify(json)}`);
    await sleep(100);
  }
}

describe('GANTRY_DATA_RETENTION=1', () => {
  let engine: EngineHandle;
  let call: ReturnType<typeof api>;

  beforeAll(async () => {
    engine = await startEngine({ env: { GANTRY_DATA_RETENTION: '1', GANTRY_CPU_SLOTS: '1' } });
    call = await setUp(engine);
  }, 90_000);
  afterAll(async () => engine?.stop());

  test('a finished prediction loses input, output, logs, files and webhook records, and keeps the rest', async () => {
    const received: string[] = [];
    const receiver: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => (received.push(body), res.end('ok')));
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const webhook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const created = await call(
      'POST',
      '/v1/models/me/retained/predictions',
      { input: { text: 'secret words' }, tags: { team: 'a' }, webhook, webhook_events_filter: ['completed'] },
      { prefer: 'wait=30' },
    );
    const p = created.json;
    expect(p.status).toBe('succeeded');
    expect(p.data_removed).toBe(false);
    expect(p.input).toEqual({ text: 'secret words', sleep: 0 });
    expect(p.logs).toContain('writing 12 characters');
    expect(p.output.length).toBe(12);
    expect((await fetch(p.output.file)).status).toBe(200);

    const gone = await waitFor(call, p.id, (x) => x.data_removed === true);
    expect(gone).toEqual(
      expect.objectContaining({ input: {}, output: null, logs: '', data_removed: true, status: 'succeeded', error: null }),
    );
    for (const k of ['id', 'model', 'version', 'created_at', 'started_at', 'completed_at', 'metrics', 'cost', 'tags', 'urls', 'source']) {
      expect([k, gone[k]]).toEqual([k, p[k]]);
    }
    expect((await fetch(p.output.file)).status).not.toBe(200);
    // The webhook went out with the data; its delivery record is gone with it.
    expect(received.some((b) => b.includes('secret words'))).toBe(true);
    receiver.close();
    const db = new Client({ connectionString: engine.databaseUrl });
    await db.connect();
    try {
      const { rows } = await db.query('SELECT status FROM webhook_deliveries WHERE prediction_id = $1', [p.id]);
      expect(rows).toEqual([]);
    } finally {
      await db.end();
    }
    // The list shows it the same way.
    const { json: page } = await call('GET', '/v1/predictions');
    expect(page.results.find((x: any) => x.id === p.id)).toEqual(expect.objectContaining({ data_removed: true, input: {}, output: null }));
  }, 40_000);

  test('running and queued predictions are untouched until they finish', async () => {
    // One CPU slot: the second waits in the queue while the first sleeps.
    const { json: running } = await call('POST', '/v1/models/me/retained/predictions', { input: { text: 'first', sleep: 4 } });
    const { json: queued } = await call('POST', '/v1/models/me/retained/predictions', { input: { text: 'second' } });
    await waitFor(call, running.id, (x) => x.status === 'processing');
    await sleep(2500); // well past the 1 s retention, with sweeps in between
    const r = (await call('GET', `/v1/predictions/${running.id}`)).json;
    const q = (await call('GET', `/v1/predictions/${queued.id}`)).json;
    expect(r).toEqual(expect.objectContaining({ status: 'processing', data_removed: false, input: { text: 'first', sleep: 4 } }));
    expect(r.logs).toContain('writing 5 characters');
    expect(q).toEqual(expect.objectContaining({ status: 'starting', data_removed: false, input: { text: 'second', sleep: 0 } }));

    const done = await waitFor(call, queued.id, (x) => x.status === 'succeeded');
    expect(done.data_removed).toBe(false);
    expect(done.output.length).toBe(6);
    await waitFor(call, queued.id, (x) => x.data_removed === true && x.output === null);
    await waitFor(call, running.id, (x) => x.data_removed === true && x.output === null);
  }, 60_000);
});

test('GANTRY_DATA_RETENTION=off keeps data', async () => {
  const engine = await startEngine({ env: { GANTRY_DATA_RETENTION: 'off' } });
  try {
    const call = await setUp(engine);
    const { json: p } = await call('POST', '/v1/models/me/retained/predictions', { input: { text: 'kept' } }, { prefer: 'wait=30' });
    expect(p.status).toBe('succeeded');
    await sleep(3000);
    const later = (await call('GET', `/v1/predictions/${p.id}`)).json;
    expect(later).toEqual(expect.objectContaining({ data_removed: false, input: p.input, output: p.output, logs: p.logs }));
    expect((await fetch(p.output.file)).status).toBe(200);
  } finally {
    await engine.stop();
  }
}, 90_000);

test.each(['soon', '-5', '1h'])('GANTRY_DATA_RETENTION=%s refuses to start, naming the variable', async (value) => {
  const child = spawn(process.execPath, [CLI, 'serve'], {
    env: { ...process.env, GANTRY_DATA_RETENTION: value, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  expect(code).toBe(2);
  expect(out).toContain('GANTRY_DATA_RETENTION');
}, 30_000);
