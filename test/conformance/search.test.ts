/**
 * Model search and collections with the official client (models.search sends QUERY /v1/models with
 * a JSON-quoted text/plain body; collections.list/get), plus raw HTTP for the beta /v1/search and
 * the bad inputs.
 */
import type Replicate from 'replicate';
import { startEngine, type EngineHandle } from '../helpers/engine';
import { checkedClient, expectConformant, type CheckedClient } from './wire/checked-client';

let engine: EngineHandle;
let replicate: Replicate;
let client: CheckedClient;

beforeAll(async () => {
  engine = await startEngine();
  client = checkedClient(engine);
  replicate = client.replicate;
}, 90_000);

afterAll(async () => engine?.stop());

const call = (method: string, path: string, body?: string) => client.call(method, path, body, body === undefined ? {} : { 'content-type': 'text/plain' });

test('replicate.models.search finds gantry/echo first', async () => {
  const found = (await replicate.models.search('echo')) as any;
  expect(found.previous).toBeNull();
  expect(found.next).toBeNull(); // fewer than a page of matches
  expect(found.results[0]).toMatchObject({ owner: 'gantry', name: 'echo', url: `${engine.url}/gantry/echo` });
  expect(found.results[0].latest_version.id).toMatch(/^[0-9a-f]{64}$/);
});

test('QUERY /v1/models accepts an unquoted text/plain body and ranks by words matched first', async () => {
  const res = await call('QUERY', '/v1/models', 'speaks text');
  expect(res.status).toBe(200);
  const refs = res.json.results.map((m: any) => `${m.owner}/${m.name}`);
  expect(refs[0]).toBe('gantry/tts');
  expect(refs).not.toContain('gantry/image-resize');

  expect((await call('QUERY', '/v1/models', 'zzzz-nothing')).json.results).toEqual([]);
});

test('an empty QUERY body is a 422 naming the body', async () => {
  for (const body of ['', '   ', '""']) {
    const res = await call('QUERY', '/v1/models', body);
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(res.json.errors).toEqual([expect.objectContaining({ pointer: '' })]);
  }
});

test('replicate.collections.list and .get', async () => {
  const list = (await replicate.collections.list()) as any;
  const slugs = list.results.map((c: any) => c.slug);
  expect(slugs).toEqual(expect.arrayContaining(['gantry-builtins', 'node-models', 'trainable']));
  for (const c of list.results) expect(Object.keys(c).sort()).toEqual(['description', 'name', 'slug']);

  const builtins = (await replicate.collections.get('gantry-builtins')) as any;
  expect(builtins).toMatchObject({ slug: 'gantry-builtins', name: expect.any(String), full_description: expect.any(String) });
  const refs = builtins.models.map((m: any) => `${m.owner}/${m.name}`);
  expect(refs).toEqual(expect.arrayContaining(['gantry/echo', 'gantry/tts', 'gantry/text-classifier']));

  const trainable = (await replicate.collections.get('trainable')) as any;
  expect(trainable.models.map((m: any) => `${m.owner}/${m.name}`)).toEqual(['gantry/text-classifier']);
});

test('an unknown collection is a 404 problem', async () => {
  await expect(replicate.collections.get('no-such-collection')).rejects.toThrow(/404/);
  const res = await call('GET', '/v1/collections/no-such-collection');
  expect(res.status).toBe(404);
  expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
});

test('GET /v1/search returns scored models and matching collections', async () => {
  const res = await call('GET', '/v1/search?query=gantry%20echo&limit=2');
  expect(res.status).toBe(200);
  const body = res.json;
  expect(body.query).toBe('gantry echo');
  expect(body.pages).toEqual([]);
  expect(body.models).toHaveLength(2);
  expect(body.models[0].model).toMatchObject({ owner: 'gantry', name: 'echo' });
  expect(body.models[0].metadata).toEqual({
    generated_description: expect.stringContaining('Returns its input text'),
    tags: expect.arrayContaining(['gantry-builtins', 'node-models']),
    score: expect.any(Number),
  });
  expect(body.models[0].metadata.score).toBeGreaterThan(body.models[1].metadata.score);
  expect(body.collections.map((c: any) => c.slug)).toContain('gantry-builtins');
});

test('GET /v1/search rejects a bad limit and a missing query', async () => {
  for (const limit of ['0', '51', 'ten', '2.5']) {
    const res = await call('GET', `/v1/search?query=echo&limit=${limit}`);
    expect(res.status).toBe(422);
    expect(res.json.errors).toEqual([expect.objectContaining({ pointer: '/limit' })]);
  }
  const missing = await call('GET', '/v1/search');
  expect(missing.status).toBe(422);
  expect(missing.json.errors).toEqual([expect.objectContaining({ pointer: '/query' })]);
});

test('a search with more than a page of matches pages through `next` (GET), as the official client follows it', async () => {
  const created = client.call;
  for (let i = 0; i < 105; i++) {
    const res = await created('POST', '/v1/models', { owner: 'pager', name: `probe-${i}`, visibility: 'private', hardware: 'cpu', description: 'a pagination probe' });
    expect(res.status).toBe(201);
  }
  const first = (await replicate.models.search('pagination probe')) as any;
  expect(first.results).toHaveLength(100);
  expect(first.next).toMatch(new RegExp(`^${engine.url}/v1/models\\?cursor=`));
  const seen: string[] = [];
  for await (const batch of replicate.paginate(() => replicate.models.search('pagination probe') as any)) {
    seen.push(...batch.map((m: any) => `${m.owner}/${m.name}`));
  }
  expect(seen).toHaveLength(105);
  expect(new Set(seen).size).toBe(105);
  expect(seen.every((ref) => ref.startsWith('pager/probe-'))).toBe(true);

  // The plain list is unaffected, and a tampered search cursor is a 400 naming the cursor.
  const bad = Buffer.from(JSON.stringify({ search: 'probe', offset: '-3' })).toString('base64url');
  const res = await call('GET', `/v1/models?cursor=${bad}`);
  expect(res.status).toBe(400);
  expect(res.json.errors).toEqual([expect.objectContaining({ pointer: '/cursor' })]);
  expect((await call('GET', '/v1/models')).json.results.length).toBe(100);
}, 60_000);

test("every answer the engine gave in this file matches Replicate's object schemas", () => expectConformant(client));
