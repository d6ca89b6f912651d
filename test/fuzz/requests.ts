/**
 * Hostile requests as fast-check arbitraries. A request is generated for a route the engine
 * reported (GET /v1/routes), so every route is covered, including ones added after this file;
 * the generators know the API's vocabulary (field and parameter names, ids that exist) only to
 * get past the first check more often, never to stay within the rules.
 *
 * Mutations: path ids (known, random, hostile text, broken percent-encoding, over-long), query
 * parameters (hostile values, repeats, out-of-range dates, forged cursors), headers (auth,
 * content type, Prefer, Cancel-After, odd and long headers), bodies (field soup of the API's
 * names with hostile values, arbitrary JSON, malformed JSON, deep nesting, over-limit sizes,
 * multipart with hostile names, metadata and framing), other methods and unknown paths, and raw
 * bytes that are not HTTP at all.
 *
 * Generated values are small specs; big bodies are built only when sent (`materialize`).
 */
import fc from 'fast-check';

export interface Route {
  method: string;
  url: string;
}

/** What exists on the engine under test, so that generated requests can name it. */
export interface KnownValues {
  token: string;
  /** Path parameter values that exist, by parameter name. */
  params: Record<string, string[]>;
  echoVersion: string;
  /** Path parameter values under which a create route runs something quick (gantry/echo, its deployment). */
  runnable: Record<string, string[]>;
  /** Never sent to DELETE routes (the run would lose what makes the rest meaningful). */
  protectedIds: string[];
}

export interface Limits {
  bodyLimitBytes: number;
}

export type BodySpec =
  | { kind: 'json'; value: unknown }
  | { kind: 'text'; text: string }
  | { kind: 'nested'; depth: number; open: string; close: string }
  | { kind: 'big'; bytes: number }
  | { kind: 'multipart'; boundary: string; parts: MultipartPart[]; truncate: boolean };

export interface MultipartPart {
  name: string;
  filename?: string;
  contentType?: string;
  value: string;
}

export interface HttpSpec {
  mode: 'http';
  route: string;
  method: string;
  /** Path segments already encoded; joined with '/'. */
  path: string;
  query: Array<[string, string]>;
  headers: Record<string, string>;
  body?: BodySpec;
  /** Text the engine must refuse (U+0000, a lone surrogate) sits in the path, query or a parsed body. */
  forbiddenText: boolean;
}

export interface RawSpec {
  mode: 'raw';
  route: string;
  bytes: string;
}

export type RequestSpec = HttpSpec | RawSpec;

const FORBIDDEN = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** In a URL or a raw text body, UTF-8 encoding turns a lone surrogate into U+FFFD: only NUL survives. */
const FORBIDDEN_ENCODED = /\u0000/;
/** Whether any string or key in `value` holds text the engine must refuse. */
export function holdsForbiddenText(value: unknown): boolean {
  if (typeof value === 'string') return FORBIDDEN.test(value);
  if (Array.isArray(value)) return value.some(holdsForbiddenText);
  if (value && typeof value === 'object') return Object.entries(value).some(([k, v]) => FORBIDDEN.test(k) || holdsForbiddenText(v));
  return false;
}

/** Percent-encodes every byte that is not unreserved (a lone surrogate becomes U+FFFD on the way). */
export function encodeText(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const HOSTILE_CONSTANTS = [
  '\u0000', 'a\u0000b', '\ud800', 'x\udfff', '\udc00\ud800', '\ud83d\ude00', '\uFEFF', '\u202e', '', ' ', '..', '../../etc/passwd',
  '%00', '%', "'; DROP TABLE predictions; --", '<script>alert(1)</script>', '\r\nX-Injected: 1', '\\', '"', '{}', 'null', 'NaN', '-1',
  '9'.repeat(40), 'é', '日本語', '\u0085', '\u2028',
];

/** Text in every shape that has broken something somewhere. */
export const hostileText = fc.oneof(
  { weight: 5, arbitrary: fc.string({ maxLength: 24 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 16 }) },
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_CONSTANTS) },
  { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 6 }), fc.constantFrom('\u0000', '\ud800', '\udbff'), fc.string({ maxLength: 6 })).map((p) => p.join('')) },
  { weight: 1, arbitrary: fc.integer({ min: 250, max: 12_000 }).map((n) => 'x'.repeat(n)) },
);

/** Already-encoded path text that no encoder would produce. */
const brokenEncodings = fc.constantFrom('%', '%zz', '%E0%A4%A', '%ED%A0%80', '%C0%80', '%FF', '%00', '%2F', '%2e%2e', '%252F', 'a%', '%u0041');

const ISO_DATES = [
  '2025-01-31', '2025-01-31T12:00:00Z', '2025-01-31T12:00:00.123456Z', '1970-01-01T00:00:00Z', '0000-01-01', '0001-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z', '9999-12-31T23:59:59-14:00', '-271821-04-20', '+275760-09-13', '99999-01-01', '2025-02-30', '2025-13-01',
  'yesterday', 'Mon, 01 Jan 2024 00:00:00 GMT', '1e400', '',
];
const dates = fc.oneof(fc.constantFrom(...ISO_DATES), fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), hostileText);

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
/** Cursors: forged positions, forged search cursors, and things that are not cursors. */
const cursors = fc.oneof(
  fc.record({ createdAt: dates, id: hostileText }).map(b64),
  fc.record({ createdAt: dates, key: hostileText }).map(b64),
  fc.record({ search: hostileText, offset: fc.oneof(fc.integer({ min: -5, max: 1e9 }).map(String), hostileText) }).map(b64),
  fc.jsonValue({ maxDepth: 2 }).map(b64),
  hostileText.map(b64),
  hostileText,
);

const QUERY_NAMES = ['cursor', 'limit', 'query', 'created_after', 'created_before', 'group_by', 'since', 'until', 'expires', 'sig'];

const queryValues = new Map<string, fc.Arbitrary<string>>();
/** Arbitraries are built once and reused: building one (a regex-based one above all) costs more than drawing from it. */
function queryValue(name: string): fc.Arbitrary<string> {
  let arb = queryValues.get(name);
  if (!arb) queryValues.set(name, (arb = buildQueryValue(name)));
  return arb;
}

function buildQueryValue(name: string): fc.Arbitrary<string> {
  if (name === 'cursor') return cursors;
  if (['created_after', 'created_before', 'since', 'until'].includes(name)) return dates;
  if (name === 'limit') return fc.oneof(fc.integer({ min: -3, max: 200 }).map(String), hostileText);
  if (name === 'group_by') return fc.oneof(fc.constantFrom('model', 'version', 'day', 'tag:workflow', 'tag:', 'kind'), hostileText.map((t) => `tag:${t}`), hostileText);
  if (name === 'expires') return fc.oneof(fc.integer().map(String), fc.constant(String(Date.now() / 1000 + 3600)), hostileText);
  return hostileText;
}

/**
 * Query entries: known and unknown names, hostile values, sometimes the same name twice. Half the
 * requests have none, so that the other mutations of a request reach past the query checks.
 */
const someQueryEntries: fc.Arbitrary<Array<[string, string]>> = fc
  .array(
    fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...QUERY_NAMES) }, { weight: 1, arbitrary: hostileText }), fc.boolean(), fc.integer({ min: 0, max: 9 })).chain(([name, _unused, repeat]) =>
      (repeat === 0 ? fc.array(queryValue(name), { minLength: 2, maxLength: 3 }) : queryValue(name).map((v) => [v])).map((values) => values.map((v) => [name, v] as [string, string])),
    ),
    { minLength: 1, maxLength: 4 },
  )
  .map((groups) => groups.flat());
const queryEntries = fc.oneof({ weight: 1, arbitrary: fc.constant<Array<[string, string]>>([]) }, { weight: 1, arbitrary: someQueryEntries });

const paramValues = new WeakMap<KnownValues, Map<string, fc.Arbitrary<{ encoded: string; forbidden: boolean }>>>();
function paramValue(name: string, known: KnownValues): fc.Arbitrary<{ encoded: string; forbidden: boolean }> {
  let byName = paramValues.get(known);
  if (!byName) paramValues.set(known, (byName = new Map()));
  let arb = byName.get(name);
  if (!arb) byName.set(name, (arb = buildParamValue(name, known)));
  return arb;
}

function buildParamValue(name: string, known: KnownValues): fc.Arbitrary<{ encoded: string; forbidden: boolean }> {
  const pool = known.params[name] ?? [];
  const plain = (t: string) => ({ encoded: encodeText(t), forbidden: FORBIDDEN_ENCODED.test(t) });
  return fc.oneof(
    { weight: pool.length ? 10 : 0, arbitrary: pool.length ? fc.constantFrom(...pool).map(plain) : fc.constant(plain('x')) },
    { weight: 2, arbitrary: fc.stringMatching(/^[a-z0-9]{1,30}$/).map(plain) },
    { weight: 3, arbitrary: hostileText.map(plain) },
    { weight: 1, arbitrary: brokenEncodings.map((e) => ({ encoded: e, forbidden: e === '%00' })) },
    { weight: 1, arbitrary: fc.integer({ min: 150, max: 3000 }).map((n) => plain('a'.repeat(n))) },
  );
}

/** A path for `route`, its parameters filled (or the route's path mangled, or another path). */
function pathFor(route: Route, known: KnownValues, method: string): fc.Arbitrary<{ path: string; forbidden: boolean }> {
  const segments = route.url.split('/');
  const filled = fc.tuple(
    ...segments.map((seg) => {
      if (seg.startsWith(':')) {
        return paramValue(seg.slice(1), known).map((v) =>
          method === 'DELETE' && known.protectedIds.includes(decodeURIComponentSafe(v.encoded)) ? { encoded: 'not-protected', forbidden: false } : v,
        );
      }
      if (seg === '*') return fc.array(hostileText, { maxLength: 3 }).map((parts) => ({ encoded: parts.map(encodeText).join('/'), forbidden: parts.some((p) => FORBIDDEN_ENCODED.test(p)) }));
      return fc.constant({ encoded: seg, forbidden: false });
    }),
  ).map((parts) => ({ path: parts.map((p) => p.encoded).join('/') || '/', forbidden: parts.some((p) => p.forbidden) }));
  return fc.oneof(
    { weight: 18, arbitrary: filled },
    { weight: 1, arbitrary: filled.map((p) => ({ ...p, path: `${p.path}/` })) },
    { weight: 1, arbitrary: fc.array(hostileText, { minLength: 1, maxLength: 4 }).map((parts) => ({ path: `/${parts.map(encodeText).join('/')}`, forbidden: false })) },
  );
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

const smallNumber = fc.oneof(fc.constantFrom(0, 0.1, 1, 2), fc.double({ min: 0, max: 2, noNaN: true }));
const junk = fc.oneof(hostileText, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.jsonValue({ maxDepth: 2 }));

/** Echo-shaped input: valid values are kept short (the run must end), invalid ones are anything. */
const echoInput = fc.dictionary(
  fc.oneof({ weight: 6, arbitrary: fc.constantFrom('text', 'sleep', 'fail', 'stream_chunks') }, { weight: 1, arbitrary: hostileText }),
  fc.oneof(hostileText, smallNumber, fc.boolean(), junk),
  { maxKeys: 4 },
).map((input) => {
  // A valid long sleep or many stream chunks would outlast the run; out-of-range ones stay.
  if (typeof input.sleep === 'number' && input.sleep >= 0 && input.sleep <= 600) input.sleep = Math.min(input.sleep, 2);
  if (typeof input.stream_chunks === 'number' && input.stream_chunks >= 0 && input.stream_chunks <= 10_000) input.stream_chunks = Math.min(input.stream_chunks, 20);
  return input;
});

const fieldValues = new WeakMap<KnownValues, Map<string, fc.Arbitrary<unknown>>>();
function fieldValue(key: string, known: KnownValues): fc.Arbitrary<unknown> {
  let byKey = fieldValues.get(known);
  if (!byKey) fieldValues.set(known, (byKey = new Map()));
  const name = FIELD_NAMES.includes(key) || key === 'events' ? key : '';
  let arb = byKey.get(name);
  if (!arb) byKey.set(name, (arb = buildFieldValue(name, known)));
  return arb;
}

function buildFieldValue(key: string, known: KnownValues): fc.Arbitrary<unknown> {
  switch (key) {
    case 'input':
      return fc.oneof({ weight: 6, arbitrary: echoInput }, { weight: 1, arbitrary: junk });
    case 'version':
      return fc.oneof(fc.constantFrom(known.echoVersion, 'gantry/echo', `gantry/echo:${known.echoVersion}`, 'gantry/ocr', 'gantry/text-classifier', 'nobody/nothing', 'a'.repeat(64)), junk);
    case 'webhook':
    case 'url':
      return fc.oneof(fc.constantFrom('http://127.0.0.1:9/hook', 'https://example.invalid/hook', 'ftp://x', 'http://169.254.169.254/', 'javascript:alert(1)'), hostileText.map((t) => `https://example.invalid/${t}`), junk);
    case 'webhook_events_filter':
    case 'events':
      return fc.oneof(fc.array(fc.oneof(fc.constantFrom('start', 'output', 'logs', 'completed'), hostileText), { maxLength: 5 }), junk);
    case 'tags':
    case 'metadata':
      return fc.oneof(fc.dictionary(hostileText, fc.oneof(hostileText, junk), { maxKeys: 4 }), junk);
    case 'owner':
    case 'name':
      return fc.oneof(fc.constantFrom('fuzz', 'gantry', 'echo'), fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,11}$/), hostileText, junk);
    case 'model':
    case 'destination':
    case 'deployment':
      return fc.oneof(fc.constantFrom('gantry/echo', 'fuzz/model', 'gantry/fuzz-dep', 'a/b/c'), hostileText, junk);
    case 'hardware':
      return fc.oneof(fc.constantFrom('cpu', 'gpu-h100', 'gpu-t4-8x', 'nope'), junk);
    case 'min_instances':
    case 'max_instances':
    case 'gpu_count':
    case 'max_concurrency':
      return fc.oneof(fc.integer({ min: -2, max: 3 }), fc.integer(), junk);
    case 'runner':
      // Never a `command`: the engine would run it.
      return fc.oneof(
        fc.record({ type: fc.constant('node'), module: fc.oneof(fc.constant('/nonexistent/predictor.js'), hostileText) }),
        fc.record({ type: fc.constant('cog'), url: fc.constantFrom('http://127.0.0.1:9', 'not a url') }),
        fc.record({ type: fc.constant('openai'), url: fc.constant('http://127.0.0.1:9/v1'), model: hostileText }),
        junk,
      );
    default:
      return fc.oneof(hostileText, junk);
  }
}

const FIELD_NAMES = [
  'input', 'version', 'webhook', 'webhook_events_filter', 'tags', 'stream', 'name', 'owner', 'visibility', 'hardware', 'description', 'model',
  'min_instances', 'max_instances', 'url', 'events', 'destination', 'runner', 'openapi_schema', 'metadata', 'github_url', 'license_url',
  'deployment', 'gpu_count', 'max_concurrency', 'pricing', 'weights', 'query',
];

/** An object of the API's field names (and some others) with hostile values. */
function fieldSoup(known: KnownValues): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .array(fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...FIELD_NAMES) }, { weight: 1, arbitrary: hostileText }), { maxLength: 6 })
    .chain((keys) => fc.tuple(...keys.map((k) => fieldValue(k, known))).map((values) => Object.fromEntries(keys.map((k, i) => [k, values[i]]))));
}

/**
 * A create-prediction body that is often valid (so predictions are accepted, run, and must end),
 * with the optional fields drawn from their hostile generators.
 */
function createBody(known: KnownValues): fc.Arbitrary<Record<string, unknown>> {
  const validInput = fc.record(
    { text: fc.string({ maxLength: 40 }), sleep: fc.constantFrom(0, 0.05, 0.5, 1), stream_chunks: fc.constantFrom(0, 3), fail: fc.boolean() },
    { requiredKeys: [] },
  );
  /** Present in one draw out of `oneIn`, so that the body is usually valid. */
  const sometimes = <T>(arb: fc.Arbitrary<T>, oneIn: number) => fc.oneof({ weight: oneIn - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
  return fc
    .record({
      input: fc.oneof({ weight: 3, arbitrary: validInput }, { weight: 1, arbitrary: echoInput }),
      version: sometimes(fc.constantFrom(known.echoVersion, 'gantry/echo', `gantry/echo:${known.echoVersion}`), 2),
      tags: sometimes(fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), fc.oneof(fc.stringMatching(/^[a-z0-9]{0,12}$/), hostileText), { maxKeys: 3 }), 3),
      webhook: sometimes(fc.oneof({ weight: 3, arbitrary: fc.constant('http://127.0.0.1:9/hook') }, { weight: 1, arbitrary: fieldValue('webhook', known) }), 6),
      webhook_events_filter: sometimes(fieldValue('events', known), 8),
      stream: sometimes(fc.boolean(), 8),
    })
    .map((body) => Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)));
}

const MALFORMED_JSON = ['{', '{"input":', '[1,2', '{"a":1,}', "{'a':1}", '\uFEFF{"input":{}}', '{"input":{}}garbage', 'NaN', '1e999', '"\\ud800"', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}', '{"a":"\\u0000"}', '{"input":{"text":"\\udfff"}}'];

function bodyFor(known: KnownValues, limits: Limits): fc.Arbitrary<BodySpec | undefined> {
  const multipartPart = fc.record({
    name: fc.oneof(fc.constantFrom('content', 'metadata', 'type', 'filename', 'other'), hostileText),
    filename: fc.option(hostileText, { nil: undefined }),
    contentType: fc.option(fc.oneof(fc.constantFrom('text/plain', 'application/json', 'image/png'), hostileText), { nil: undefined }),
    value: fc.oneof(hostileText, fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)), fc.integer({ min: 60, max: 120 }).map((d) => `${'{"a":'.repeat(d)}1${'}'.repeat(d)}`)),
  });
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    { weight: 10, arbitrary: fieldSoup(known).map((value) => ({ kind: 'json' as const, value })) },
    { weight: 4, arbitrary: createBody(known).map((value) => ({ kind: 'json' as const, value })) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((value) => ({ kind: 'json' as const, value })) },
    { weight: 2, arbitrary: fc.oneof(fc.constantFrom(...MALFORMED_JSON), hostileText).map((text) => ({ kind: 'text' as const, text })) },
    { weight: 1, arbitrary: fc.record({ depth: fc.integer({ min: 60, max: 6000 }), pair: fc.constantFrom(['[', ']'], ['{"a":', '}']) }).map(({ depth, pair }) => ({ kind: 'nested' as const, depth, open: pair[0], close: pair[1] })) },
    { weight: 1, arbitrary: fc.integer({ min: limits.bodyLimitBytes - 64, max: limits.bodyLimitBytes * 6 }).map((bytes) => ({ kind: 'big' as const, bytes })) },
    {
      weight: 2,
      arbitrary: fc.record({
        boundary: fc.oneof({ weight: 5, arbitrary: fc.constant('fuzzboundary') }, { weight: 1, arbitrary: hostileText }),
        parts: fc.array(multipartPart, { maxLength: 4 }),
        truncate: fc.boolean(),
      }).map((m) => ({ kind: 'multipart' as const, ...m })),
    },
  );
}

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 });

/** `natural` stands for the content type that fits the body; it is resolved when the request is assembled. */
const NATURAL = Symbol('natural content type');

function headerArbitrary(known: KnownValues) {
  const auth = fc.oneof(
    { weight: 20, arbitrary: fc.constant(`Bearer ${known.token}`) },
    { weight: 1, arbitrary: fc.constant(`Token ${known.token}`) },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: printable.map((t) => `Bearer ${t}`) },
    { weight: 1, arbitrary: fc.constantFrom('Basic dXNlcjpwYXNz', 'Bearer', 'bearer  ', `Bearer ${'x'.repeat(4000)}`) },
  );
  const contentType = fc.oneof(
    { weight: 24, arbitrary: fc.constant<typeof NATURAL>(NATURAL) },
    { weight: 1, arbitrary: fc.constantFrom('text/plain', 'multipart/form-data', 'application/xml', 'application/json; charset=latin1', ';;;', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=') },
    { weight: 1, arbitrary: printable },
  );
  const prefer = fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom('wait=1', 'wait=2', 'wait=0', 'wait=61', 'wait=x', 'respond-async, wait=1', 'wait=99999999999999999999') });
  const cancelAfter = fc.oneof(
    { weight: 8, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constantFrom('5s', '1h', '1h30m', '2s', '0', '-5', 'abc', '1e309', '99999999999999999999', '604801', '9999999h', ' 30s ') },
  );
  const extra = fc.oneof(
    { weight: 4, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.tuple(fc.stringMatching(/^x-[a-z0-9-]{1,20}$/), fc.oneof(printable, fc.integer({ min: 1000, max: 12_000 }).map((n) => 'h'.repeat(n)))) },
  );
  return fc.record({ auth, contentType, prefer, cancelAfter, extra });
}

type HeaderChoice = ReturnType<typeof headerArbitrary> extends fc.Arbitrary<infer T> ? T : never;

function headersOf(choice: HeaderChoice, body: BodySpec | undefined): Record<string, string> {
  const natural = body === undefined ? undefined : body.kind === 'multipart' ? `multipart/form-data; boundary=${body.boundary.replace(/[^\x20-\x7e]/g, '_')}` : 'application/json';
  const contentType = choice.contentType === NATURAL ? natural : choice.contentType;
  const headers: Record<string, string> = {};
  if (choice.auth !== undefined) headers.authorization = choice.auth;
  if (contentType !== undefined) headers['content-type'] = contentType;
  if (choice.prefer !== undefined) headers.prefer = choice.prefer;
  if (choice.cancelAfter !== undefined) headers['cancel-after'] = choice.cancelAfter;
  if (choice.extra) headers[choice.extra[0]] = choice.extra[1];
  return headers;
}

const OTHER_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'QUERY', 'HEAD'];
const BODY_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE', 'QUERY'];

/** Bytes that break HTTP/1.1 framing in one way or another. */
function rawBytes(known: KnownValues): fc.Arbitrary<string> {
  const auth = `Authorization: Bearer ${known.token}\r\n`;
  return fc.oneof(
    fc.constantFrom(
      'GET /health HTTP/1.1\r\nHost: x\r\nnot a header\r\n\r\n',
      'GET /health HTTP/9.9\r\nHost: x\r\n\r\n',
      'GARBAGE\r\n\r\n',
      '\r\n\r\n\r\n',
      `POST /v1/predictions HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      `POST /v1/predictions HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
      `POST /v1/predictions HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: -1\r\n\r\n{}`,
      `POST /v1/predictions HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}`,
      `POST /v1/predictions HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"version":"gantry/echo"`,
      `GET /v1/account HTTP/1.1\r\nHost: x\r\n${auth}X-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      'GET /v1/predictions/\u0000 HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET /v1/pred ictions HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET /health HTTP/1.1\r\nHost: x\r\nX: a\u0000b\r\n\r\n',
    ),
    fc.string({ unit: 'binary', maxLength: 200 }).map((s) => `${s}\r\n\r\n`),
    fc.tuple(fc.constantFrom('GET', 'POST', 'BREW', 'get'), hostileText, fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/2', '')).map(([m, p, v]) => `${m} /${p} ${v}\r\nHost: x\r\n${auth}\r\n`),
  );
}

/** One hostile request for one of `routes`. */
export function requestArbitrary(routes: Route[], known: KnownValues, limits: Limits): fc.Arbitrary<RequestSpec> {
  // Built once: drawing from an arbitrary is cheap, building one is not.
  const bodies = bodyFor(known, limits);
  // Create routes get mostly create-shaped bodies, so that many predictions are accepted, run,
  // and must end (the run's last check).
  const createBodies = fc.oneof({ weight: 3, arbitrary: createBody(known).map((value): BodySpec => ({ kind: 'json', value })) }, { weight: 2, arbitrary: bodies });
  const headers = headerArbitrary(known);
  const methods = new Map<string, fc.Arbitrary<string>>();
  const paths = new Map<string, fc.Arbitrary<{ path: string; forbidden: boolean }>>();
  const methodFor = (route: Route) => {
    let arb = methods.get(route.method);
    if (!arb) methods.set(route.method, (arb = fc.oneof({ weight: 12, arbitrary: fc.constant(route.method) }, { weight: 1, arbitrary: fc.constantFrom(...OTHER_METHODS) })));
    return arb;
  };
  const pathOf = (route: Route, method: string) => {
    const key = `${route.url} ${method === 'DELETE'}`;
    let arb = paths.get(key);
    if (!arb) paths.set(key, (arb = pathFor(route, known, method)));
    return arb;
  };
  const http = fc
    .constantFrom(...routes)
    .chain((route) => methodFor(route).map((method) => ({ route, method })))
    .chain(({ route, method }) =>
      fc.record({ path: pathOf(route, method), query: queryEntries, body: /\/(predictions|trainings)$/.test(route.url) ? createBodies : bodies, headers }).map(({ path, query, body, headers: choice }): HttpSpec => {
        const sentHeaders = headersOf(choice, body);
        const parsedType = /^(application\/json|text\/plain)/.test(sentHeaders['content-type'] ?? '');
        const bodyForbidden = BODY_METHODS.includes(method) && parsedType && body !== undefined && (body.kind === 'json' ? holdsForbiddenText(body.value) : body.kind === 'text' && FORBIDDEN_ENCODED.test(body.text));
        return {
          mode: 'http',
          route: `${route.method} ${route.url}`,
          method,
          path: path.path,
          query,
          headers: sentHeaders,
          body: method === 'GET' || method === 'HEAD' ? (body?.kind === 'json' ? body : undefined) : body,
          forbiddenText: path.forbidden || query.some(([k, v]) => FORBIDDEN_ENCODED.test(k) || FORBIDDEN_ENCODED.test(v)) || !!bodyForbidden,
        };
      }),
    );
  const raw = rawBytes(known).map((bytes): RawSpec => ({ mode: 'raw', route: 'raw bytes', bytes }));
  // Mostly valid creates on the create routes the engine reports (POST …/predictions), with only
  // their timing headers mutated: they are accepted, run, and must all end.
  const creates = routes.filter((r) => r.method === 'POST' && r.url.endsWith('/predictions'));
  const accepted = fc
    .record({
      route: fc.constantFrom(...(creates.length ? creates : routes)),
      values: fc.record(Object.fromEntries(Object.entries(known.runnable).map(([name, values]) => [name, fc.constantFrom(...values)]))),
      body: createBody(known),
      choice: headerArbitrary(known),
    })
    .map(({ route, values, body, choice }): HttpSpec => ({
      mode: 'http',
      route: `${route.method} ${route.url}`,
      method: 'POST',
      path: route.url.replace(/:(\w+)/g, (_, name: string) => encodeText(values[name] ?? name)),
      query: [],
      headers: { ...headersOf({ ...choice, contentType: NATURAL, extra: undefined }, { kind: 'json', value: body }), authorization: `Bearer ${known.token}` },
      body: { kind: 'json', value: body },
      forbiddenText: holdsForbiddenText(body),
    }));
  return fc.oneof({ weight: 30, arbitrary: http }, { weight: creates.length ? 3 : 0, arbitrary: accepted }, { weight: 1, arbitrary: raw });
}

/** The bytes of a body spec (big ones are built here, not kept in the generated values). */
export function materializeBody(body: BodySpec): Buffer {
  switch (body.kind) {
    case 'json':
      return Buffer.from(JSON.stringify(body.value) ?? 'null');
    case 'text':
      return Buffer.from(body.text);
    case 'nested':
      return Buffer.from(`{"input":{"text":${body.open.repeat(body.depth)}1${body.close.repeat(body.depth)}}}`);
    case 'big':
      return Buffer.from(`{"input":{"text":"${'x'.repeat(Math.max(0, body.bytes - 20))}"}}`);
    case 'multipart': {
      const parts = body.parts.map((p) => {
        const disposition = `form-data; name="${p.name}"${p.filename !== undefined ? `; filename="${p.filename}"` : ''}`;
        return `--${body.boundary}\r\nContent-Disposition: ${disposition}\r\n${p.contentType ? `Content-Type: ${p.contentType}\r\n` : ''}\r\n${p.value}\r\n`;
      });
      const text = `${parts.join('')}--${body.boundary}--\r\n`;
      return Buffer.from(body.truncate ? text.slice(0, Math.floor(text.length / 2)) : text);
    }
  }
}

/** The request target: path plus encoded query. */
export function targetOf(spec: HttpSpec): string {
  const query = spec.query.map(([k, v]) => `${encodeText(k)}=${encodeText(v)}`).join('&');
  return query ? `${spec.path}?${query}` : spec.path;
}
