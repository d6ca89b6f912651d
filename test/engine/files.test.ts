/**
 * Files over real HTTP, on each store (the data dir, an S3 bucket on the s3rver fake): the
 * official client's files.create/get/list/delete, signed downloads without auth (streamed by the
 * engine, or a redirect to a presigned bucket URL), engine file URLs as model inputs (OCR on an
 * uploaded image), the SSRF guard on URL inputs, the size limit (413), and output files stored
 * and served by the engine.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Replicate from 'replicate';
import sharp from 'sharp';
import { api, startEngine, type EngineHandle } from '../helpers/engine';
import { checkedClient, expectConformant, type CheckedClient } from '../conformance/wire/checked-client';
import { startS3, type S3Handle } from '../helpers/s3';
// The client's FileOutput factory (replicate/lib/stream.js; the package has no exports map).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createFileOutput } = require('replicate/lib/stream') as { createFileOutput(o: { url: string; fetch: typeof fetch }): ReadableStream & { url(): URL; blob(): Promise<Blob> } };

const MAX = 2_000_000;
const BUCKET = 'files-test';
let s3: S3Handle;

beforeAll(async () => {
  s3 = await startS3([BUCKET]);
});
afterAll(async () => s3?.close());

async function renderLine(text: string, fontSize = 44): Promise<Buffer> {
  const width = Math.ceil(text.length * fontSize * 0.65) + 40;
  const height = Math.ceil(fontSize * 2.6);
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<rect width="100%" height="100%" fill="white"/>` +
    `<text x="20" y="${Math.round(height * 0.62)}" font-family="DejaVu Sans, sans-serif" font-size="${fontSize}" fill="black">${text}</text>` +
    `</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

describe.each(['local', 's3'] as const)('files on the %s store', (store) => {
  let engine: EngineHandle;
  let replicate: Replicate;
  let call: ReturnType<typeof api>;
  let client: CheckedClient;
  /** fetch, with every exchange with the engine (downloads and redirects too) held to /openapi.json. */
  let checked: typeof fetch;

  beforeAll(async () => {
    // No allow list: loopback URL inputs are refused, yet the engine's own file URLs must work.
    const env: Record<string, string> = { GANTRY_MAX_FILE_BYTES: String(MAX), GANTRY_URL_ALLOWLIST: '' };
    if (store === 's3') env.GANTRY_STORAGE_URL = s3.storageUrl(BUCKET, 'engine');
    engine = await startEngine({ env });
    client = checkedClient(engine);
    ({ replicate, call, fetch: checked } = client);
  }, 90_000);

  afterAll(async () => engine?.stop());

  /** The ids whose bytes the store holds (partial writes included), looked up behind the engine's back. */
  async function storedIds(): Promise<string[]> {
    if (store === 'local') return existsSync(join(engine.dataDir, 'files')) ? readdirSync(join(engine.dataDir, 'files')) : [];
    return (await s3.keys(BUCKET, 'engine/files/')).map((k) => k.slice('engine/files/'.length));
  }
  const stored = async (id: string) => (await storedIds()).includes(id);

  async function waitDone(id: string) {
    for (;;) {
      const { json } = await call('GET', `/v1/predictions/${id}`);
      if (['succeeded', 'failed', 'canceled', 'aborted'].includes(json.status)) return json;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  test('files.create, get, list, download without auth, delete', async () => {
    const bytes = Buffer.from('hello files\n');
    const file = (await replicate.files.create(bytes, { purpose: 'test' })) as any;
    expect(file).toEqual(
      expect.objectContaining({
        id: expect.any(String),
        content_type: 'application/octet-stream',
        size: bytes.length,
        checksums: { sha256: createHash('sha256').update(bytes).digest('hex') },
        metadata: { purpose: 'test' },
        urls: expect.objectContaining({ get: `${engine.url}/v1/files/${file.id}` }),
      }),
    );
    expect(file.name).toMatch(/^buffer_\d+$/);
    expect(new Date(file.expires_at).getTime()).toBeGreaterThan(Date.now() + 23 * 3600_000);
    expect(((await replicate.files.get(file.id)) as any).id).toBe(file.id);
    const list = (await replicate.files.list()) as any;
    expect(list.results.map((f: { id: string }) => f.id)).toContain(file.id);

    expect(await stored(file.id)).toBe(true);
    const download = await checked(file.urls.download);
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer())).toEqual(bytes);
    // The engine streams a local file; a bucket serves its own bytes behind a short-lived presigned URL.
    const first = await checked(file.urls.download, { redirect: 'manual' });
    if (store === 'local') {
      expect(first.status).toBe(200);
      expect(first.headers.get('etag')).toBe(`"${file.checksums.sha256}"`);
      await first.arrayBuffer();
    } else {
      expect(first.status).toBe(302);
      expect(first.headers.get('location')).toMatch(new RegExp(`^${s3.endpoint}/${BUCKET}/engine/files/${file.id}\\?.*X-Amz-Signature=`));
      expect(first.headers.get('location')).toMatch(/X-Amz-Expires=600&/);
    }
    const forged = await checked(file.urls.download.replace(/sig=[^&]+/, 'sig=AAAA'));
    expect(forged.status).toBe(403);
    const unsigned = await checked(`${engine.url}/v1/files/${file.id}/download`);
    expect(unsigned.status).toBe(403);
    expect((await checked(file.urls.get)).status).toBe(401); // urls.get needs the token

    expect(await replicate.files.delete(file.id)).toBe(true);
    expect((await call('GET', `/v1/files/${file.id}`)).status).toBe(404);
    expect((await checked(file.urls.download)).status).toBe(404);
    expect(await stored(file.id)).toBe(false);
  });

  test('OCR reads an uploaded image passed by its engine file URL', async () => {
    const png = await renderLine('Gantry uploads work');
    const file = (await replicate.files.create(new File([png], 'line.png', { type: 'image/png' }))) as any;
    expect(file.content_type).toBe('image/png');
    expect(file.name).toBe('line.png');
    const output = (await replicate.run('gantry/ocr', { input: { image: file.urls.get } })) as any;
    expect(output.text).toContain('Gantry');
    expect(output.text).toContain('uploads');
  });

  test('URL inputs to link-local and loopback addresses are refused, naming the input', async () => {
    const { json: p } = await call('POST', '/v1/models/gantry/ocr/predictions', { input: { image: 'http://169.254.169.254/latest/meta-data/iam' } });
    const done = await waitDone(p.id);
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(/^input image: /);
    expect(done.error).toMatch(/169\.254\.169\.254/);

    // A loopback server the engine could reach, were it not for the guard.
    const server = http.createServer((_req, res) => res.end('nope'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    let hits = 0;
    server.on('request', () => hits++);
    const { json: q } = await call('POST', '/v1/models/gantry/ocr/predictions', { input: { image: `http://127.0.0.1:${port}/x.png` } });
    const refused = await waitDone(q.id);
    expect(refused.status).toBe('failed');
    expect(refused.error).toMatch(/^input image: .*127\.0\.0\.1/);
    expect(hits).toBe(0);
    server.close();

    // Not a URL at all (a local path would read the server's files): refused too.
    const { json: r } = await call('POST', '/v1/models/gantry/ocr/predictions', { input: { image: 'file:///etc/passwd' } });
    const local = await waitDone(r.id);
    expect(local.status).toBe('failed');
    expect(local.error).toMatch(/^input image: must be an http\(s\) URL/);
  });

  test('an upload over the size limit is a 413 problem', async () => {
    const before = await storedIds();
    const form = new FormData();
    form.append('content', new Blob([Buffer.alloc(MAX + 10, 1)]), 'big.bin');
    const res = await checked(`${engine.url}/v1/files`, { method: 'POST', headers: { authorization: `Bearer ${engine.token}` }, body: form });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    const body = await res.json();
    expect(body.detail).toMatch(new RegExp(`${MAX} bytes`));
    expect(await storedIds()).toEqual(before); // nothing of the refused upload is left in the store
    // Just under the limit is fine.
    const ok = new FormData();
    ok.append('content', new Blob([Buffer.alloc(MAX - 10, 1)]), 'fits.bin');
    const fits = await checked(`${engine.url}/v1/files`, { method: 'POST', headers: { authorization: `Bearer ${engine.token}` }, body: ok });
    expect(fits.status).toBe(201);
    expect((await fits.json()).size).toBe(MAX - 10);
  });

  test('a multipart body without content is a 422 naming /content', async () => {
    const form = new FormData();
    form.append('filename', 'x.txt');
    const res = await checked(`${engine.url}/v1/files`, { method: 'POST', headers: { authorization: `Bearer ${engine.token}` }, body: form });
    expect(res.status).toBe(422);
    expect((await res.json()).errors[0].pointer).toBe('/content');
  });

  test('output files are stored by the engine and served by signed URL', async () => {
    expect((await call('POST', '/v1/models', { owner: 'me', name: 'writer', visibility: 'private', hardware: 'cpu' })).status).toBe(201);
    const module = join(__dirname, '..', 'fixtures', 'predictors', 'write-file.js');
    const v = await call('POST', '/v1/models/me/writer/versions', { runner: { type: 'node', module } });
    expect(v.status).toBe(201);
    const { json: p } = await call('POST', '/v1/models/me/writer/predictions', { input: { text: 'stored output' } }, { prefer: 'wait=30' });
    expect(p.status).toBe('succeeded');
    expect(p.output.length).toBe(13);
    expect(p.output.file).toMatch(new RegExp(`^${engine.url}/v1/files/[0-9a-z]+/download\\?expires=\\d+&sig=`));
    const res = await checked(p.output.file);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(res.headers.get('content-disposition')).toMatch(/filename="result\.txt"/);
    expect(await res.text()).toBe('stored output');
    // The official client's FileOutput (what replicate.run returns for https file URLs) reads it,
    // following the redirect on S3; built directly, as this engine serves plain http.
    const output = (await replicate.run('me/writer', { input: { text: 'via the client' } })) as any;
    const file = createFileOutput({ url: output.file, fetch: checked });
    expect(String(file.url())).toMatch(new RegExp(`^${engine.url}/v1/files/`));
    const blob = await file.blob();
    expect(blob.type).toMatch(/^text\/plain/);
    expect(Buffer.from(await blob.arrayBuffer()).toString()).toBe('via the client');
    const id = /\/v1\/files\/([0-9a-z]+)\//.exec(p.output.file)![1];
    expect(await stored(id)).toBe(true);
  });

  test('every request and answer of this store\'s tests matches /openapi.json and Replicate\'s object schemas', () => expectConformant(client));
});
