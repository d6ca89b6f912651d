/**
 * The nodes against a real engine through a test proxy that loses answers and throttles:
 * - a create whose answer is lost is sent again with the same Idempotency-Key, and the engine
 *   answers the first prediction (one per item, never two);
 * - a 429 is retried after the wait it asks for, whether it says so in a Retry-After header, in
 *   the body's retry_after (Gantry) or in Replicate's "resets in ~Ns" detail (the proxy answers
 *   these as a protocol-faithful fake of Replicate's documented throttling);
 * - the engine's own 429 (a deployment's max_queue) is retried the same way, then reported.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { N8nHarness, modelRef, runModel, setup, teardown, type Env } from './harness/setup';

interface Seen {
  method: string;
  path: string;
  key?: string;
  at: number;
  status?: number;
}

type Mode = { kind: 'pass' } | { kind: 'lose'; times: number } | { kind: 'throttle'; times: number; answer: { headers: Record<string, string>; body: unknown } };

/** Forwards to the engine; for matching creates it may drop the answer or answer 429 itself. */
async function startProxy(target: string) {
  const seen: Seen[] = [];
  let mode: Mode = { kind: 'pass' };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      const entry: Seen = { method: req.method!, path: req.url!, key: req.headers['idempotency-key'] as string | undefined, at: Date.now() };
      seen.push(entry);
      const create = req.method === 'POST' && /\/predictions$/.test(req.url ?? '');
      if (create && mode.kind === 'throttle' && mode.times > 0) {
        mode.times--;
        entry.status = 429;
        res.writeHead(429, { 'content-type': 'application/json', ...mode.answer.headers }).end(JSON.stringify(mode.answer.body));
        return;
      }
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'content-length', 'connection'].includes(k))) as Record<string, string>;
      const answer = await fetch(`${target}${req.url}`, { method: req.method, headers, body: body.length ? body : undefined });
      const text = Buffer.from(await answer.arrayBuffer());
      entry.status = answer.status;
      if (create && mode.kind === 'lose' && mode.times > 0) {
        // The engine did the work; its answer never reaches the node.
        mode.times--;
        req.socket.destroy();
        return;
      }
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    set mode(m: Mode) {
      mode = m;
    },
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

let env: Env;
let proxy: Awaited<ReturnType<typeof startProxy>>;
beforeAll(async () => {
  env = await setup({ env: { GANTRY_QUEUE_RETRY_AFTER: '1' } });
  proxy = await startProxy(env.engine.url);
  env.n8n.credentials.gantryApi = { baseUrl: proxy.url, apiToken: env.engine.token };
}, 120_000);
afterAll(async () => {
  await proxy?.close();
  await teardown(env);
});

const out = (run: Parameters<typeof N8nHarness.output>[0]) => N8nHarness.output(run, 'Run Model');
const creates = () => proxy.seen.filter((s) => s.method === 'POST' && /\/predictions$/.test(s.path));
const predictionCount = async () => (await env.api('GET', '/v1/predictions')).json.results.length as number;

test('a create whose answer was lost is sent again with the same key: one prediction per item', async () => {
  const before = await predictionCount();
  proxy.seen.length = 0;
  proxy.mode = { kind: 'lose', times: 1 };
  const exec = await env.n8n.run(
    runModel({ model: modelRef('gantry/echo'), mode: 'start', resumeAwait: false, inputJson: '={{ JSON.stringify({ text: $json.word }) }}' }),
    'Run Model',
    [{ json: { word: 'one' } }, { json: { word: 'two' } }],
  );
  expect(exec.status).toBe('success');
  const items = out(exec.result);
  expect(items.map((i) => (i.json as any).input.text)).toEqual(['one', 'two']);
  // Three POSTs reached the engine: item 0 twice (same key), item 1 once (its own key).
  const posts = creates();
  expect(posts).toHaveLength(3);
  expect(posts.every((p) => p.key && p.key.startsWith('n8n-'))).toBe(true);
  expect(posts[0].key).toBe(posts[1].key);
  expect(posts[2].key).not.toBe(posts[0].key);
  // The engine ran two predictions, not three, and the resend got the first one back.
  expect(await predictionCount()).toBe(before + 2);
  const stored = (await env.api('GET', '/v1/predictions')).json.results.map((p: any) => p.id);
  expect(stored).toEqual(expect.arrayContaining(items.map((i) => (i.json as any).id)));
}, 60_000);

test.each([
  ['a Retry-After header', { headers: { 'retry-after': '1' }, body: { detail: 'slow down' } }],
  ["Gantry's retry_after in the body", { headers: {}, body: { type: 'about:blank', title: 'Too many queued predictions', status: 429, detail: 'full', retry_after: 1 } }],
  ["Replicate's throttling detail", { headers: {}, body: { detail: 'Request was throttled. Your rate limit resets in ~1s.' } }],
])('a 429 with %s is retried after the wait it asks for', async (_what, answer) => {
  proxy.seen.length = 0;
  proxy.mode = { kind: 'throttle', times: 1, answer };
  const exec = await env.n8n.run(runModel({ model: modelRef('gantry/echo'), inputJson: '{"text": "later"}' }), 'Run Model');
  expect(exec.status).toBe('success');
  expect((out(exec.result)[0].json as any).output).toBe('later');
  const [refused, accepted] = creates();
  expect([refused.status, accepted.status]).toEqual([429, 201]);
  // It waited (at least) the second asked for before trying again.
  expect(accepted.at - refused.at).toBeGreaterThanOrEqual(1000);
  proxy.mode = { kind: 'pass' };
}, 60_000);

test("the engine's own 429 (a full deployment) is retried after its Retry-After, then reported", async () => {
  const echo = (await env.api('GET', '/v1/models/gantry/echo')).json.latest_version.id;
  const d = await env.api('POST', '/v1/deployments', { name: 'full', model: 'gantry/echo', version: echo, hardware: 'cpu', min_instances: 0, max_instances: 1, max_queue: 0 });
  expect(d.status).toBe(200);
  proxy.seen.length = 0;
  const exec = await env.n8n.run(runModel({ source: 'deployment', deployment: modelRef('gantry/full'), inputJson: '{}' }), 'Run Model');
  expect(exec.status).toBe('error');
  expect(exec.result!.data.resultData.error!.message).toMatch(/429|Rate limited|queued/i);
  const tries = creates();
  expect(tries.map((t) => t.status)).toEqual([429, 429, 429, 429]);
  for (let i = 1; i < tries.length; i++) expect(tries[i].at - tries[i - 1].at).toBeGreaterThanOrEqual(1000);
}, 60_000);
