/**
 * The official `replicate` client with a `fetch` that validates every JSON answer the engine
 * gives it against Replicate's object schemas (replicate-schemas.ts), by route, and every request
 * and answer against the engine's own /openapi.json (openapi-check.ts): the whole conformance
 * suite and the API suites run through it, so a field of the wrong type, or one the document does
 * not describe, fails the test that got it. Error answers are checked as problem+json. Streams
 * (SSE) and file downloads are not JSON and are left to the tests that read them.
 */
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import Replicate from 'replicate';
import { api, type EngineHandle } from '../../helpers/engine';
import * as S from './replicate-schemas';
import { OpenApiChecker } from './openapi-check';

type Schema = Record<string, unknown>;

/** Method + path (below /v1) → the schema of a 2xx answer; the first match wins. */
const ROUTES: Array<[string, RegExp, string, Schema]> = [
  ['GET', /^\/predictions$/, 'page of predictions', S.page(S.prediction)],
  ['*', /^\/predictions(\/[^/]+(\/cancel)?)?$/, 'prediction', S.prediction],
  ['POST', /^\/models\/[^/]+\/[^/]+\/predictions$/, 'prediction', S.prediction],
  ['POST', /^\/deployments\/[^/]+\/[^/]+\/predictions$/, 'prediction', S.prediction],
  ['POST', /^\/models\/[^/]+\/[^/]+\/versions\/[^/]+\/trainings$/, 'training', S.training],
  ['GET', /^\/trainings$/, 'page of trainings', S.page(S.training)],
  ['*', /^\/trainings\/[^/]+(\/cancel)?$/, 'training', S.training],
  ['GET', /^\/models\/[^/]+\/[^/]+\/versions$/, 'page of versions', S.page(S.version)],
  // Gantry's extension (creating a version) answers with a version object.
  ['POST', /^\/models\/[^/]+\/[^/]+\/versions$/, 'version', S.version],
  ['*', /^\/models\/[^/]+\/[^/]+\/versions\/[^/]+$/, 'version', S.version],
  ['GET', /^\/models$/, 'page of models', S.page(S.model)],
  ['QUERY', /^\/models$/, 'page of models', S.page(S.model)],
  ['*', /^\/models(\/[^/]+\/[^/]+)?$/, 'model', S.model],
  ['GET', /^\/collections$/, 'page of collections', S.page(S.collectionSummary)],
  ['GET', /^\/collections\/[^/]+$/, 'collection', S.collection],
  ['GET', /^\/deployments$/, 'page of deployments', S.page(S.deployment)],
  ['*', /^\/deployments(\/[^/]+\/[^/]+)?$/, 'deployment', S.deployment],
  ['GET', /^\/hardware$/, 'hardware', S.hardwareList],
  ['GET', /^\/account$/, 'account', S.account],
  ['GET', /^\/files$/, 'page of files', S.page(S.file)],
  ['*', /^\/files(\/[^/]+)?$/, 'file', S.file],
  ['GET', /^\/webhooks\/default\/secret$/, 'webhook secret', S.webhookSecret],
  ['GET', /^\/search$/, 'search result', S.searchResult],
];

/** Every kind of answer the checker knows (for tests that must cover them all). */
export const ANSWER_KINDS = [...new Set([...ROUTES.map(([, , kind]) => kind), 'error'])];

export interface Violation {
  request: string;
  status: number;
  errors: string;
}

export interface CheckedClient {
  replicate: Replicate;
  /** The tests' own HTTP calls, checked the same way. */
  call: ReturnType<typeof api>;
  /** The checking fetch itself (for calls with other tokens: `api({ url, token }, client.fetch)`). */
  fetch: typeof fetch;
  /** Every answer that broke its schema (or a route this checker does not know). */
  violations: Violation[];
  /** How many answers were checked against a schema. */
  checked(): number;
  /** The kinds of answer seen so far (`prediction`, `page of models`, `error`, …). */
  kinds: Set<string>;
}

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const compiled = new Map<Schema, ReturnType<typeof ajv.compile>>();
const validatorOf = (schema: Schema) => {
  let v = compiled.get(schema);
  if (!v) compiled.set(schema, (v = ajv.compile(schema)));
  return v;
};
const problemValidator = validatorOf(S.problem);
// page() makes a new schema per call: compile each route's schema once, up front.
for (const [, , , schema] of ROUTES) validatorOf(schema);

function routeFor(method: string, path: string) {
  return ROUTES.find(([m, re]) => (m === '*' || m === method) && re.test(path));
}

/** The kind of answer `method path` with `status` is (`error` for 4xx/5xx, none for empty answers). */
export function kindOf(method: string, path: string, status: number): string | undefined {
  if (status === 204 || (method === 'DELETE' && status === 202)) return undefined;
  return status >= 400 ? 'error' : routeFor(method, path)?.[2];
}

/** Checks one answer; returns what is wrong with it, or undefined. */
export function checkAnswer(method: string, path: string, status: number, contentType: string, body: string): string | undefined {
  if (status === 204 || (method === 'DELETE' && status === 202 && body === '')) return undefined;
  if (status >= 400) {
    if (!contentType.startsWith('application/problem+json')) return `an error answer must be application/problem+json, not ${contentType || 'untyped'}`;
    return problemValidator(JSON.parse(body)) ? undefined : ajv.errorsText(problemValidator.errors);
  }
  const schema = routeFor(method, path)?.[3];
  if (!schema) return `no Replicate schema is known for ${method} ${path}`;
  if (!contentType.startsWith('application/json')) return `expected application/json, got ${contentType || 'untyped'}`;
  const validate = validatorOf(schema);
  return validate(JSON.parse(body)) ? undefined : ajv.errorsText(validate.errors, { separator: '\n  ' });
}

/** The request's body as the OpenAPI check sees it (JSON or text; `multipart` for form data). */
function bodyText(init: RequestInit | undefined): string | 'multipart' | undefined {
  const body = init?.body;
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return body;
  if (body instanceof FormData) return 'multipart';
  if (body instanceof Uint8Array || Buffer.isBuffer(body)) return Buffer.from(body).toString('utf8');
  return 'multipart';
}

function requestContentType(init: RequestInit | undefined): string | undefined {
  const h = init?.headers;
  if (!h) return undefined;
  if (h instanceof Headers) return h.get('content-type') ?? undefined;
  const entries = Array.isArray(h) ? h : Object.entries(h);
  return entries.find(([k]) => k.toLowerCase() === 'content-type')?.[1];
}

export interface CheckOptions {
  /** Hold answers to Replicate's object schemas too (the conformance suite); default true. */
  replicate?: boolean;
}

/**
 * A Replicate client against `engine` whose every request and answer is checked against the
 * engine's /openapi.json and (unless `replicate: false`) every answer against Replicate's
 * object schemas (see `violations`).
 */
export function checkedClient(engine: EngineHandle, options: CheckOptions = {}): CheckedClient {
  const violations: Violation[] = [];
  const kinds = new Set<string>();
  let checked = 0;
  const base = `${engine.url}/v1`;
  let openapi: Promise<OpenApiChecker> | undefined;
  const checkingFetch: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    const url = new URL(typeof input === 'string' || input instanceof URL ? input.toString() : input.url);
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    if (!url.href.startsWith(engine.url)) return res;
    // Streams (SSE) and signed file downloads are not JSON: their bodies are left to the tests that read them.
    const unread = /^\/v1\/(streams\/|files\/[^/]+\/download)/.test(url.pathname);
    const body = unread ? '' : await res.clone().text();
    const contentType = res.headers.get('content-type') ?? '';
    const request = `${method} ${url.pathname}${url.search}`;
    openapi ??= OpenApiChecker.load(engine.url);
    const problems = (await openapi).check(
      { method, url, contentType: requestContentType(init), body: bodyText(init) },
      { status: res.status, contentType, body, bodyUnread: unread, headers: res.headers },
    );
    checked += 1;
    if (problems.length) violations.push({ request: `${request} [openapi]`, status: res.status, errors: problems.join('\n  ') });
    if (options.replicate === false || unread || !url.href.startsWith(base)) return res;
    const path = url.pathname.slice('/v1'.length);
    const wrong = checkAnswer(method, path, res.status, contentType, body);
    const kind = kindOf(method, path, res.status);
    if (kind) kinds.add(kind);
    if (wrong) violations.push({ request, status: res.status, errors: wrong });
    return res;
  };
  const replicate = new Replicate({ auth: engine.token, baseUrl: base, fetch: checkingFetch });
  return { replicate, call: api(engine, checkingFetch), fetch: checkingFetch, violations, checked: () => checked, kinds };
}

/** For afterAll: no answer broke its schema, and the checker actually saw answers. */
export function expectConformant(client: CheckedClient): void {
  expect(client.checked()).toBeGreaterThan(0);
  expect(client.violations.map((v) => `${v.request} → ${v.status}\n  ${v.errors}`)).toEqual([]);
}
