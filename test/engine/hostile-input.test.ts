/**
 * Hostile input over real HTTP (issue 12): one test per class of failure that once answered a 500,
 * a body that was not problem+json, or nothing at all. Every answer here must be a 4xx
 * `application/problem+json` naming what is wrong.
 */
import { api, startEngine, type EngineHandle } from '../helpers/engine';
import { rawRequest } from '../helpers/raw-http';

const BODY_LIMIT = 65536;
let engine: EngineHandle;
let call: ReturnType<typeof api>;

beforeAll(async () => {
  engine = await startEngine({ env: { GANTRY_BODY_LIMIT: String(BODY_LIMIT) } });
  call = api(engine);
}, 90_000);
afterAll(async () => engine?.stop());

type Answer = { status: number; headers: Headers; json: any };

/** Asserts a problem+json answer with `status`; returns its field pointers. */
function problem(res: Answer, status: number): string[] {
  expect({ status: res.status, type: res.headers.get('content-type') }).toEqual({ status, type: expect.stringMatching(/^application\/problem\+json/) });
  expect(res.json).toEqual(expect.objectContaining({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String) }));
  return (res.json.errors ?? []).map((e: { pointer: string }) => e.pointer);
}

const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const echo = (input: unknown, headers: Record<string, string> = {}) => call('POST', '/v1/models/gantry/echo/predictions', { input }, headers);

describe('1. NUL and unpaired surrogates are refused at the edge, naming the field', () => {
  test('in path ids', async () => {
    expect(problem(await call('GET', '/v1/predictions/ab%00cd'), 422)).toEqual(['/params/id']);
    expect(problem(await call('GET', '/v1/models/gantry%00/echo'), 422)).toEqual(['/params/owner']);
    expect(problem(await call('GET', '/v1/files/f%00'), 422)).toEqual(['/params/id']);
    expect(problem(await call('GET', '/v1/deployments/gantry/d%00'), 422)).toEqual(['/params/name']);
    expect(problem(await call('DELETE', '/v1/tokens/t%00'), 422)).toEqual(['/params/id']);
  });
  test('in model input, tags and other body fields', async () => {
    expect(problem(await echo({ text: 'a\u0000b' }), 422)).toEqual(['/input/text']);
    expect(problem(await echo({ text: 'a\ud800b' }), 422)).toEqual(['/input/text']);
    expect(problem(await echo({ text: 'fine', 'bad\u0000key': 1 }), 422)).toEqual(['/input/bad\u0000key']);
    expect(problem(await call('POST', '/v1/models/gantry/echo/predictions', { input: {}, tags: { k: '\udc00' } }), 422)).toEqual(['/tags/k']);
    expect(problem(await call('POST', '/v1/tokens', { name: 'n\u0000' }), 422)).toEqual(['/name']);
    expect(problem(await call('POST', '/v1/models', { owner: 'o', name: 'n', description: 'd\u0000' }), 422)).toEqual(['/description']);
    expect(problem(await call('POST', '/v1/webhooks', { url: 'https://example.com/\u0000' }), 422)).toEqual(['/url']);
  });
  test('in query parameters', async () => {
    expect(problem(await call('GET', '/v1/usage?group_by=tag:a%00b'), 422)).toEqual(['/group_by']);
    expect(problem(await call('GET', '/v1/search?query=a%00'), 422)).toEqual(['/query']);
  });
  test('in multipart file names and metadata', async () => {
    const upload = (parts: string) =>
      call('POST', '/v1/files', `${parts}--b--\r\n`, { 'content-type': 'multipart/form-data; boundary=b' });
    const content = (filename: string) =>
      `--b\r\nContent-Disposition: form-data; name="content"; filename="${filename}"\r\nContent-Type: text/plain\r\n\r\nhello\r\n`;
    expect(problem(await upload(content('a\u0000.txt')), 422)).toEqual(['/filename']);
    const metadata = `--b\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n{"k":"v\\u0000"}\r\n`;
    expect(problem(await upload(content('a.txt') + metadata), 422)).toEqual(['/metadata/k']);
    const type = `--b\r\nContent-Disposition: form-data; name="type"\r\n\r\ntext/plain\r\nX-Injected: 1\r\n`;
    expect(problem(await upload(content('a.txt') + type), 422)).toEqual(['/type']);
    // Nothing half-stored: the list still has no files.
    expect((await call('GET', '/v1/files')).json.results).toEqual([]);
  });
});

describe('2. Well-formed but wrong cursors are 400 naming /cursor on every paginated list', () => {
  const lists: Array<[string, string]> = [
    ['/v1/predictions', 'id'],
    ['/v1/trainings', 'id'],
    ['/v1/models', 'key'],
    ['/v1/deployments', 'key'],
    ['/v1/files', 'id'],
  ];
  test.each(lists)('%s', async (path, key) => {
    for (const position of [
      { createdAt: 'garbage', [key]: 'x' },
      { createdAt: '-271821-04-20T00:00:00.000Z', [key]: 'x' },
      { createdAt: '2024-01-01T00:00:00.000000Z', [key]: 'x\u0000' },
      { createdAt: '2024-01-01T00:00:00.000000Z', [key]: 'y'.repeat(10_000) },
    ]) {
      expect(problem(await call('GET', `${path}?cursor=${cursorOf(position)}`), 400)).toEqual(['/cursor']);
    }
  });
  test('a search cursor with garbage words', async () => {
    expect(problem(await call('GET', `/v1/models?cursor=${cursorOf({ search: 'a\u0000', offset: '100' })}`), 400)).toEqual(['/cursor']);
  });
});

describe('3. Out-of-range values are 422 naming the field', () => {
  test('a huge Cancel-After names the header', async () => {
    expect(problem(await echo({}, { 'cancel-after': '99999999999999999999' }), 422)).toEqual(['/headers/cancel-after']);
    expect(problem(await echo({}, { 'cancel-after': '1000000h' }), 422)).toEqual(['/headers/cancel-after']);
  });
  test('dates outside what can be stored', async () => {
    expect(problem(await call('GET', '/v1/predictions?created_after=-271821-04-20'), 422)).toEqual(['/created_after']);
    expect(problem(await call('GET', '/v1/predictions?created_before=%2B275760-09-13'), 422)).toEqual(['/created_before']);
    expect(problem(await call('GET', '/v1/usage?until=9999-12-31T23:59:59-14:00'), 422)).toEqual(['/until']);
  });
});

describe('4. Repeated query parameters are 400 naming the parameter, on every route', () => {
  test.each(['/v1/search?query=a&query=b', '/v1/catalogue?query=a&query=b', '/v1/predictions?cursor=a&cursor=b', '/v1/usage?group_by=model&group_by=day'])(
    '%s',
    async (path) => {
      const name = /\?(\w+)=/.exec(path)![1];
      expect(problem(await call('GET', path), 400)).toEqual([`/${name}`]);
    },
  );
});

describe('5. Malformed multipart is a 4xx', () => {
  test('no boundary', async () => {
    expect(problem(await call('POST', '/v1/files', 'xx', { 'content-type': 'multipart/form-data' }), 400)).toEqual(['/headers/content-type']);
  });
  test('a body that ends inside a part', async () => {
    const body = '--b\r\nContent-Disposition: form-data; name="content"; filename="a.txt"\r\n\r\nhello';
    problem(await call('POST', '/v1/files', body, { 'content-type': 'multipart/form-data; boundary=b' }), 400);
  });
  test('a part header that is not a header', async () => {
    const body = '--b\r\nthis is not a header\r\n\r\nhello\r\n--b--\r\n';
    const res = await call('POST', '/v1/files', body, { 'content-type': 'multipart/form-data; boundary=b' });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    problem(res, res.status);
  });
});

describe('6. JSON nesting is limited before anything recurses', () => {
  test('depth 5,000 in 10 KB is refused with 400', async () => {
    const deep = `{"input":{"text":${'['.repeat(5000)}${']'.repeat(5000)}}}`;
    const pointers = problem(await call('POST', '/v1/models/gantry/echo/predictions', deep), 400);
    expect(pointers).toEqual(['']);
  });
  test('64 levels is allowed (and then validated as usual)', async () => {
    // body (1) + input (2) + text (3..64): 62 arrays.
    const ok = `{"input":{"text":${'['.repeat(62)}${']'.repeat(62)}}}`;
    expect(problem(await call('POST', '/v1/models/gantry/echo/predictions', ok), 422)).toEqual(['/input/text']);
    const over = `{"input":{"text":${'['.repeat(63)}${']'.repeat(63)}}}`;
    problem(await call('POST', '/v1/models/gantry/echo/predictions', over), 400);
  });
  test('in multipart metadata too', async () => {
    const metadata = `${'{"a":'.repeat(200)}1${'}'.repeat(200)}`;
    const body =
      `--b\r\nContent-Disposition: form-data; name="content"; filename="a.txt"\r\n\r\nhello\r\n` +
      `--b\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n${metadata}\r\n--b--\r\n`;
    expect(problem(await call('POST', '/v1/files', body, { 'content-type': 'multipart/form-data; boundary=b' }), 422)).toEqual(['/metadata']);
  });
});

describe('7. Router and HTTP-server errors answer problem+json too', () => {
  test('bad percent-encoding in a path', async () => {
    problem(await call('GET', '/v1/predictions/%E0%A4%A'), 400);
    problem(await call('GET', '/v1/predictions/%ED%A0%80'), 400); // an encoded lone surrogate
  });
  test('path segments: over the identifier limit 422, over the router limit 414', async () => {
    expect(problem(await call('GET', `/v1/predictions/${'a'.repeat(201)}`), 422)).toEqual(['/params/id']);
    problem(await call('GET', `/v1/predictions/${'a'.repeat(5000)}`), 414);
  });
  test('identifier charset', async () => {
    expect(problem(await call('GET', '/v1/predictions/a%20b'), 422)).toEqual(['/params/id']);
    expect(problem(await call('GET', '/v1/models/gantry/%3Cscript%3E'), 422)).toEqual(['/params/name']);
  });
  test('malformed framing and oversized headers, written to the socket', async () => {
    const bad = await rawRequest(engine.url, 'GET /health HTTP/1.1\r\nHost: x\r\nthis is not a header\r\n\r\n');
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(bad.body)).toEqual(expect.objectContaining({ status: 400, title: expect.any(String), detail: expect.any(String) }));

    const big = await rawRequest(engine.url, `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(big.status).toBe(431);
    expect(big.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(big.body).status).toBe(431);
  });
  test('an unsupported media type', async () => {
    problem(await call('POST', '/v1/predictions', '<xml/>', { 'content-type': 'application/xml' }), 415);
  });
});

describe('8. Bodies over the limit always get their 413 (fetch, several in flight)', () => {
  const url = () => `${engine.url}/v1/models/gantry/echo/predictions`;
  const send = async (body: BodyInit, extra: Record<string, unknown> = {}) => {
    try {
      const res = await fetch(url(), {
        method: 'POST',
        headers: { authorization: `Bearer ${engine.token}`, 'content-type': 'application/json' },
        body,
        ...extra,
      });
      return { status: res.status, type: res.headers.get('content-type'), json: JSON.parse(await res.text()) };
    } catch (err) {
      return { error: `${(err as Error).message}: ${String((err as { cause?: unknown }).cause)}` };
    }
  };

  test('with Content-Length', async () => {
    const big = JSON.stringify({ input: { text: 'x'.repeat(4 * 1024 * 1024) } });
    for (let round = 0; round < 4; round++) {
      const answers = await Promise.all(Array.from({ length: 8 }, () => send(big)));
      for (const a of answers) expect(a).toEqual({ status: 413, type: expect.stringMatching(/^application\/problem\+json/), json: expect.objectContaining({ status: 413 }) });
    }
  });

  test('chunked, without Content-Length', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
    const stream = () =>
      new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode('{"input":{"text":"'));
          for (let i = 0; i < 32; i++) c.enqueue(chunk);
          c.enqueue(new TextEncoder().encode('"}}'));
          c.close();
        },
      });
    const answers = await Promise.all(Array.from({ length: 6 }, () => send(stream(), { duplex: 'half' })));
    for (const a of answers) expect(a).toEqual({ status: 413, type: expect.stringMatching(/^application\/problem\+json/), json: expect.objectContaining({ status: 413 }) });
  });

  test('the connection stays usable after a 413', async () => {
    // Under the discard bound the body is read, so keep-alive survives and the next request works.
    expect(await send(JSON.stringify({ input: { text: 'x'.repeat(BODY_LIMIT * 2) } }))).toEqual(expect.objectContaining({ status: 413 }));
    expect((await call('GET', '/v1/account')).status).toBe(200);
  });
});

describe('one error path: every kind of answer has the same problem shape', () => {
  test('not found, unauthenticated, validation, malformed JSON', async () => {
    const keys = (res: Answer) => Object.keys(res.json).filter((k) => k !== 'errors').sort();
    const shapes = [
      await call('GET', '/v1/nothing-here'),
      await api({ url: engine.url, token: 'wrong-token' })('GET', '/v1/account'),
      await echo({ nope: 1 }),
      await call('POST', '/v1/predictions', '{"version": ', { 'content-type': 'application/json' }),
      await call('GET', '/v1/predictions/%E0%A4%A'),
    ];
    for (const res of shapes) expect(keys(res)).toEqual(['detail', 'status', 'title', 'type']);
  });
});
