/**
 * The OpenAPI 3.1 document, generated from the routes the app registers (collected by an
 * `onRoute` hook) joined with their descriptions (routes.ts) and schemas (schemas.ts). Path
 * parameters come from the route patterns; every create route of IDEMPOTENT_CREATES gets the
 * Idempotency-Key header (and their 2xx answers Idempotent-Replayed); each operation names the
 * token scope it needs (core/scopes.ts). `QUERY /v1/models` has no OpenAPI 3.1 method, so it is
 * described as the path's `x-query`. A route's trailing wildcard (`/console/*`) is the path
 * parameter `{path}`, marked `x-gantry-rest-of-path` (its value may hold slashes).
 */
import type { FastifyInstance, RouteOptions } from 'fastify';
import { requiredScope } from '../../core/scopes';
import { IDEMPOTENT_CREATES } from '../idempotency';
import { ROUTE_DOCS } from './routes';
import type { ResponseDoc, RouteDoc } from './route-kit';
import { ref, SCHEMAS, type Schema } from './schemas';

export interface RegisteredRoute {
  method: string;
  url: string;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'patch', 'trace'];

/** Records every route the app registers (call before any route is added). */
export function collectRoutes(app: FastifyInstance): RegisteredRoute[] {
  const routes: RegisteredRoute[] = [];
  app.addHook('onRoute', (route: RouteOptions) => {
    for (const method of Array.isArray(route.method) ? route.method : [route.method]) {
      // Fastify adds a HEAD route for every GET: it is the GET's, not an operation of its own.
      if (method === 'HEAD') continue;
      routes.push({ method, url: route.url });
    }
  });
  return routes;
}

/** The name a trailing `*` of a route pattern has in the document. */
const REST = 'path';
const openApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}').replace(/\/\*$/, `/{${REST}}`);

const REPLAYED = { description: 'true: the answer to the first request with this Idempotency-Key, sent again (nothing new was created).', schema: { type: 'string', enum: ['true'] } };

function responseObject(r: ResponseDoc, replayable: boolean): Record<string, unknown> {
  const headers: Record<string, unknown> = {};
  for (const [name, h] of Object.entries(r.headers ?? {})) {
    const { description, required } = typeof h === 'string' ? { description: h, required: false } : h;
    headers[name] = { description, ...(required ? { required: true } : {}), schema: { type: 'string' } };
  }
  if (replayable) headers['idempotent-replayed'] = REPLAYED;
  const content: Record<string, unknown> = {};
  if (r.schema || r.contentType) content[r.contentType ?? 'application/json'] = r.schema ? { schema: r.schema } : {};
  for (const [type, schema] of Object.entries(r.alternatives ?? {})) content[type] = schema ? { schema } : {};
  return {
    description: r.description,
    ...(Object.keys(headers).length ? { headers } : {}),
    ...(Object.keys(content).length ? { content } : {}),
  };
}

function operationId(method: string, url: string): string {
  const words = url.split('/').filter(Boolean).map((p) => (p.startsWith(':') ? `by-${p.slice(1)}` : p));
  return [method.toLowerCase(), ...words].join('-').replace(/[^a-zA-Z0-9]+(.)/g, (_, c: string) => c.toUpperCase());
}

const PROBLEM = { 'application/problem+json': { schema: ref('Problem') } };

function operation(method: string, url: string, doc: RouteDoc): Record<string, unknown> {
  const key = `${method} ${url}`;
  const parameters: Array<Record<string, unknown>> = [];
  for (const [, name] of url.matchAll(/:(\w+)/g)) {
    parameters.push({ name, in: 'path', required: true, schema: { type: 'string' }, ...(doc.params?.[name] ? { description: doc.params[name] } : {}) });
  }
  if (url.endsWith('/*')) {
    parameters.push({ name: REST, in: 'path', required: true, schema: { type: 'string' }, description: doc.params?.['*'] ?? 'The rest of the path (it may hold slashes).', 'x-gantry-rest-of-path': true });
  }
  for (const [name, q] of Object.entries(doc.query ?? {})) {
    parameters.push({ name, in: 'query', required: q.required ?? false, description: q.description, schema: q.schema ?? { type: 'string' } });
  }
  const headers = { ...(doc.headers ?? {}) };
  if (IDEMPOTENT_CREATES.includes(key)) {
    headers['idempotency-key'] = {
      description: 'Any 1–255 visible ASCII characters. The same key with the same request answers the first answer again (Idempotent-Replayed: true); with another request, 422. Expires after GANTRY_IDEMPOTENCY_TTL (24 h).',
      schema: { type: 'string', minLength: 1, maxLength: 255 },
    };
  }
  for (const [name, h] of Object.entries(headers)) parameters.push({ name, in: 'header', required: false, description: h.description, schema: h.schema ?? { type: 'string' } });

  const responses: Record<string, unknown> = {};
  for (const [status, r] of Object.entries(doc.responses)) {
    responses[status] = responseObject(r, IDEMPOTENT_CREATES.includes(key) && status.startsWith('2'));
  }
  responses['4XX'] ??= { description: 'Bad input (naming the field in errors[].pointer), unauthenticated, forbidden, not found, conflict, spend limit (402) or queue full (429 with Retry-After).', content: PROBLEM };
  responses['5XX'] ??= { description: 'An engine error.', content: PROBLEM };
  if (doc.responses['429'] === undefined && IDEMPOTENT_CREATES.includes(key) && /predictions|trainings/.test(url)) {
    responses['429'] = {
      description: 'Too many queued predictions (a deployment\'s max_queue, GANTRY_MAX_QUEUE_PER_VERSION or GANTRY_MAX_QUEUE).',
      headers: { 'retry-after': { description: 'Seconds to wait.', required: true, schema: { type: 'string' } } },
      content: PROBLEM,
    };
    responses['402'] = { description: "The token's spend limit is reached (limit names it).", content: PROBLEM };
  }
  return {
    operationId: operationId(method, url),
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    tags: [doc.tag],
    ...(parameters.length ? { parameters } : {}),
    ...(doc.body
      ? { requestBody: { required: doc.body.required ?? true, content: { [doc.body.contentType ?? 'application/json']: { schema: doc.body.schema } } } }
      : {}),
    responses,
    security: doc.public ? [] : [{ bearer: [] }],
    ...(doc.public ? {} : { 'x-required-scope': requiredScope(method, url) }),
    ...(doc.extension ? { 'x-gantry-extension': true } : {}),
  };
}

export interface BuiltDocument {
  document: Record<string, unknown>;
  /** Registered routes without a description. */
  undocumented: string[];
  /** Descriptions of routes this app does not register. */
  unrouted: string[];
}

export function buildDocument(routes: RegisteredRoute[], opts: { serverUrl: string; version: string }): BuiltDocument {
  const paths: Record<string, Record<string, unknown>> = {};
  const undocumented: string[] = [];
  const seen = new Set<string>();
  for (const { method, url } of routes) {
    const key = `${method} ${url}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const doc = ROUTE_DOCS[key];
    if (!doc) {
      undocumented.push(key);
      continue;
    }
    const m = method.toLowerCase();
    (paths[openApiPath(url)] ??= {})[METHODS.includes(m) ? m : `x-${m}`] = operation(method, url, doc);
  }
  const unrouted = Object.keys(ROUTE_DOCS).filter((k) => !seen.has(k));
  const tags = [...new Set(Object.values(ROUTE_DOCS).map((d) => d.tag))].map((name) => ({ name }));
  const document: Record<string, unknown> = {
    openapi: '3.1.0',
    info: {
      title: 'Gantry engine API',
      version: opts.version,
      description:
        "Replicate's HTTP API v1 (the official clients work with only the base URL changed) and Gantry's extensions, " +
        'marked x-gantry-extension. Errors are application/problem+json naming the field in errors[].pointer. ' +
        'x-required-scope is the least token scope an operation needs (read < run < admin). ' +
        'Every answer carries X-Request-Id (the request\'s own, when it sent a sane one).',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: opts.serverUrl }],
    tags,
    paths,
    components: { schemas: SCHEMAS as Record<string, Schema>, securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <token> (Token <token> is accepted too).' } } },
    security: [{ bearer: [] }],
  };
  if (undocumented.length) document['x-undocumented'] = undocumented;
  return { document, undocumented, unrouted };
}
