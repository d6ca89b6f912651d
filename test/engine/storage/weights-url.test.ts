/**
 * Weights named by an http(s) URL in the worker's artifact cache (storage/weights-url.ts through
 * the real WeightsStore), against a real local http origin that counts its requests: a miss
 * downloads once (also for concurrent boots), a second boot and a new process read the disk copy,
 * redirects are followed (bounded), Basic credentials from the URL go to the origin but never
 * into an error or log line, errors and a body over the budget fail naming the URL, and a
 * prefetch never goes over the budget. Also the receiver that serves a cached copy to a Cog
 * container, and which command templates count as containers.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { LocalStorage } from '../../../engine/src/storage/local';
import { WeightsStore } from '../../../engine/src/storage';
import { parseAllowList } from '../../../engine/src/core/url-guard';
import { describeWeights, urlWeightsFileName, urlWeightsKey } from '../../../engine/src/storage/weights-url';
import { HeldArtifacts } from '../../../engine/src/worker/held-artifacts';
import { WeightsFirstInstance } from '../../../engine/src/runners/weights-first';
import { CogReceiver } from '../../../engine/src/runners/cog-receiver';
import { startsContainer, urlWeightsDelivery } from '../../../engine/src/runners/weights-delivery';
import { startWeightsOrigin, type WeightsOrigin } from '../../helpers/weights-origin';

const MB = 1_000_000;
const tmp = (name: string) => mkdtempSync(join(tmpdir(), `gantry-${name}-`));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const budget = (diskBytes: number) => ({ diskBytes, memoryBytes: 0 });
/** The origin is on loopback: allowed, as an operator would with GANTRY_URL_ALLOWLIST. */
const LOOPBACK = { allow: parseAllowList('127.0.0.1') };

let origin: WeightsOrigin;
let storage: LocalStorage;
const blob = randomBytes(3 * MB);

beforeAll(async () => {
  origin = await startWeightsOrigin();
  storage = new LocalStorage(tmp('url-store'));
  origin.files.set('/models/model.safetensors', { body: blob, delayMs: 100 });
  origin.files.set('/chunked/model.bin', { body: blob, chunked: true });
  origin.files.set('/private/model.bin', { body: blob, basic: 'alice:s3cr3t-pass' });
  origin.redirects.set('/moved', '/hop/1');
  origin.redirects.set('/hop/1', '/models/model.safetensors');
  for (let i = 0; i < 8; i++) origin.redirects.set(`/loop/${i}`, `/loop/${i + 1}`);
  origin.errors.set('/missing.bin', 404);
  origin.errors.set('/broken.bin', 500);
});

afterAll(async () => {
  await origin?.close();
});

const store = (dir: string, diskBytes: number) => new WeightsStore(storage, dir, budget(diskBytes), LOOPBACK);

describe('WeightsStore with http(s) weights URLs', () => {
  test('a miss downloads once, the next boot and a new process read the disk copy', async () => {
    const dir = tmp('url-cache');
    const url = `${origin.url}/models/model.safetensors`;
    const w = store(dir, 10 * MB);
    expect(w.needsFetch(url)).toBe(true);
    expect(w.heldTier(url)).toBeUndefined();
    const before = origin.hits.get('/models/model.safetensors') ?? 0;
    // Two boots at once share one download.
    const [a, b] = await Promise.all([w.acquire(url), w.acquire(url)]);
    expect([a.outcome, b.outcome]).toEqual(['miss', 'miss']);
    expect(a.fetchedBytes + b.fetchedBytes).toBe(blob.length);
    expect(basename(a.path)).toBe('model.safetensors');
    expect(a.path.startsWith(join(dir, 'cache', urlWeightsKey(url)))).toBe(true);
    expect(sha(readFileSync(a.path))).toBe(sha(blob));
    const c = await w.acquire(url);
    expect([c.outcome, c.fetchedBytes, c.path, c.bytes]).toEqual(['disk', 0, a.path, blob.length]);
    expect(w.heldTier(url)).toBe('disk');
    expect(w.heldBytes(url)).toBe(blob.length);
    expect(w.cache.summary()).toMatchObject({ misses: 2, hits_disk: 1, fetched_bytes: blob.length, used_bytes: blob.length });
    for (const x of [a, b, c]) x.release();
    // No partial download is left beside the copy.
    expect(readdirSync(join(dir, 'cache', 'urls'))).toEqual([urlWeightsKey(url).split('/')[1]]);
    const again = store(dir, 10 * MB);
    const d = await again.acquire(url);
    expect([d.outcome, d.path]).toEqual(['disk', a.path]);
    d.release();
    expect(origin.hits.get('/models/model.safetensors')! - before).toBe(1);
  });

  test("the worker's heartbeat reports a URL version it holds, with its tier and bytes", async () => {
    const url = `${origin.url}/models/model.safetensors`;
    const w = store(tmp('url-held'), 10 * MB);
    const held = new HeldArtifacts(w);
    held.note({ id: 'v-url', weights: url, runner: { type: 'node', module: 'm' }, openapi_schema: {} });
    // A server reached by URL reads the URL itself: nothing of it is held here, even when cached.
    held.note({ id: 'v-attached', weights: url, runner: { type: 'cog', url: 'http://cog:5000' }, openapi_schema: {} });
    expect(held.report()).toEqual({ artifacts: {}, artifact_bytes: {} });
    (await w.acquire(url)).release();
    expect(held.report()).toEqual({ artifacts: { 'v-url': 'disk' }, artifact_bytes: { 'v-url': blob.length } });
  });

  test('redirects are followed; a redirect loop stops after a few hops', async () => {
    const w = store(tmp('url-redirect'), 10 * MB);
    const got = await w.acquire(`${origin.url}/moved`);
    expect(sha(readFileSync(got.path))).toBe(sha(blob));
    expect(basename(got.path)).toBe('moved');
    await expect(w.acquire(`${origin.url}/loop/0`)).rejects.toThrow('more than 5 redirects');
    expect(origin.hits.get('/loop/6')).toBeUndefined();
  });

  test('a body without Content-Length is held to the budget', async () => {
    const url = `${origin.url}/chunked/model.bin`;
    const fits = await store(tmp('url-chunked'), 10 * MB).acquire(url);
    expect(fits.bytes).toBe(blob.length);
    const dir = tmp('url-chunked-small');
    await expect(store(dir, MB).acquire(url)).rejects.toThrow(`larger than ${MB} bytes (the artifact cache budget, GANTRY_CACHE_BYTES)`);
    expect(readdirSync(join(dir, 'cache', 'urls'))).toEqual([]);
  });

  test('a declared length over the budget fails before the body is read; a prefetch finds no room', async () => {
    const url = `${origin.url}/models/model.safetensors`;
    const w = store(tmp('url-big'), 2 * MB);
    await expect(w.acquire(url)).rejects.toThrow(`they are ${blob.length} bytes, larger than the artifact cache budget of ${2 * MB} bytes (GANTRY_CACHE_BYTES)`);
    const small = store(tmp('url-prefetch'), 4 * MB);
    const pinned = await small.acquire(`${origin.url}/chunked/model.bin`);
    expect(await small.prefetch(url)).toBe('no-room');
    pinned.release();
    expect(await small.prefetch(url)).toBe('fetched');
    expect(await small.prefetch(url)).toBe('held');
  });

  test('Basic credentials from the URL reach the origin, never a message', async () => {
    const url = `http://alice:s3cr3t-pass@${origin.url.slice('http://'.length)}/private/model.bin`;
    expect(describeWeights(url)).toBe(`${origin.url}/private/model.bin`);
    const w = store(tmp('url-auth'), 10 * MB);
    const inst = new WeightsFirstInstance({ type: 'node', module: 'unused', weights: url }, w, () => {
      throw new Error('booted');
    });
    await expect(inst.start()).rejects.toThrow('booted');
    expect(inst.setupLogs.join('\n')).toContain(`weights ${origin.url}/private/model.bin at `);
    expect(inst.setupLogs.join('\n')).not.toContain('s3cr3t');
    expect(origin.auth.get('/private/model.bin')).toEqual([`Basic ${Buffer.from('alice:s3cr3t-pass').toString('base64')}`]);
    const wrong = url.replace('s3cr3t-pass', 'wr0ng-pass');
    const denied = new WeightsFirstInstance({ type: 'node', module: 'unused', weights: wrong }, w, () => {
      throw new Error('booted');
    });
    const err: Error = await denied.start().then(
      () => new Error('resolved'),
      (e: Error) => e,
    );
    expect(err.message).toBe(`cannot fetch the weights ${origin.url}/private/model.bin: the origin answered HTTP 401`);
  });

  test.each([
    ['/missing.bin', 'the origin answered HTTP 404'],
    ['/broken.bin', 'the origin answered HTTP 500'],
  ])('%s fails the boot naming the URL', async (path, why) => {
    const url = `${origin.url}${path}`;
    const inst = new WeightsFirstInstance({ type: 'node', module: 'unused', weights: url }, store(tmp('url-err'), 10 * MB), () => {
      throw new Error('booted');
    });
    await expect(inst.start()).rejects.toThrow(`cannot fetch the weights ${url}: ${why}`);
  });

  test('an origin that is down fails naming the URL', async () => {
    const down = await startWeightsOrigin();
    await down.close();
    const url = `${down.url}/model.bin`;
    const inst = new WeightsFirstInstance({ type: 'node', module: 'unused', weights: url }, store(tmp('url-down'), 10 * MB), () => {
      throw new Error('booted');
    });
    await expect(inst.start()).rejects.toThrow(new RegExp(`^cannot fetch the weights ${url.replace(/[.]/g, '\\.')}: the download failed: .*ECONNREFUSED`));
  });

  test('loopback and private addresses are refused unless allowed (the SSRF guard of URL inputs)', async () => {
    const url = `${origin.url}/models/model.safetensors`;
    const guarded = new WeightsStore(storage, tmp('url-guard'), budget(10 * MB), { allow: parseAllowList('') });
    const inst = new WeightsFirstInstance({ type: 'node', module: 'unused', weights: url }, guarded, () => {
      throw new Error('booted');
    });
    await expect(inst.start()).rejects.toThrow(`cannot fetch the weights ${url}: host 127.0.0.1 is a loopback (127.0.0.0/8) address`);
    // A redirect to a refused address is refused too.
    const open = await startWeightsOrigin();
    open.redirects.set('/to-private', 'http://10.1.2.3/model.bin');
    await expect(new WeightsStore(storage, tmp('url-guard-hop'), budget(10 * MB), { allow: parseAllowList('127.0.0.1') }).acquire(`${open.url}/to-private`)).rejects.toThrow(
      'host 10.1.2.3 is a private',
    );
    await open.close();
  });

  test('an origin that stalls fails the download instead of hanging the boot', async () => {
    origin.files.set('/slow/model.bin', { body: blob, delayMs: 1000 });
    const w = new WeightsStore(storage, tmp('url-stall'), budget(10 * MB), { ...LOOPBACK, stallMs: 200 });
    await expect(w.acquire(`${origin.url}/slow/model.bin`)).rejects.toThrow('the download failed: the origin sent nothing for 0.2 s');
  });

  test('file names of URLs', () => {
    expect(urlWeightsFileName('https://hub.example/org/m/resolve/main/model%20v2.safetensors?download=1')).toBe('model_v2.safetensors');
    expect(urlWeightsFileName('https://hub.example/')).toBe('weights');
    expect(urlWeightsFileName('https://hub.example/..')).toBe('weights');
    expect(urlWeightsKey('https://a/x')).not.toBe(urlWeightsKey('https://u:p@a/x'));
  });
});

describe('weights for a Cog server in a container', () => {
  test.each([
    ['docker run --rm -p 127.0.0.1:{port}:5000 {image}', true],
    ["docker run --rm --gpus '\"device={gpus}\"' -p 127.0.0.1:{port}:5000 --add-host=host.docker.internal:host-gateway {image} python -m cog.server.http --upload-url={upload_url}", true],
    ['podman run --rm -p {port}:5000 {image}', true],
    ['/usr/bin/docker container run {image}', true],
    ['sudo docker run {image}', true],
    ['cd /srv && docker run {image}', true],
    ['python -m cog.server.http --port {port}', false],
    ['node fake-cog.js --port {port}', false],
    ['docker-run-wrapper {image}', false],
    ['echo docker; python -m cog.server.http', false],
    ['docker pull {image} && python -m cog.server.http', false],
  ])('%s → container: %s', (command, container) => {
    expect(startsContainer(command)).toBe(container);
    expect(urlWeightsDelivery({ type: 'cog', command })).toBe(container ? 'served' : 'local-path');
  });

  test('node predictors get the local path; servers reached by URL and OpenAI servers the URL', () => {
    expect(urlWeightsDelivery({ type: 'node', module: 'm' })).toBe('local-path');
    expect(urlWeightsDelivery({ type: 'cog', url: 'http://cog:5000' })).toBe('original');
    expect(urlWeightsDelivery({ type: 'openai', url: 'http://vllm:8000', model: 'm' })).toBe('original');
    expect(urlWeightsDelivery({ type: 'openai', command: 'vllm serve {weights} --port {port}', model: 'm' })).toBe('original');
  });

  test('the receiver serves that one file, with its length, to that instance only', async () => {
    const dir = tmp('served');
    const file = join(dir, 'model.safetensors');
    writeFileSync(file, blob);
    const receiver = new CogReceiver();
    const other = new CogReceiver();
    await receiver.start();
    await other.start();
    try {
      const url = await receiver.serveWeights(file);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{32}\/weights\/model\.safetensors$/);
      const res = await fetch(url);
      expect([res.status, res.headers.get('content-length')]).toEqual([200, String(blob.length)]);
      expect(sha(Buffer.from(await res.arrayBuffer()))).toBe(sha(blob));
      expect((await fetch(url.replace('model.safetensors', 'other.bin'))).status).toBe(404);
      const secretless = url.replace(/\/[0-9a-f]{32}\//, `/${'0'.repeat(32)}/`);
      expect((await fetch(secretless)).status).toBe(404);
      // Another instance's receiver does not serve it, even on its own secret.
      expect((await fetch(other.uploadUrl.replace(/upload\/$/, 'weights/model.safetensors'))).status).toBe(404);
    } finally {
      await receiver.close();
      await other.close();
    }
  });
});
