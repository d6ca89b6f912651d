/**
 * Dispatcher and repository on a real Postgres: subscriptions CRUD and matching, the secret,
 * throttled output/logs with trailing flush, completed always sent, fan-out rows, and the full
 * path through a running sender to real receivers.
 */
import {
  createSubscription,
  deleteSubscription,
  findMatchingSubscriptions,
  getOrCreateWebhookSecret,
  getSubscription,
  listDeliveries,
  listSubscriptions,
  rotateWebhookSecret,
} from '../../../engine/src/store/webhooks';
import { WebhookDispatcher } from '../../../engine/src/webhooks/dispatch';
import type { WebhookPrediction } from '../../../engine/src/webhooks/events';
import { WebhookSender, exponentialBackoff } from '../../../engine/src/webhooks/outbox';
import { verifyWebhook } from '../../../engine/src/webhooks/sign';
import { Receiver, freshDb, sleep, waitUntil, type TestDb } from './helpers';

let t: TestDb;
beforeAll(async () => {
  t = await freshDb('dispatch');
});
afterAll(async () => {
  await t.drop();
});
beforeEach(async () => {
  await t.db.query('DELETE FROM webhook_subscriptions');
  await t.db.query('DELETE FROM webhook_deliveries');
});

const pred = (id: string, over: Partial<WebhookPrediction> = {}): WebhookPrediction => ({
  id,
  status: 'processing',
  model: 'acme/sdxl',
  deployment: null,
  webhook: `https://hooks.example/${id}`,
  webhook_events_filter: null,
  ...over,
});

test('the secret is created once, shared by concurrent callers, and can be rotated', async () => {
  const secrets = await Promise.all(Array.from({ length: 8 }, () => getOrCreateWebhookSecret(t.db)));
  expect(new Set(secrets).size).toBe(1);
  expect(secrets[0]).toMatch(/^whsec_/);
  const rotated = await rotateWebhookSecret(t.db);
  expect(rotated).not.toBe(secrets[0]);
  expect(await getOrCreateWebhookSecret(t.db)).toBe(rotated);
});

test('subscriptions CRUD and matching', async () => {
  const all = await createSubscription(t.db, { url: 'https://s/all', events: ['completed'] });
  const model = await createSubscription(t.db, { url: 'https://s/model', events: ['start', 'completed'], model: 'acme/sdxl' });
  const dep = await createSubscription(t.db, { url: 'https://s/dep', events: ['completed'], deployment: 'acme/prod' });
  await createSubscription(t.db, { url: 'https://s/other', events: ['completed'], model: 'acme/other' });
  expect(all.id).toMatch(/^whk_[a-z2-7]{20}$/);
  expect(await getSubscription(t.db, model.id)).toMatchObject({ url: 'https://s/model', events: ['start', 'completed'], model: 'acme/sdxl', deployment: null });
  expect((await listSubscriptions(t.db)).map((s) => s.url)).toEqual(['https://s/other', 'https://s/dep', 'https://s/model', 'https://s/all']);

  const urls = async (m: { model: string | null; deployment?: string | null; event: string }) =>
    (await findMatchingSubscriptions(t.db, m)).map((s) => s.url);
  expect(await urls({ model: 'acme/sdxl', event: 'completed' })).toEqual(['https://s/all', 'https://s/model']);
  expect(await urls({ model: 'acme/sdxl', deployment: 'acme/prod', event: 'completed' })).toEqual(['https://s/all', 'https://s/model', 'https://s/dep']);
  expect(await urls({ model: 'acme/sdxl', event: 'start' })).toEqual(['https://s/model']);
  expect(await urls({ model: 'acme/sdxl', event: 'logs' })).toEqual([]);

  expect(await deleteSubscription(t.db, dep.id)).toBe(true);
  expect(await deleteSubscription(t.db, dep.id)).toBe(false);
  expect(await getSubscription(t.db, dep.id)).toBeUndefined();
});

test('fan-out enqueues one row per target; only completed rows are retryable', async () => {
  await createSubscription(t.db, { url: 'https://s/model', events: ['start', 'completed'], model: 'acme/sdxl' });
  const d = new WebhookDispatcher(t.db);
  const p = pred('p-fan');
  expect(await d.emit(p, 'start', { id: 'p-fan', status: 'processing' })).toHaveLength(2);
  expect(await d.emit({ ...p, status: 'succeeded' }, 'completed', { id: 'p-fan', status: 'succeeded' })).toHaveLength(2);
  const rows = await listDeliveries(t.db, { predictionId: 'p-fan' });
  expect(rows.map((r) => [r.event, r.url, r.retryable])).toEqual([
    ['start', 'https://hooks.example/p-fan', false],
    ['start', 'https://s/model', false],
    ['completed', 'https://hooks.example/p-fan', true],
    ['completed', 'https://s/model', true],
  ]);
  expect(rows[2]!.body).toBe('{"id":"p-fan","status":"succeeded"}');
  d.close();
});

test('a filter restricts what the prediction webhook gets; no webhook and no subscription means no rows', async () => {
  const d = new WebhookDispatcher(t.db);
  expect(await d.emit(pred('p-filter', { webhook_events_filter: ['completed'] }), 'start', {})).toEqual([]);
  expect(await d.emit(pred('p-none', { webhook: null }), 'start', {})).toEqual([]);
  expect(await d.emit(pred('p-filter', { status: 'failed', webhook_events_filter: ['completed'] }), 'completed', {})).toHaveLength(1);
  d.close();
});

test('output is throttled to one per 500 ms; the newest throttled state is flushed at the window end', async () => {
  const d = new WebhookDispatcher(t.db);
  const p = pred('p-throttle');
  const t0 = Date.now();
  expect(await d.emit(p, 'output', { output: 'a' })).toHaveLength(1);
  expect(await d.emit(p, 'output', { output: 'ab' })).toHaveLength(0);
  expect(await d.emit(p, 'output', { output: 'abc' })).toHaveLength(0);
  expect(d.pendingCount).toBe(1);
  // logs are throttled separately
  expect(await d.emit(p, 'logs', { logs: 'x' })).toHaveLength(1);
  await waitUntil(async () => (await listDeliveries(t.db, { predictionId: 'p-throttle' })).length === 3, 2000);
  const rows = await listDeliveries(t.db, { predictionId: 'p-throttle' });
  expect(rows.map((r) => [r.event, r.body])).toEqual([
    ['output', '{"output":"a"}'],
    ['logs', '{"logs":"x"}'],
    ['output', '{"output":"abc"}'],
  ]);
  expect(rows[2]!.created_at.getTime() - rows[0]!.created_at.getTime()).toBeGreaterThanOrEqual(450);
  expect(Date.now() - t0).toBeGreaterThanOrEqual(450);
  expect(d.pendingCount).toBe(0);
  d.close();
});

test('completed is always sent and supersedes a pending throttled update', async () => {
  await createSubscription(t.db, { url: 'https://s/output-only', events: ['output'] });
  const d = new WebhookDispatcher(t.db);
  const p = pred('p-final');
  await d.emit(p, 'output', { output: 1 });
  await d.emit(p, 'output', { output: 2 }); // throttled
  const ids = await d.emit({ ...p, status: 'succeeded' }, 'completed', { output: 3, status: 'succeeded' });
  // The prediction's own webhook gets completed (final state); the output-only subscriber gets the last state as output.
  expect(ids).toHaveLength(2);
  expect(d.pendingCount).toBe(0);
  await sleep(700); // no trailing flush after completion
  const rows = await listDeliveries(t.db, { predictionId: 'p-final' });
  expect(rows.map((r) => [r.event, r.url, r.body])).toEqual([
    ['output', 'https://hooks.example/p-final', '{"output":1}'],
    ['output', 'https://s/output-only', '{"output":1}'],
    ['output', 'https://s/output-only', '{"output":3,"status":"succeeded"}'],
    ['completed', 'https://hooks.example/p-final', '{"output":3,"status":"succeeded"}'],
  ]);
  // Output after the end is dropped.
  expect(await d.emit({ ...p, status: 'succeeded' }, 'output', {})).toEqual([]);
  d.close();
});

test('emit inside a transaction commits with it (and rolls back with it)', async () => {
  const d = new WebhookDispatcher(t.db);
  await expect(
    t.db.tx(async (q) => {
      await d.emit(pred('p-tx', { status: 'succeeded' }), 'completed', {}, q);
      throw new Error('rollback');
    }),
  ).rejects.toThrow('rollback');
  expect(await listDeliveries(t.db, { predictionId: 'p-tx' })).toHaveLength(0);
  await t.db.tx((q) => d.emit(pred('p-tx', { status: 'succeeded' }), 'completed', {}, q));
  expect(await listDeliveries(t.db, { predictionId: 'p-tx' })).toHaveLength(1);
  d.close();
});

test('end to end: a prediction lifecycle reaches a real receiver, signed, in order', async () => {
  const r = await new Receiver().start();
  const sub = await new Receiver().start();
  await createSubscription(t.db, { url: sub.url('/sub'), events: ['completed'], model: 'acme/sdxl' });
  const sender = new WebhookSender(t.db, { pollIntervalMs: 200, schedule: exponentialBackoff({ baseMs: 50, jitter: 0 }) });
  await sender.start();
  const d = new WebhookDispatcher(t.db);
  try {
    const p = pred('p-e2e', { webhook: r.url('/p') });
    await d.emit(p, 'start', { id: 'p-e2e', status: 'processing' });
    await r.waitFor(1);
    await d.emit(p, 'logs', { id: 'p-e2e', status: 'processing', logs: 'step 1' });
    await r.waitFor(2);
    await d.emit({ ...p, status: 'succeeded' }, 'completed', { id: 'p-e2e', status: 'succeeded', output: 'ok' });
    await r.waitFor(3);
    await sub.waitFor(1);
    const secret = await getOrCreateWebhookSecret(t.db);
    for (const q of [...r.requests, ...sub.requests]) {
      const v = verifyWebhook({
        id: q.headers['webhook-id'] as string,
        timestamp: q.headers['webhook-timestamp'] as string,
        signature: q.headers['webhook-signature'] as string,
        body: q.body,
        secret,
      });
      expect(v).toEqual({ valid: true });
    }
    expect(r.requests.map((q) => JSON.parse(q.body).status)).toEqual(['processing', 'processing', 'succeeded']);
    expect(sub.requests[0]!.body).toBe('{"id":"p-e2e","status":"succeeded","output":"ok"}');
    expect(sub.requests[0]!.headers['webhook-id']).not.toBe(r.requests[2]!.headers['webhook-id']);
  } finally {
    d.close();
    await sender.stop();
    await r.stop();
    await sub.stop();
  }
});
