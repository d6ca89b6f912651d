/**
 * The check API over real HTTP: bad input to every endpoint (422 problem+json naming the field),
 * pagination, cancel, webhooks, a run that misses its deadline, a check on a deployment, and a
 * check that survives an engine crash (SIGKILL) and resumes.
 */
import { verifyWebhook } from '../../engine/src/webhooks/sign';
import { api, sql as query, startEngine, type EngineHandle } from '../helpers/engine';
import { startReceiver } from '../helpers/receiver';
import { item, predictionsOf, runCheck, runsOf, waitForCheck } from '../helpers/checks';
import { checkedClient, expectConformant, type CheckedClient } from '../conformance/wire/checked-client';

let engine: EngineHandle;
let call: ReturnType<typeof api>;
let client: CheckedClient;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const sql = (text: string, params: unknown[] = []) => query(engine, text, params);

async function until<T>(what: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await what();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(100);
  }
}

beforeAll(async () => {
  engine = await startEngine();
  // Every request and answer of this file is held to the engine's /openapi.json.
  client = checkedClient(engine, { replicate: false });
  call = client.call;
}, 90_000);
afterAll(async () => engine?.stop());

describe('bad input is a 422 problem+json naming the field', () => {
  const base = { model: 'gantry/echo', input: { text: 'x' } };
  const cases: Array<[string, unknown, string]> = [
    ['not an object', [1, 2], ''],
    ['no model', { input: {} }, '/model'],
    ['malformed model', { ...base, model: 'echo' }, '/model'],
    ['unknown model', { ...base, model: 'acme/none' }, '/model'],
    ['unknown version', { ...base, model: `gantry/echo:${'a'.repeat(64)}` }, '/model'],
    ['no input', { model: 'gantry/echo' }, '/input'],
    ['input of the wrong type', { ...base, input: { text: 5 } }, '/input/text'],
    ['an input the model lacks', { ...base, input: { bogus: 1 } }, '/input/bogus'],
    ['too few runs', { ...base, runs: 1 }, '/runs'],
    ['too many runs', { ...base, runs: 21 }, '/runs'],
    ['fractional runs', { ...base, runs: 2.5 }, '/runs'],
    ['hardware not a list', { ...base, hardware: 'gpu-t4' }, '/hardware'],
    ['unknown hardware', { ...base, hardware: ['cpu', 'gpu-x'] }, '/hardware/1'],
    ['hardware twice', { ...base, hardware: ['gpu-t4', 'gpu-t4'] }, '/hardware/1'],
    ['malformed compare_with', { ...base, compare_with: 'x' }, '/compare_with'],
    ['unknown compare_with', { ...base, compare_with: 'acme/none' }, '/compare_with'],
    ['input that does not fit compare_with', { ...base, compare_with: 'gantry/ocr' }, '/compare_with'],
    ['worst_case not boolean or object', { ...base, worst_case: 'yes' }, '/worst_case'],
    ['worst_case inputs not a list', { ...base, worst_case: { inputs: {} } }, '/worst_case/inputs'],
    ['worst_case unknown field', { ...base, worst_case: { extra: 1 } }, '/worst_case/extra'],
    ['worst_case from_schema not boolean', { ...base, worst_case: { from_schema: 'no' } }, '/worst_case/from_schema'],
    ['a marked input the schema refuses', { ...base, worst_case: { inputs: [{ sleep: -1 }] } }, '/worst_case/inputs/0/sleep'],
    ['timeout under 5 s', { ...base, timeout: '2s' }, '/timeout'],
    ['timeout over an hour', { ...base, timeout: '2h' }, '/timeout'],
    ['timeout malformed', { ...base, timeout: 'soon' }, '/timeout'],
    ['webhook not http', { ...base, webhook: 'ftp://x/y' }, '/webhook'],
    ['unknown webhook event', { ...base, webhook: 'http://127.0.0.1:1/x', webhook_events_filter: ['nope'] }, '/webhook_events_filter'],
    ['malformed deployment', { ...base, deployment: 'x' }, '/deployment'],
    ['unknown deployment', { ...base, deployment: 'gantry/none' }, '/deployment'],
    ['unknown field', { ...base, extra: true }, '/extra'],
  ];
  test.each(cases)('POST /v1/checks: %s', async (_name, body, pointer) => {
    const res = await call('POST', '/v1/checks', body);
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.json).toEqual(expect.objectContaining({ type: 'about:blank', title: expect.any(String), status: 422, detail: expect.any(String) }));
    expect(res.json.errors.map((e: any) => e.pointer)).toContain(pointer);
  });

  test('a deployment of another model', async () => {
    const ocr = (await call('GET', '/v1/models/gantry/ocr')).json.latest_version.id;
    expect((await call('POST', '/v1/deployments', { name: 'reader', model: 'gantry/ocr', version: ocr, hardware: 'cpu', min_instances: 0, max_instances: 1 })).status).toBeLessThan(300);
    const res = await call('POST', '/v1/checks', { ...base, deployment: 'gantry/reader' });
    expect(res.status).toBe(422);
    expect(res.json.errors[0]).toEqual({ pointer: '/deployment', detail: 'serves gantry/ocr, not gantry/echo' });
  });

  test.each([
    ['/v1/checks?bogus=1', '/bogus'],
    ['/v1/checks?cursor=%%%', '/cursor'],
    ['/v1/checks/anything?format=xml', '/format'],
  ])('GET %s', async (path, pointer) => {
    const res = await call('GET', path);
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.json.errors[0].pointer).toBe(pointer);
  });

  test('unknown checks are 404 problem+json', async () => {
    for (const [method, path] of [['GET', '/v1/checks/nope'], ['POST', '/v1/checks/nope/cancel']]) {
      const res = await call(method, path);
      expect(res.status).toBe(404);
      expect(res.json).toEqual(expect.objectContaining({ status: 404, detail: 'Check nope was not found.' }));
    }
  });
});

test('GET /v1/checks pages newest first, 100 a page, with an absolute next URL', async () => {
  const plan = JSON.stringify({ runs: [], hardware: [], worst_case: { inputs: [] }, deadline_s: 60 });
  const request = JSON.stringify({ input: {}, runs: 2, hardware: [], compare_with: null, worst_case: false, timeout_s: 60 });
  // 105 ended checks, written directly: what the list shows does not depend on how they ran.
  await sql(
    `INSERT INTO checks (id, status, model, version, request, plan, created_at)
     SELECT 'listed' || lpad(g::text, 3, '0'), 'succeeded', 'gantry/echo', 'v', $1::jsonb, $2::jsonb, now() - make_interval(secs => 1000 - g)
     FROM generate_series(1, 105) g`,
    [request, plan],
  );
  const first = await call('GET', '/v1/checks');
  expect(first.status).toBe(200);
  expect(first.json.results).toHaveLength(100);
  expect(first.json.next).toMatch(new RegExp(`^${engine.url}/v1/checks\\?cursor=`));
  const second = await call('GET', first.json.next.replace(engine.url, ''));
  const ids = [...first.json.results, ...second.json.results].map((c: any) => c.id).filter((id: string) => id.startsWith('listed'));
  expect(ids).toHaveLength(105);
  expect(ids[0]).toBe('listed105');
  expect(ids[104]).toBe('listed001');
  expect(second.json.next).toBeNull();
  await sql(`DELETE FROM checks WHERE id LIKE 'listed%'`);
});

test('cancel: the check ends canceled with a partial report; its running prediction is canceled; no run follows', async () => {
  const created = await call('POST', '/v1/checks', { model: 'gantry/echo', input: { text: 'slow', sleep: 20 }, runs: 3, worst_case: false });
  expect(created.status).toBe(201);
  const id = created.json.id;
  const running = await until(async () => {
    const [r] = await sql(`SELECT p.id, p.status FROM check_runs r JOIN predictions p ON p.id = r.prediction_id WHERE r.check_id = $1`, [id]);
    return r?.status === 'processing' ? r : undefined;
  });
  const res = await call('POST', `/v1/checks/${id}/cancel`);
  expect(res.status).toBe(200);
  expect(res.json.status).toBe('canceled');
  expect(res.json.report.stopped).toBe('the check was canceled');
  const p = (await call('GET', `/v1/predictions/${running.id}`)).json;
  expect(p.status).toBe('canceled');
  // Stopped with the check, not a failure of the model: the items that needed it are skipped.
  expect(res.json.report.runs[0]).toEqual(expect.objectContaining({ key: 'consistency.1', prediction_id: running.id, status: 'stopped' }));
  for (const key of ['consistency', 'cold_start', 'runtime', 'timeout_retry', 'cost_per_action']) {
    expect(item(res.json.report, key)).toEqual(expect.objectContaining({ status: 'skipped', summary: 'not run: the check was canceled' }));
  }
  await sleep(2500);
  const made = await sql(`SELECT count(*)::int AS n FROM predictions WHERE tags ->> 'gantry_check' = $1`, [id]);
  expect(made[0].n).toBe(1);
  // Canceling again changes nothing.
  const again = await call('POST', `/v1/checks/${id}/cancel`);
  expect(again.json.status).toBe('canceled');
  expect(again.json.completed_at).toBe(res.json.completed_at);
});

test('webhooks: start, logs after each run, completed with the report; signed like prediction webhooks', async () => {
  const receiver = await startReceiver();
  try {
    const check = await runCheck(call, { model: 'gantry/echo', input: { text: 'hook' }, runs: 2, worst_case: false, webhook: `${receiver.url}/checks` });
    const completed = await receiver.waitFor((d) => d.json?.status === 'succeeded');
    const events = receiver.deliveries.map((d) => d.json.status);
    expect(events[0]).toBe('processing');
    expect(receiver.deliveries.filter((d) => d.json.status === 'processing').length).toBeGreaterThanOrEqual(2);
    expect(completed.json.id).toBe(check.id);
    expect(completed.json.report).toEqual(check.report);
    const secret = (await call('GET', '/v1/webhooks/default/secret')).json.key;
    const verdict = verifyWebhook({
      id: completed.headers['webhook-id'] as string,
      timestamp: completed.headers['webhook-timestamp'] as string,
      signature: completed.headers['webhook-signature'] as string,
      body: completed.body,
      secret,
    });
    expect(verdict.valid).toBe(true);

    const only = await startReceiver();
    const filtered = await runCheck(call, { model: 'gantry/echo', input: {}, runs: 2, worst_case: false, webhook: only.url, webhook_events_filter: ['completed'] });
    await only.waitFor((d) => d.json?.id === filtered.id);
    await sleep(500);
    expect(only.deliveries.map((d) => d.json.status)).toEqual(['succeeded']);
    await only.close();
  } finally {
    await receiver.close();
  }
});

test('a model that misses the deadline: timeout_retry fails after one retry; runtime fails; what the client sees', async () => {
  const check = await runCheck(call, { model: 'gantry/echo', input: { text: 'late', sleep: 6 }, runs: 2, timeout: '5s', worst_case: false }, 120_000);
  const predictions = await predictionsOf(call, check.report);
  const t = item(check.report, 'timeout_retry');
  const [first, retry] = runsOf(check.report, 'timeout_retry').map((r: any) => predictions.get(r.prediction_id));
  expect(first.status).toBe('canceled');
  expect(retry.status).toBe('canceled');
  expect(t.status).toBe('fail');
  expect(t.figures.first).toEqual(expect.objectContaining({ prediction_id: first.id, status: 'canceled', total_time_s: first.metrics.total_time }));
  expect(t.figures.retry).toEqual(expect.objectContaining({ prediction_id: retry.id, status: 'canceled' }));
  expect(t.figures.first.client_sees.replicate_js).toBe('replicate.run() resolves with null: no error is thrown');
  expect(first.metrics.total_time).toBeGreaterThanOrEqual(4.9);
  expect(first.metrics.total_time).toBeLessThan(6);
  const runtime = item(check.report, 'runtime');
  expect(runtime.status).toBe('fail');
  expect(runtime.figures.total_time_s.max).toBeGreaterThan(5);
});

test('a check on a deployment runs there; its warm min instance means no cold start is forced', async () => {
  const echo = (await call('GET', '/v1/models/gantry/echo')).json.latest_version.id;
  expect((await call('POST', '/v1/deployments', { name: 'echo-prod', model: 'gantry/echo', version: echo, hardware: 'cpu', min_instances: 1, max_instances: 1 })).status).toBeLessThan(300);
  await until(async () => ((await call('GET', '/v1/deployments/gantry/echo-prod')).json.instances.some((i: any) => i.state === 'ready') ? true : undefined));
  const check = await runCheck(call, { model: 'gantry/echo', deployment: 'gantry/echo-prod', input: { text: 'd' }, runs: 2, worst_case: false });
  expect(check.deployment).toBe('gantry/echo-prod');
  const predictions = await predictionsOf(call, check.report);
  for (const r of runsOf(check.report, 'consistency')) expect(predictions.get(r.prediction_id).deployment).toBe('gantry/echo-prod');
  const cold = item(check.report, 'cold_start');
  expect(cold.status).toBe('skipped');
  expect(cold.summary).toMatch(/deployment gantry\/echo-prod keeps 1 instance/);
});

test('a check survives an engine crash: it resumes, remakes the interrupted run, and ends', async () => {
  const created = await call('POST', '/v1/checks', { model: 'gantry/echo', input: { text: 'durable', sleep: 1.5 }, runs: 3, worst_case: false });
  const id = created.json.id;
  // Kill the engine while the second run is running.
  await until(async () => {
    const rows = await sql(`SELECT r.run_key, p.status FROM check_runs r JOIN predictions p ON p.id = r.prediction_id WHERE r.check_id = $1`, [id]);
    return rows.some((r) => r.run_key === 'consistency.2' && r.status === 'processing') ? true : undefined;
  });
  await engine.kill();
  const [before] = await sql(`SELECT status FROM checks WHERE id = $1`, [id]);
  expect(before.status).toBe('processing');
  await engine.restart();
  const done = await waitForCheck(call, id, 90_000);
  expect(done.status).toBe('succeeded');
  const report = done.report;
  expect(report.runs.filter((r: any) => r.purpose === 'consistency').map((r: any) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
  const second = report.runs.find((r: any) => r.key === 'consistency.2');
  expect(second.attempt).toBe(2);
  expect(report.superseded_runs).toHaveLength(1);
  const interrupted = (await call('GET', `/v1/predictions/${report.superseded_runs[0].prediction_id}`)).json;
  expect(interrupted.status).toBe('failed');
  expect(interrupted.error).toMatch(/^interrupted/);
  expect(interrupted.tags.gantry_check).toBe(id);
  // Nothing was run twice except the interrupted run, and the totals cover every prediction made.
  const made = await sql(`SELECT id FROM predictions WHERE tags ->> 'gantry_check' = $1`, [id]);
  expect(made.length).toBe(report.totals.predictions);
  const usage = (await call('GET', '/v1/usage?group_by=tag:gantry_check')).json.results.find((r: any) => r.key === id);
  expect(usage.total_usd).toBeCloseTo(report.totals.cost_usd, 9);
}, 150_000);

describe('data retention (GANTRY_DATA_RETENTION=1) applies to checks too', () => {
  let short: EngineHandle;
  let shortClient: CheckedClient;
  beforeAll(async () => {
    short = await startEngine({ env: { GANTRY_DATA_RETENTION: '1' } });
    shortClient = checkedClient(short, { replicate: false });
  }, 90_000);
  afterAll(async () => short?.stop());

  test('an ended check loses its input, its runs\' inputs, output texts and worst-case values; figures stay', async () => {
    const c = shortClient.call;
    const check = await runCheck(c, { model: 'gantry/echo', input: { text: 'private words' }, runs: 2, worst_case: { from_schema: false, inputs: [{ text: 'secret case' }] } });
    expect(check.input.text).toBe('private words');
    const removed = await until(async () => {
      const now = (await c('GET', `/v1/checks/${check.id}`)).json;
      return now.data_removed ? now : undefined;
    }, 20_000);
    expect(removed.input).toEqual({});
    expect(JSON.stringify(removed)).not.toContain('private words');
    expect(JSON.stringify(removed)).not.toContain('secret case');
    const cases = item(removed.report, 'worst_case').figures.cases;
    expect(cases[0].changes).toEqual([{ field: 'text', from: '(removed)', to: '(removed)', why: 'marked by the request' }]);
    // Figures, costs and statuses are kept.
    expect(removed.report.totals).toEqual(check.report.totals);
    expect(item(removed.report, 'consistency').figures).toEqual(item(check.report, 'consistency').figures);
    expect(removed.report.runs.map((r: any) => r.output_digest)).toEqual(check.report.runs.map((r: any) => r.output_digest));
    const texts = await query(short, `SELECT output_text FROM check_runs WHERE check_id = $1`, [check.id]);
    expect(texts.every((t) => t.output_text === null)).toBe(true);
    const md = await c('GET', `/v1/checks/${check.id}?format=markdown`);
    expect(md.text).not.toContain('private words');
  });

  test('every request and answer of the retention engine matches /openapi.json', () => expectConformant(shortClient));
});

test('every request and answer of this file matches /openapi.json', () => expectConformant(client));
