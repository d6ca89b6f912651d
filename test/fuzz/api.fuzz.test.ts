/**
 * Fuzzing the whole HTTP API of a real engine (issue 12): property-based hostile requests
 * (fast-check, see requests.ts) to every route the engine reports at GET /v1/routes, judged by
 * oracle.ts: an answer within a bound, never a 5xx, every 4xx a problem+json naming fields, no
 * refused text ever stored. Afterwards the engine must be healthy and every prediction it accepted
 * during the run must reach a terminal state.
 *
 * Bounded by count and by time: FUZZ_REQUESTS (default 2,500) and FUZZ_SECONDS (default 75) for
 * `npm test`; `node test/fuzz/run.js --requests 10000` for a long run (see README). FUZZ_SEED
 * replays a run; FUZZ_REPORT names a file for the JSON report (counts, histogram, failures).
 */
import { writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { api, startEngine, type EngineHandle } from '../helpers/engine';
import { judge } from './oracle';
import { requestArbitrary, targetOf, type KnownValues, type RequestSpec, type Route } from './requests';
import { sender, type Outcome } from './send';

const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 2500);
const SECONDS = Number(process.env.FUZZ_SECONDS ?? 75);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
const CONCURRENCY = 6;
/** Per request: generous for a loaded 2-core machine; a hang is far beyond it. */
const ANSWER_BOUND_MS = 25_000;
/** After the run, predictions accepted during it must be terminal within this. */
const SETTLE_MS = 120_000;
const BODY_LIMIT = 256 * 1024;
const TERMINAL = ['succeeded', 'failed', 'canceled', 'aborted'];

let engine: EngineHandle;
let call: ReturnType<typeof api>;

beforeAll(async () => {
  engine = await startEngine({
    // Request logs on, so that the report can show the engine's own account of any 5xx.
    env: { GANTRY_BODY_LIMIT: String(BODY_LIMIT), GANTRY_CPU_SLOTS: '2', GANTRY_MAX_INSTANCES: '2', GANTRY_MAX_FILE_BYTES: String(1024 * 1024), GANTRY_LOG: 'debug' },
  });
  call = api(engine);
}, 90_000);
afterAll(async () => engine?.stop());

/** Things that exist, so that generated requests can name them (and get past a 404). */
async function seed(): Promise<KnownValues> {
  const echo = (await call('GET', '/v1/models/gantry/echo')).json;
  const echoVersion = echo.latest_version.id as string;
  const prediction = (await call('POST', '/v1/models/gantry/echo/predictions', { input: { text: 'seed' } }, { prefer: 'wait=30' })).json;
  const form = new FormData();
  form.append('content', new Blob(['seed file']), 'seed.txt');
  const file = (await (await fetch(`${engine.url}/v1/files`, { method: 'POST', headers: { authorization: `Bearer ${engine.token}` }, body: form })).json()) as { id: string };
  const deployment = await call('POST', '/v1/deployments', { name: 'fuzz-dep', model: 'gantry/echo', version: echoVersion, hardware: 'cpu', min_instances: 0, max_instances: 1 });
  const webhook = (await call('POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['completed'], model: 'gantry/ocr' })).json;
  const token = (await call('POST', '/v1/tokens', { name: 'fuzz', scope: 'run' })).json;
  const catalogue = (await call('GET', '/v1/catalogue?limit=1')).json.results[0];
  const slugs = (await call('GET', '/v1/collections')).json.results.map((c: { slug: string }) => c.slug);
  expect([prediction.status, deployment.status, webhook.id, token.id, file.id].every(Boolean)).toBe(true);
  return {
    token: engine.token,
    echoVersion,
    params: {
      id: [prediction.id, file.id, webhook.id, token.id, echoVersion],
      owner: ['gantry', catalogue.owner],
      // echo (and the deployment of it) more often than the rest: they run in well under a second.
      name: ['echo', 'echo', 'echo', 'fuzz-dep', 'fuzz-dep', 'ocr', 'text-classifier', catalogue.name],
      slug: slugs,
    },
    runnable: { owner: ['gantry'], name: ['echo', 'fuzz-dep'] },
    protectedIds: [echoVersion, 'admin'],
  };
}

interface Report {
  seed: number;
  requests: number;
  seconds: number;
  /** Answer times (ms): the median, the 90th and 99th percentiles, the slowest. */
  latencyMs: Record<string, number>;
  /** The slowest requests, to see what holds a run up. */
  slowest: Array<{ ms: number; request: string }>;
  statuses: Record<string, number>;
  routes: Record<string, Record<string, number>>;
  /** A couple of requests and answers for each route and status, to see what the run exercised. */
  samples: Record<string, string[]>;
  failures: number;
  examples: Array<{ failures: string[]; request: string; answer: string }>;
  afterwards: string[];
  /** The engine's error log lines (level 50), when there were any. */
  engineErrors: string[];
}

function describeRequest(spec: RequestSpec): string {
  if (spec.mode === 'raw') return `raw ${JSON.stringify(spec.bytes.slice(0, 300))}`;
  const body = spec.body ? ` body=${JSON.stringify(spec.body).slice(0, 300)}` : '';
  return `${spec.method} ${targetOf(spec).slice(0, 300)} headers=${JSON.stringify(spec.headers).slice(0, 300)}${body}`;
}

function describeOutcome(o: Outcome): string {
  if (o.answered === 'waiting') return 'waiting for the rest of the request';
  if (!o.answered) return o.error;
  return `${o.status} ${String(o.headers['content-type'] ?? '')} ${o.body.slice(0, 300)}`;
}

/** Every prediction and training the engine holds, page by page. */
async function everyRun(): Promise<Array<{ id: string; status: string }>> {
  const all: Array<{ id: string; status: string }> = [];
  for (const list of ['/v1/predictions', '/v1/trainings']) {
    let url: string | null = `${engine.url}${list}`;
    for (let pages = 0; url && pages < 200; pages++) {
      const res: Response = await fetch(url, { headers: { authorization: `Bearer ${engine.token}` } });
      const page = (await res.json()) as { next: string | null; results: Array<{ id: string; status: string }> };
      all.push(...page.results);
      url = page.next;
    }
  }
  return all;
}

test(`hostile requests to every route (up to ${REQUESTS} requests or ${SECONDS} s)`, async () => {
  const known = await seed();
  const routes = (await call('GET', '/v1/routes')).json.routes as Route[];
  // The list is the engine's own: it has every resource, including this very endpoint.
  expect(routes.length).toBeGreaterThan(40);
  expect(routes).toEqual(expect.arrayContaining([{ method: 'POST', url: '/v1/files' }, { method: 'GET', url: '/v1/routes' }]));

  const report: Report = { seed: SEED, requests: 0, seconds: 0, latencyMs: {}, slowest: [], statuses: {}, routes: {}, samples: {}, failures: 0, examples: [], afterwards: [], engineErrors: [] };
  const { send, close } = sender(engine.url, CONCURRENCY);
  const started = Date.now();
  const times: number[] = [];
  const record = (spec: RequestSpec, outcome: Outcome) => {
    times.push(outcome.ms);
    if (outcome.ms > 1000) report.slowest = [...report.slowest, { ms: outcome.ms, request: describeRequest(spec).slice(0, 200) }].sort((a, b) => b.ms - a.ms).slice(0, 10);
    const key = outcome.answered === 'waiting' ? 'waiting' : outcome.answered ? String(outcome.status) : 'no answer';
    report.requests++;
    report.statuses[key] = (report.statuses[key] ?? 0) + 1;
    const perRoute = (report.routes[spec.route] ??= {});
    perRoute[key] = (perRoute[key] ?? 0) + 1;
    const sampled = (report.samples[`${spec.route} → ${key}`] ??= []);
    if (sampled.length < 2) sampled.push(`${describeRequest(spec).slice(0, 240)} ⇒ ${describeOutcome(outcome).slice(0, 240)}`);
    const failures = judge(spec, outcome);
    if (failures.length) {
      report.failures++;
      if (report.examples.length < 40) report.examples.push({ failures, request: describeRequest(spec), answer: describeOutcome(outcome) });
    }
  };

  const batch = fc.array(requestArbitrary(routes, known, { bodyLimitBytes: BODY_LIMIT }), { minLength: CONCURRENCY, maxLength: CONCURRENCY });
  await fc.assert(
    fc.asyncProperty(batch, async (specs) => {
      await Promise.all(specs.map(async (spec) => record(spec, await send(spec, ANSWER_BOUND_MS))));
    }),
    { numRuns: Math.ceil(REQUESTS / CONCURRENCY), interruptAfterTimeLimit: SECONDS * 1000, markInterruptAsFailure: false, seed: SEED },
  );
  close();
  report.seconds = Math.round((Date.now() - started) / 1000);
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0;
  report.latencyMs = { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: times[times.length - 1] ?? 0 };

  // Healthy afterwards: alive, and still running predictions end to end.
  const health = await call('GET', '/health');
  if (health.status !== 200) report.afterwards.push(`GET /health answered ${health.status}`);
  const after = await call('POST', '/v1/models/gantry/echo/predictions', { input: { text: 'after the fuzz' } }, { prefer: 'wait=60' });
  if (after.json?.output !== 'after the fuzz') report.afterwards.push(`a prediction after the run: ${after.status} ${after.text.slice(0, 200)}`);

  // Every prediction accepted during the run reaches a terminal state.
  const deadline = Date.now() + SETTLE_MS;
  let open = (await everyRun()).filter((r) => !TERMINAL.includes(r.status));
  while (open.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1000));
    open = (await everyRun()).filter((r) => !TERMINAL.includes(r.status));
  }
  if (open.length) report.afterwards.push(`${open.length} predictions not terminal after ${SETTLE_MS / 1000} s: ${open.slice(0, 5).map((r) => `${r.id} ${r.status}`).join(', ')}`);

  report.engineErrors = engine.output().split('\n').filter((l) => l.includes('"level":50')).slice(0, 20).map((l) => l.slice(0, 1500));
  if (process.env.FUZZ_REPORT) writeFileSync(process.env.FUZZ_REPORT, JSON.stringify(report, null, 2));
  // One line in the test output; the seed replays the run.
  console.log(`fuzz: seed ${SEED}, ${report.requests} requests in ${report.seconds} s, ${report.failures} failures; statuses ${JSON.stringify(report.statuses)}`);
  expect(report.examples).toEqual([]);
  expect(report.afterwards).toEqual([]);
  expect(report.engineErrors).toEqual([]);
  expect(report.requests).toBeGreaterThan(0);
}, (SECONDS + 300) * 1000);
