/**
 * The `cog` runner through the engine's HTTP API, against a protocol-faithful FAKE Cog server
 * (test/fixtures/fake-cog.js, written from Cog's documented HTTP API; no Docker here), run as a
 * separate process: started from a command template, or reached at a URL.
 *
 * Covered: slow setup (setup time from the server's setup timestamps), failing setup, 409 busy
 * (queued and retried, never failed), a crash mid-prediction (process exit, and a URL server that
 * stops answering), streamed iterator output reaching the prediction, its stream and its webhooks
 * as it is yielded, respond-async + webhooks (logs, metrics, cancel through POST .../cancel), sync
 * mode (cancel by dropping the connection), trainings through PUT /trainings/{id} producing a
 * version that boots with the trained weights, file outputs stored and served by the engine in
 * each mode (sync: data URLs; async: uploads to the instance's receiver through --upload-url; async
 * without one: the legacy server's bare path fails the run), POST /shutdown on stop, schema import from /openapi.json (URL and command), and bad
 * runner specs answered 422 naming the field.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, startEngine, type EngineHandle } from '../helpers/engine';
import { startReceiver } from '../helpers/receiver';

const FAKE = join(__dirname, '..', 'fixtures', 'fake-cog.js');
/** Webhooks every 50 ms instead of Cog's default 500, so streamed pieces arrive one by one. */
const FAST = 'COG_THROTTLE_RESPONSE_INTERVAL=0.05';
const TERMINAL = ['succeeded', 'failed', 'canceled', 'aborted'];
/** The engine's file size limit here (GANTRY_MAX_FILE_BYTES): output files over it fail the run. */
const MAX_FILE_BYTES = 1_000_000;
let engine: EngineHandle;
let call: ReturnType<typeof api>;

beforeAll(async () => {
  engine = await startEngine({ env: { GANTRY_GPUS: 'gpu-t4:1', GANTRY_MAX_FILE_BYTES: String(MAX_FILE_BYTES) } });
  call = api(engine);
  await call('POST', '/v1/models', { owner: 'cog', name: 'upper', visibility: 'private', hardware: 'gpu-t4' });
  await call('POST', '/v1/models', { owner: 'cog', name: 'trained', visibility: 'private', hardware: 'cpu' });
}, 90_000);
afterAll(async () => engine?.stop());

const schema = {
  openapi: '3.0.2',
  components: {
    schemas: {
      Input: { type: 'object', properties: { text: { type: 'string' }, sleep: { type: 'number', default: 0 }, crash: { type: 'boolean' } } },
      Output: {},
    },
  },
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function createVersion(body: Record<string, unknown>, model = 'cog/upper') {
  const res = await call('POST', `/v1/models/${model}/versions`, body);
  expect(res.status).toBe(201);
  return res.json;
}

async function waitFor(id: string, until: (p: any) => boolean, timeoutMs = 30_000, path = 'predictions') {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { json } = await call('GET', `/v1/${path}/${id}`);
    if (until(json)) return json;
    if (Date.now() > deadline) throw new Error(`prediction ${id} stayed ${json.status}: ${JSON.stringify(json)}`);
    await sleep(50);
  }
}
const done = (id: string, path = 'predictions') => waitFor(id, (p) => TERMINAL.includes(p.status), 40_000, path);

async function startFake(args: string[]): Promise<{ url: string; process: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, [FAKE, '--port', String(port), ...args], { stdio: 'ignore', env: { ...process.env, COG_THROTTLE_RESPONSE_INTERVAL: '0.05' } });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (await fetch(`${url}/health-check`).then((r) => r.ok, () => false)) break;
    await sleep(50);
  }
  return { url, process: child };
}

test('async on a GPU: slow setup timed by the server, logs and billing metrics by webhook, cancel through POST /cancel', async () => {
  // boot-ms: the process is up before its setup starts (an image pull, imports); only setup counts.
  const v = await createVersion({
    runner: { type: 'cog', command: `${FAST} node ${FAKE} --port {port} --gpus {gpus} --boot-ms 1500 --setup-ms 1500` },
    hardware: 'gpu-t4',
    openapi_schema: schema,
    pricing: [{ rule: 'per_image', unit_price_usd: 0.003 }],
  });
  const res = await call('POST', '/v1/predictions', { version: v.id, input: { text: 'shout' } }, { prefer: 'wait=30' });
  expect(res.json.status).toBe('succeeded');
  expect(res.json.output).toEqual({ text: 'SHOUT', gpus: '0' });
  expect(res.json.logs).toContain('uppercasing');
  expect(res.json.metrics.cold_start).toBe(true);
  expect(res.json.metrics.setup_time).toBeGreaterThanOrEqual(1.5);
  expect(res.json.metrics.setup_time).toBeLessThan(2.5); // the wall-clock boot is over 3 s
  expect(res.json.cost).toEqual(expect.objectContaining({ rule: 'per_image', quantity: 2, total_usd: 0.006 }));

  const slow = await call('POST', '/v1/predictions', { version: v.id, input: { text: 'x', sleep: 20 } });
  await waitFor(slow.json.id, (p) => p.status === 'processing');
  await sleep(300); // the server has taken it (its PUT answered 202)
  const canceled = await call('POST', `/v1/predictions/${slow.json.id}/cancel`);
  const final = canceled.json.status === 'canceled' ? canceled.json : await done(slow.json.id);
  expect(final.status).toBe('canceled');
  expect(final.metrics.predict_time).toBeLessThan(10);
  // The server itself saw the cancel: its `canceled` webhook carries its own log line.
  expect(final.logs).toContain('cancel requested');
}, 60_000);

test('SETUP_FAILED fails the waiting prediction with the setup logs', async () => {
  const v = await createVersion({
    runner: { type: 'cog', command: `node ${FAKE} --port {port} --fail-setup` },
    hardware: 'gpu-t4',
    openapi_schema: schema,
  });
  const res = await call('POST', '/v1/predictions', { version: v.id, input: {} }, { prefer: 'wait=30' });
  expect(res.json.status).toBe('failed');
  expect(res.json.error).toMatch(/SETUP_FAILED .*CUDA out of memory/);
}, 60_000);

test('409 busy: a second prediction on a one-slot server waits and retries instead of failing', async () => {
  const v = await createVersion({
    // webhook_host: the receiver listens on every interface and webhooks name this host (what a
    // container on a Docker bridge needs); here it is still this machine.
    runner: { type: 'cog', command: `${FAST} node ${FAKE} --port {port} --concurrency 1`, webhook_host: 'localhost' },
    hardware: 'gpu-t4',
    openapi_schema: schema,
    max_concurrency: 2, // more than the server takes: the engine sends two, Cog answers 409
  });
  const [a, b] = await Promise.all([
    call('POST', '/v1/predictions', { version: v.id, input: { text: 'first', sleep: 1 } }),
    call('POST', '/v1/predictions', { version: v.id, input: { text: 'second', sleep: 1 } }),
  ]);
  const [da, db] = await Promise.all([done(a.json.id), done(b.json.id)]);
  expect([da.status, db.status]).toEqual(['succeeded', 'succeeded']);
  expect([da.output.text, db.output.text].sort()).toEqual(['FIRST', 'SECOND']);
  const waited = [da, db].filter((p) => p.logs.includes('the Cog server is at capacity (409)'));
  expect(waited).toHaveLength(1);
}, 60_000);

test("sync mode: Cog's synchronous POST carries the result; cancel drops the connection; a crash fails the run and the instance is replaced", async () => {
  const events = join(mkdtempSync(join(tmpdir(), 'fake-cog-')), 'events');
  const v = await createVersion({
    runner: { type: 'cog', command: `node ${FAKE} --port {port} --concurrency 1 --events ${events}`, mode: 'sync' },
    hardware: 'gpu-t4',
    openapi_schema: schema,
  });
  expect(v.runner.mode).toBe('sync');
  const ok = await call('POST', '/v1/predictions', { version: v.id, input: { text: 'in sync' } }, { prefer: 'wait=30' });
  expect(ok.json.status).toBe('succeeded');
  expect(ok.json.output.text).toBe('IN SYNC');
  expect(ok.json.logs).toContain('uppercasing');
  expect(readFileSync(events, 'utf8')).toContain('create POST /predictions\n');

  const slow = await call('POST', '/v1/predictions', { version: v.id, input: { sleep: 20 } });
  await waitFor(slow.json.id, (p) => p.status === 'processing');
  await sleep(300); // the PUT is on the wire
  await call('POST', `/v1/predictions/${slow.json.id}/cancel`);
  expect((await done(slow.json.id)).status).toBe('canceled');
  // The server canceled it when the connection dropped: its only slot is free again at once.
  const next = await call('POST', '/v1/predictions', { version: v.id, input: { text: 'next' } }, { prefer: 'wait=10' });
  expect(next.json.status).toBe('succeeded');
  expect(next.json.logs).not.toContain('at capacity');

  const crash = await call('POST', '/v1/predictions', { version: v.id, input: { crash: true } }, { prefer: 'wait=30' });
  const crashed = TERMINAL.includes(crash.json.status) ? crash.json : await done(crash.json.id);
  expect(crashed.status).toBe('failed');
  expect(crashed.error).toMatch(/the Cog server (exited with code 137|was killed by SIGKILL) while this run was in progress/);
  const after = await call('POST', '/v1/predictions', { version: v.id, input: { text: 'again' } }, { prefer: 'wait=30' });
  expect(after.json.status).toBe('succeeded');
  expect(after.json.metrics.cold_start).toBe(true); // a new instance
}, 90_000);

test('stop sends POST /shutdown (no signal needed) when the instance is evicted', async () => {
  const events = join(mkdtempSync(join(tmpdir(), 'fake-cog-')), 'events');
  const a = await createVersion({ runner: { type: 'cog', command: `node ${FAKE} --port {port} --events ${events}` }, hardware: 'gpu-t4', openapi_schema: schema });
  expect((await call('POST', '/v1/predictions', { version: a.id, input: { text: 'a' } }, { prefer: 'wait=30' })).json.status).toBe('succeeded');
  // The one GPU is needed by another version: the idle instance of `a` is evicted (stopped).
  const b = await createVersion({ runner: { type: 'cog', command: `node ${FAKE} --port {port} --setup-ms 100` }, hardware: 'gpu-t4', openapi_schema: schema });
  expect((await call('POST', '/v1/predictions', { version: b.id, input: { text: 'b' } }, { prefer: 'wait=30' })).json.status).toBe('succeeded');
  for (let i = 0; i < 100 && !existsSync(events); i++) await sleep(50);
  expect(readFileSync(events, 'utf8').split('\n').filter((e) => e && !e.startsWith('create '))).toEqual(['shutdown']);
}, 60_000);

test('a URL server: schema from /openapi.json, 422 before it is called, and a server that dies fails its run', async () => {
  const fake = await startFake(['--setup-ms', '0']);
  try {
    await call('POST', '/v1/models', { owner: 'cog', name: 'remote', visibility: 'private', hardware: 'cpu' });
    const v = await createVersion({ runner: { type: 'cog', url: fake.url } }, 'cog/remote');
    expect(v.openapi_schema.components.schemas.Input.properties.text).toBeTruthy();
    expect(v.streams).toBe(false);
    const bad = await call('POST', '/v1/predictions', { version: v.id, input: { text: 7 } });
    expect(bad.status).toBe(422);
    const res = await call('POST', '/v1/predictions', { version: v.id, input: { text: 'remote' } }, { prefer: 'wait=30' });
    expect(res.json.output.text).toBe('REMOTE');
    expect(res.json.logs).toContain('uppercasing');

    // No process of ours to watch: the health watchdog notices the server is gone.
    const crash = await call('POST', '/v1/predictions', { version: v.id, input: { crash: true } });
    const crashed = await done(crash.json.id);
    expect(crashed.status).toBe('failed');
    expect(crashed.error).toMatch(/the Cog server stopped answering its health check while this run was in progress/);
    expect(crashed.logs).toContain('about to run out of memory'); // relayed before it died

    const unreachable = await call('POST', '/v1/models/cog/remote/versions', { runner: { type: 'cog', url: 'http://127.0.0.1:1' } });
    expect(unreachable.status).toBe(422);
    expect(unreachable.json.errors[0].pointer).toBe('/runner/url');
  } finally {
    fake.process.kill('SIGKILL');
  }
}, 60_000);

test('streamed output: iterator items reach the prediction, its stream and its webhooks as they are yielded', async () => {
  const receiver = await startReceiver();
  try {
    // No openapi_schema: the engine boots the command once to read it (an iterator Output).
    const v = await createVersion({ runner: { type: 'cog', command: `${FAST} node ${FAKE} --port {port} --stream --setup-ms 100` } });
    expect(v.streams).toBe(true);
    expect(v.openapi_schema.components.schemas.Output['x-cog-array-type']).toBe('iterator');
    const created = await call('POST', '/v1/predictions', {
      version: v.id,
      input: { text: 'one two three four', sleep: 0.4 },
      webhook: `${receiver.url}/hook`,
      webhook_events_filter: ['output', 'completed'],
    });
    expect(created.status).toBe(201);
    const sse = readStream(created.json.urls.stream);
    const partial = await waitFor(created.json.id, (p) => p.status === 'processing' && Array.isArray(p.output) && p.output.length > 0);
    expect(partial.output.length).toBeLessThan(4);
    const final = await done(created.json.id);
    expect(final.status).toBe('succeeded');
    expect(final.output).toEqual(['ONE', 'TWO', 'THREE', 'FOUR']);
    expect(final.logs).toContain('yielded word 4');
    expect((await sse).filter((e) => e.event === 'output').map((e) => e.data)).toEqual(['ONE', 'TWO', 'THREE', 'FOUR']);
    await receiver.waitFor((d) => d.json?.status === 'succeeded');
    const progress = receiver.deliveries.filter((d) => d.json?.status === 'processing');
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[0].json.output.length).toBeLessThan(4);
  } finally {
    await receiver.close();
  }
}, 60_000);

/** Reads a prediction's SSE stream until `done`. */
async function readStream(url: string): Promise<Array<{ event: string; data: string }>> {
  const res = await fetch(url, { headers: { accept: 'text/event-stream' }, signal: AbortSignal.timeout(30_000) });
  const reader = res.body!.getReader();
  let text = '';
  for (;;) {
    const { value, done: ended } = await reader.read();
    if (value) text += Buffer.from(value).toString('utf8');
    if (ended || /event: done/.test(text)) break;
  }
  await reader.cancel().catch(() => undefined);
  return text
    .split('\n\n')
    .map((block) => ({ event: /^event: (.*)$/m.exec(block)?.[1] ?? '', data: [...block.matchAll(/^data: (.*)$/gm)].map((m) => m[1]).join('\n') }))
    .filter((e) => e.event);
}

test('training: PUT /trainings/{id} by webhook; the uploaded weights become a version that boots with them', async () => {
  const v = await createVersion({ runner: { type: 'cog', command: `${FAST} node ${FAKE} --port {port} --train --setup-ms 100 --upload-url {upload_url}` } });
  expect(v.trainable).toBe(true);
  const bad = await call('POST', `/v1/models/cog/upper/versions/${v.id}/trainings`, { destination: 'cog/trained', input: {} });
  expect(bad.status).toBe(422);
  const training = await call('POST', `/v1/models/cog/upper/versions/${v.id}/trainings`, { destination: 'cog/trained', input: { prefix: 'tuned', sleep: 0.3 } });
  expect(training.status).toBe(201);
  const trained = await done(training.json.id, 'trainings');
  expect(trained.status).toBe('succeeded');
  expect(trained.output.version).toMatch(/^cog\/trained:[0-9a-f]{64}$/);
  expect(trained.logs).toContain('training with prefix "tuned"');
  expect(readdirSync(trained.output.weights)).toEqual(['weights.txt']);
  expect(readFileSync(join(trained.output.weights, 'weights.txt'), 'utf8')).toBe('tuned');
  // The new version's server gets the weights (COG_WEIGHTS) and its setup loads them.
  const res = await call('POST', '/v1/predictions', { version: trained.output.version, input: { text: 'shout' } }, { prefer: 'wait=30' });
  expect(res.json.status).toBe('succeeded');
  expect(res.json.output.text).toBe('TUNED SHOUT');
}, 60_000);

describe('file outputs', () => {
  // What the fake model writes: the PNG signature, the text, `pad` bytes of "x".
  const png = (text: string, pad = 0) => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from(text), Buffer.alloc(pad, 'x')]);
  const expectFile = async (url: unknown, bytes: Buffer, name: string) => {
    expect(url).toMatch(new RegExp(`^${engine.url}/v1/files/[0-9a-z]+/download\\?expires=\\d+&sig=`));
    const res = await fetch(url as string); // a signed URL: no token needed
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('content-disposition')).toContain(`filename="${name}"`);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(bytes);
    const id = /\/v1\/files\/([0-9a-z]+)\//.exec(url as string)![1];
    const file = await call('GET', `/v1/files/${id}`); // with the API token
    expect(file.json).toEqual(expect.objectContaining({ name, content_type: 'image/png', size: bytes.length }));
  };
  const finished = async (res: { json: any }) => (TERMINAL.includes(res.json.status) ? res.json : done(res.json.id));
  beforeAll(async () => {
    await call('POST', '/v1/models', { owner: 'cog', name: 'files', visibility: 'private', hardware: 'cpu' });
  });

  test("sync mode: Cog's data URLs become files the engine stores and serves, named and typed, within its size limit", async () => {
    // No openapi_schema: read from the server, where a Path output is a string of format uri.
    const one = await createVersion({ runner: { type: 'cog', command: `node ${FAKE} --port {port} --files one --setup-ms 100`, mode: 'sync' } }, 'cog/files');
    expect(one.openapi_schema.components.schemas.Output).toEqual(expect.objectContaining({ type: 'string', format: 'uri' }));
    const single = await call('POST', '/v1/predictions', { version: one.id, input: { text: 'a picture', pad: 1000 } }, { prefer: 'wait=30' });
    expect(single.json.status).toBe('succeeded');
    await expectFile(single.json.output, png('A PICTURE', 1000), 'output.png');

    const list = await createVersion({ runner: { type: 'cog', command: `node ${FAKE} --port {port} --files list --setup-ms 100`, mode: 'sync' } }, 'cog/files');
    const many = await call('POST', '/v1/predictions', { version: list.id, input: { text: 'frame', count: 3 } }, { prefer: 'wait=30' });
    expect(many.json.status).toBe('succeeded');
    expect(many.json.output).toHaveLength(3);
    for (const [i, url] of many.json.output.entries()) await expectFile(url, png(`FRAME ${i}`), `output_${i}.png`);

    // Over GANTRY_MAX_FILE_BYTES: the run fails saying so, as an upload over it would be refused.
    const failed = await finished(await call('POST', '/v1/predictions', { version: one.id, input: { text: 'huge', pad: MAX_FILE_BYTES } }, { prefer: 'wait=30' }));
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(new RegExp(`output file output.png is \\d+ bytes, over the file size limit of ${MAX_FILE_BYTES} bytes`));
  }, 60_000);

  test('async mode with {upload_url}: the server PUTs each file to the instance, the engine stores and serves it', async () => {
    const one = await createVersion({ runner: { type: 'cog', command: `${FAST} node ${FAKE} --port {port} --files one --setup-ms 100 --upload-url {upload_url}` } }, 'cog/files');
    const single = await call('POST', '/v1/predictions', { version: one.id, input: { text: 'uploaded', pad: 5000 } }, { prefer: 'wait=30' });
    expect(single.json.status).toBe('succeeded');
    // The server's own file name, as Cog names the uploaded file.
    await expectFile(single.json.output, png('UPLOADED', 5000), 'out.png');

    const list = await createVersion({ runner: { type: 'cog', command: `${FAST} node ${FAKE} --port {port} --files list --setup-ms 100 --upload-url {upload_url}` } }, 'cog/files');
    const many = await call('POST', '/v1/predictions', { version: list.id, input: { text: 'still', count: 2 } }, { prefer: 'wait=30' });
    expect(many.json.status).toBe('succeeded');
    expect(many.json.output).toHaveLength(2);
    for (const [i, url] of many.json.output.entries()) await expectFile(url, png(`STILL ${i}`), `out-${i}.png`);
    // Nothing of the receiver (its address, its secret) leaks into what clients see.
    expect(JSON.stringify(many.json)).not.toMatch(/127\.0\.0\.1:\d+\/[0-9a-f]{32}/);

    // An upload over the size limit is refused (413); the server fails the run and the error says why.
    const failed = await finished(await call('POST', '/v1/predictions', { version: one.id, input: { text: 'huge', pad: MAX_FILE_BYTES } }, { prefer: 'wait=30' }));
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(new RegExp(`Got error trying to upload output files: the output file out.png is \\d+ bytes, over the file size limit of ${MAX_FILE_BYTES} bytes`));
  }, 60_000);

  test("async mode without an upload URL: the legacy server's bare path fails the prediction instead of succeeding", async () => {
    const one = await createVersion({ runner: { type: 'cog', command: `${FAST} node ${FAKE} --port {port} --files one --setup-ms 100` } }, 'cog/files');
    const failed = await finished(await call('POST', '/v1/predictions', { version: one.id, input: { text: 'lost' } }, { prefer: 'wait=30' }));
    expect(failed.status).toBe('failed');
    expect(failed.output).toBeNull();
    expect(failed.error).toMatch(/returned the output file "\/.*out\.png" as a path on its own machine/);
    expect(failed.error).toContain('--upload-url={upload_url}');
    // A text output that merely looks like a path is not a file: only `format: uri` positions are.
    const text = await createVersion({
      runner: { type: 'cog', command: `${FAST} node ${FAKE} --port {port} --setup-ms 100` },
      openapi_schema: { ...schema, components: { schemas: { ...schema.components.schemas, Output: { type: 'object', properties: { text: { type: 'string' } } } } } },
    }, 'cog/files');
    const ok = await call('POST', '/v1/predictions', { version: text.id, input: { text: '/tmp/not-a-file' } }, { prefer: 'wait=30' });
    expect(ok.json.status).toBe('succeeded');
    expect(ok.json.output.text).toBe('/TMP/NOT-A-FILE');
  }, 60_000);
});

test('bad cog runner specs are 422 naming the field', async () => {
  const expectError = async (runner: Record<string, unknown>, pointer: string, detail: RegExp) => {
    const res = await call('POST', '/v1/models/cog/upper/versions', { runner, openapi_schema: schema });
    expect(res.status).toBe(422);
    expect(res.json.errors[0].pointer).toBe(pointer);
    expect(res.json.errors[0].detail).toMatch(detail);
  };
  await expectError({ type: 'cog' }, '/runner/command', /needs a command .* or a url/);
  await expectError({ type: 'cog', url: 'http://127.0.0.1:1', command: 'x' }, '/runner/command', /not both/);
  await expectError({ type: 'cog', url: 'ftp://example.com' }, '/runner/url', /http/);
  await expectError({ type: 'cog', url: 'http://127.0.0.1:1', mode: 'later' }, '/runner/mode', /.+/);
  // A command with no schema is booted to read one; one that cannot serve it says why.
  const res = await call('POST', '/v1/models/cog/upper/versions', { runner: { type: 'cog', command: "echo 'no such image'; exit 3" } });
  expect(res.status).toBe(422);
  expect(res.json.errors[0].pointer).toBe('/runner/command');
  expect(res.json.errors[0].detail).toMatch(/exited with code 3 .*no such image/);
});
