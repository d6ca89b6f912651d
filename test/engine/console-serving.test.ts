/**
 * How the engine serves the console: `/` and `/p/{id}` redirect, every `/console/*` path is the
 * app (no token needed, a same-origin-only CSP), assets are immutable and gzipped, a missing
 * bundle is a 503 problem saying how to build it; the bundle stays within its size budget; and
 * GET /v1/prices, which the console prices hardware with.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import http from 'node:http';
import Fastify from 'fastify';
import type { ApiError } from '../../engine/src/core/errors';
import { consoleRoutes, CONTENT_SECURITY_POLICY } from '../../engine/src/api/console';
import { api, startEngine, type EngineHandle } from '../helpers/engine';
import { checkedClient, expectConformant, type CheckedClient } from '../conformance/wire/checked-client';

const DIST = join(__dirname, '..', '..', 'engine', 'dist', 'console');
/** The issue's budget for the main bundle, gzipped. */
const MAX_MAIN_BUNDLE_GZIP = 150 * 1024;

let engine: EngineHandle;
let client: CheckedClient;

beforeAll(async () => {
  engine = await startEngine({ env: { GANTRY_GPUS: 'gpu-t4:1', GANTRY_PRICES: '{"gpu-t4":0.0003}' } });
  // Every request and answer to the engine (pages, assets, redirects, prices) is held to its /openapi.json.
  client = checkedClient(engine, { replicate: false });
}, 90_000);
afterAll(async () => engine?.stop());

const raw = (path: string, headers: Record<string, string> = {}) => client.fetch(`${engine.url}${path}`, { redirect: 'manual', headers });

test('/ redirects to the console, and every console path is the app, without a token', async () => {
  const root = await raw('/');
  expect(root.status).toBe(302);
  expect(root.headers.get('location')).toBe('/console/');
  for (const path of ['/console/', '/console/models/gantry/echo/api', '/console/predictions?status=failed']) {
    const res = await raw(path);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(await res.text()).toContain('<div id="app">');
  }
  expect(CONTENT_SECURITY_POLICY).toMatch(/default-src 'self'/);
  expect(CONTENT_SECURITY_POLICY).toMatch(/connect-src 'self'/);
  // The API itself still needs a token.
  expect((await raw('/v1/models')).status).toBe(401);
});

test("a prediction's urls.web opens its console page", async () => {
  const created = await client.call('POST', '/v1/models/gantry/echo/predictions', { input: { text: 'web' } }, { prefer: 'wait' });
  const web = created.json.urls.web as string;
  expect(web).toBe(`${engine.url}/p/${created.json.id}`);
  const res = await raw(new URL(web).pathname);
  expect(res.status).toBe(302);
  expect(res.headers.get('location')).toBe(`/console/predictions/${created.json.id}`);
});

test('assets are served gzipped and immutable; an unknown one is a 404 problem', async () => {
  const html = await (await raw('/console/')).text();
  const js = /src="(\/console\/assets\/app-[^"]+\.js)"/.exec(html)![1];
  const css = /href="(\/console\/assets\/app-[^"]+\.css)"/.exec(html)![1];
  const res = await raw(js, { 'accept-encoding': 'gzip' });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  expect(res.headers.get('content-encoding')).toBe('gzip');
  // fetch decodes gzip itself: the body is the file as built.
  expect(Buffer.from(await res.arrayBuffer()).equals(readFileSync(join(DIST, js.replace('/console/', ''))))).toBe(true);
  const again = await raw(js, { 'if-none-match': res.headers.get('etag')! });
  expect(again.status).toBe(304);
  expect((await raw(css)).headers.get('content-type')).toBe('text/css; charset=utf-8');
  const missing = await raw('/console/assets/nope.js');
  expect(missing.status).toBe(404);
  expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
});

test('the main bundle is within its budget of 150 KB gzipped', () => {
  const sizes = JSON.parse(readFileSync(join(DIST, 'bundle-size.json'), 'utf8'));
  const gzipped = gzipSync(readFileSync(join(DIST, 'assets', sizes.js)), { level: 9 }).length;
  // What the build reported is what is on disk.
  expect(gzipped).toBe(sizes.gzip_bytes.js);
  expect(gzipped).toBeGreaterThan(10 * 1024);
  expect(gzipped).toBeLessThanOrEqual(MAX_MAIN_BUNDLE_GZIP);
  // The stylesheet too: everything the first page loads.
  expect(sizes.total_gzip_bytes).toBeLessThanOrEqual(MAX_MAIN_BUNDLE_GZIP);
});

/** The console routes alone on a Fastify app with the engine's problem answers, over real HTTP. */
async function serveDir(dir: string) {
  const app = Fastify();
  app.setErrorHandler((err: ApiError, _req, reply) =>
    reply.code(err.status).type('application/problem+json').send({ title: err.title, status: err.status, detail: err.detail }),
  );
  consoleRoutes(app, dir);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url, close: () => app.close() };
}

test('without a built bundle the console answers 503 with how to build it', async () => {
  const server = await serveDir(mkdtempSync(join(tmpdir(), 'gantry-no-console-')));
  try {
    const res = await fetch(`${server.url}/console/models`);
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((await res.json()).detail).toMatch(/npm run build/);
  } finally {
    await server.close();
  }
});

test('a bundle directory is served as built (in-process, no engine)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-console-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(join(dir, 'assets', 'app-X.js'), 'console.log(1)'.repeat(100));
  const server = await serveDir(dir);
  try {
    const page = await fetch(`${server.url}/console/anything/deep`);
    expect(page.status).toBe(200);
    expect(await page.text()).toBe('<!doctype html><title>t</title>');
    // Read the raw bytes with node:http, which (unlike fetch) does not decode gzip.
    const body = (headers: Record<string, string>) =>
      new Promise<{ encoding: string | undefined; bytes: Buffer }>((resolve, reject) => {
        http.get(`${server.url}/console/assets/app-X.js`, { headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ encoding: res.headers['content-encoding'], bytes: Buffer.concat(chunks) }));
        }).on('error', reject);
      });
    const gz = await body({ 'accept-encoding': 'gzip, br' });
    expect(gz.encoding).toBe('gzip');
    expect(gunzipSync(gz.bytes).toString()).toBe('console.log(1)'.repeat(100));
    const plain = await body({});
    expect(plain.encoding).toBeUndefined();
    expect(plain.bytes.toString()).toBe('console.log(1)'.repeat(100));
  } finally {
    await server.close();
  }
});

test('GET /v1/prices lists every SKU with this engine\'s price and whether it is served', async () => {
  const res = await client.call('GET', '/v1/prices');
  expect(res.status).toBe(200);
  const by = Object.fromEntries(res.json.results.map((p: { sku: string }) => [p.sku, p]));
  expect(by.cpu).toEqual(expect.objectContaining({ served: true, price_per_second_usd: 0.0001, price_per_hour_usd: 0.36, gpu_count: 0 }));
  // GANTRY_PRICES applies; the declared T4 is served, an H100 is not.
  expect(by['gpu-t4']).toEqual(expect.objectContaining({ served: true, price_per_second_usd: 0.0003, gpu_count: 1, gpu_memory_gb: 16, name: 'Nvidia T4' }));
  expect(by['gpu-h100-8x']).toEqual(expect.objectContaining({ served: false, gpu_count: 8 }));
  expect((await api(engine, client.fetch)('GET', '/v1/prices', undefined, { authorization: 'Bearer wrong' })).status).toBe(401);
});

test('every request and answer to the engine in this file matches /openapi.json', () => expectConformant(client));
