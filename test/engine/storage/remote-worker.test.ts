/**
 * Hosts that share only Postgres and an S3 bucket (the s3rver fake): an API process with no
 * worker, and `gantry worker` processes each with a data dir of its own. A training on one worker
 * reads its dataset (uploaded through the API) from the bucket and stores its weights there; a
 * second worker, which never saw them, fetches the weights to run the new version; an output file
 * written on that worker is downloaded through its signed engine URL (a redirect to a presigned
 * bucket URL), also by the official client's FileOutput; data retention deletes output files
 * from the bucket, and so does the file TTL sweep. A store that cannot be used stops `gantry`
 * from starting, naming GANTRY_STORAGE_URL.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Replicate from 'replicate';
import { api, startEngine, startWorker, type EngineHandle } from '../../helpers/engine';
import { startS3, S3_KEY, S3_SECRET, type S3Handle } from '../../helpers/s3';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createFileOutput } = require('replicate/lib/stream') as { createFileOutput(o: { url: string; fetch: typeof fetch }): ReadableStream & { blob(): Promise<Blob> } };

const CLI = join(__dirname, '..', '..', '..', 'engine', 'dist', 'src', 'cli.js');
const WRITER = join(__dirname, '..', '..', 'fixtures', 'predictors', 'write-file.js');
const BUCKET = 'fleet';
const PREFIX = 'gantry/';
const RETENTION_SECONDS = 15;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let s3: S3Handle;
let engine: EngineHandle;
let call: ReturnType<typeof api>;
let storageUrl: string;

beforeAll(async () => {
  s3 = await startS3([BUCKET]);
  storageUrl = s3.storageUrl(BUCKET, PREFIX);
  engine = await startEngine({ env: { GANTRY_STORAGE_URL: storageUrl, GANTRY_EMBEDDED_WORKER: 'false', GANTRY_DATA_RETENTION: String(RETENTION_SECONDS) } });
  call = api(engine);
}, 90_000);

afterAll(async () => {
  await engine?.stop();
  await s3?.close();
});

/** A `gantry worker` on a "host" of its own: a fresh data dir, the same database and bucket. */
async function startHost(name: string, env: Record<string, string> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), `gantry-${name}-`));
  const worker = await startWorker(engine.databaseUrl, {
    GANTRY_DATA_DIR: dataDir,
    GANTRY_STORAGE_URL: storageUrl,
    GANTRY_PUBLIC_URL: engine.url,
    GANTRY_WORKER_NAME: name,
    GANTRY_CPU_SLOTS: '2',
    GANTRY_URL_ALLOWLIST: '127.0.0.1,localhost',
    ...env,
  });
  return { ...worker, dataDir };
}

async function waitFor(path: string, done: (x: any) => boolean, ms = 60_000) {
  const until = Date.now() + ms;
  for (;;) {
    const { json } = await call('GET', path);
    if (done(json)) return json;
    if (Date.now() > until) throw new Error(`timed out; last seen ${JSON.stringify(json)}`);
    await sleep(100);
  }
}

function treeOf(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

test('a training on one host, a prediction on its weights on another, an output file by signed URL', async () => {
  // Host A takes its credentials from the standard AWS variables, not from the URL.
  const hostA = await startHost('host-a', {
    GANTRY_STORAGE_URL: s3.storageUrl(BUCKET, PREFIX, { credentials: false }),
    AWS_ACCESS_KEY_ID: S3_KEY,
    AWS_SECRET_ACCESS_KEY: S3_SECRET,
  });
  let hostB: Awaited<ReturnType<typeof startHost>> | undefined;
  try {
    // The dataset goes up through the API (into the bucket), and host A reads it from there.
    const data = ['cats purr', 'cats meow softly', 'kittens nap', 'dogs bark', 'dogs fetch balls', 'puppies chew']
      .map((t) => JSON.stringify({ text: t, label: /cat|kitten/.test(t) ? 'cat' : 'dog' }))
      .join('\n');
    const form = new FormData();
    form.append('content', new Blob([data], { type: 'application/jsonl' }), 'pets.jsonl');
    const upload = await fetch(`${engine.url}/v1/files`, { method: 'POST', headers: { authorization: `Bearer ${engine.token}` }, body: form });
    expect(upload.status).toBe(201);
    const dataset = await upload.json();
    expect(await s3.keys(BUCKET, `${PREFIX}files/`)).toEqual([`${PREFIX}files/${dataset.id}`]);

    expect((await call('POST', '/v1/models', { owner: 'me', name: 'pets', visibility: 'private', hardware: 'cpu' })).status).toBe(201);
    const base = (await call('GET', '/v1/models/gantry/text-classifier')).json.latest_version.id;
    const created = await call('POST', `/v1/models/gantry/text-classifier/versions/${base}/trainings`, {
      destination: 'me/pets',
      input: { train_data: dataset.urls.get, holdout_fraction: 0 },
    });
    expect(created.status).toBe(201);
    const training = await waitFor(`/v1/trainings/${created.json.id}`, (t) => ['succeeded', 'failed', 'canceled'].includes(t.status));
    expect([training.status, training.error]).toEqual(['succeeded', null]);
    const location = `s3://${BUCKET}/${PREFIX}weights/${training.id}`;
    expect(training.output.weights).toBe(location);
    expect(training.output.version).toMatch(/^me\/pets:[0-9a-f]{64}$/);
    expect(await s3.keys(BUCKET, `${PREFIX}weights/`)).toEqual([
      `${PREFIX}weights/${training.id}.manifest.json`,
      `${PREFIX}weights/${training.id}/weights.json`,
    ]);
    // The API host keeps nothing on disk; host A keeps the copy it trained.
    expect(treeOf(join(engine.dataDir, 'files'))).toEqual([]);
    expect(treeOf(join(engine.dataDir, 'weights'))).toEqual([]);
    expect(treeOf(join(hostA.dataDir, 'cache'))).toEqual([`weights/${training.id}/weights.json`]);
    const trained = readFileSync(join(hostA.dataDir, 'cache', 'weights', training.id, 'weights.json'));

    // Host B never saw the weights: it must fetch them from the bucket to boot the new version.
    await hostA.stop();
    hostB = await startHost('host-b');
    expect(treeOf(join(hostB.dataDir, 'cache'))).toEqual([]);
    const run = await call('POST', '/v1/predictions', { version: training.output.version, input: { text: 'cats purr' } }, { prefer: 'wait=60' });
    expect([run.json.status, run.json.error]).toEqual(['succeeded', null]);
    expect(run.json.output.label).toBe('cat'); // base weights know only positive/negative
    expect(run.json.metrics.cold_start).toBe(true);
    expect(treeOf(join(hostB.dataDir, 'cache'))).toEqual([`weights/${training.id}/weights.json`]);
    expect(readFileSync(join(hostB.dataDir, 'cache', 'weights', training.id, 'weights.json'))).toEqual(trained);

    // An output file written on host B, served through the signed engine URL from the bucket.
    expect((await call('POST', '/v1/models', { owner: 'me', name: 'writer', visibility: 'private', hardware: 'cpu' })).status).toBe(201);
    expect((await call('POST', '/v1/models/me/writer/versions', { runner: { type: 'node', module: WRITER } })).status).toBe(201);
    const written = await call('POST', '/v1/models/me/writer/predictions', { input: { text: 'written on host b' } }, { prefer: 'wait=60' });
    expect(written.json.status).toBe('succeeded');
    const url: string = written.json.output.file;
    expect(url).toMatch(new RegExp(`^${engine.url}/v1/files/[0-9a-z]+/download\\?expires=\\d+&sig=`));
    const fileId = /\/v1\/files\/([0-9a-z]+)\//.exec(url)![1];
    const redirect = await fetch(url, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toMatch(new RegExp(`^${s3.endpoint}/${BUCKET}/${PREFIX}files/${fileId}\\?`));
    const followed = await fetch(url);
    expect([followed.status, followed.headers.get('content-type'), await followed.text()]).toEqual([200, 'text/plain', 'written on host b']);
    const viaClient = await createFileOutput({ url, fetch }).blob();
    expect(Buffer.from(await viaClient.arrayBuffer()).toString()).toBe('written on host b');
    // The official client lists the file like any other (it was written by a worker, not uploaded).
    const replicate = new Replicate({ auth: engine.token, baseUrl: `${engine.url}/v1` });
    expect(((await replicate.files.get(fileId)) as any).size).toBe('written on host b'.length);
    expect(await s3.keys(BUCKET, `${PREFIX}files/${fileId}`)).toEqual([`${PREFIX}files/${fileId}`]);
    expect(treeOf(join(hostB.dataDir, 'files'))).toEqual([]);

    // Data retention removes the output file from the bucket; the training's weights stay.
    await waitFor(`/v1/predictions/${written.json.id}`, (p) => p.data_removed === true, (RETENTION_SECONDS + 30) * 1000);
    expect(await s3.keys(BUCKET, `${PREFIX}files/${fileId}`)).toEqual([]);
    expect((await fetch(url)).status).toBe(404);
    expect(await s3.keys(BUCKET, `${PREFIX}weights/${training.id}/`)).toEqual([`${PREFIX}weights/${training.id}/weights.json`]);
  } finally {
    await hostA.stop();
    await hostB?.stop();
  }
}, 180_000);

test('the file TTL sweep deletes expired files from the bucket', async () => {
  const short = await startEngine({ env: { GANTRY_STORAGE_URL: s3.storageUrl(BUCKET, 'ttl'), GANTRY_FILE_TTL: '2', GANTRY_EMBEDDED_WORKER: 'false' } });
  try {
    const form = new FormData();
    form.append('content', new Blob(['short-lived']), 'brief.txt');
    const res = await fetch(`${short.url}/v1/files`, { method: 'POST', headers: { authorization: `Bearer ${short.token}` }, body: form });
    const file = await res.json();
    expect(await s3.keys(BUCKET, 'ttl/files/')).toEqual([`ttl/files/${file.id}`]);
    const until = Date.now() + 30_000;
    while ((await s3.keys(BUCKET, 'ttl/files/')).length > 0 && Date.now() < until) await sleep(250);
    expect(await s3.keys(BUCKET, 'ttl/files/')).toEqual([]);
    expect((await api(short)('GET', `/v1/files/${file.id}`)).status).toBe(404);
  } finally {
    await short.stop();
  }
}, 90_000);

/** Runs `gantry <command>` to its exit with the given settings. */
async function runGantry(command: string, env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [CLI, command], { env: { ...process.env, GANTRY_DATA_DIR: mkdtempSync(join(tmpdir(), 'gantry-bad-')), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  return { code, out };
}

test.each([
  ['serve', 'a malformed URL', () => 's3://bucket/p?endpoint=minio:9000', /GANTRY_STORAGE_URL: endpoint must be an http\(s\) URL/],
  ['serve', 'a bucket that does not exist', () => s3.storageUrl('no-such-bucket'), /GANTRY_STORAGE_URL: bucket "no-such-bucket" at http:\/\/127\.0\.0\.1:\d+ cannot be used: NotFound/],
  ['worker', 'a bucket that does not exist', () => s3.storageUrl('no-such-bucket'), /GANTRY_STORAGE_URL: bucket "no-such-bucket"/],
])('gantry %s with %s refuses to start, naming the variable', async (command, _what, url, message) => {
  // A database nothing listens on: the store is checked first, so it is never reached.
  const { code, out } = await runGantry(command, { GANTRY_STORAGE_URL: url(), DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
  expect(code).toBe(2);
  expect(out).toMatch(message);
  expect(out).not.toMatch(/fatal|\n\s+at /); // a configuration error, not a crash with a stack
}, 30_000);
