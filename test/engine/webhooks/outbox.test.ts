/**
 * The delivery outbox against a real Postgres and real HTTP receivers: signing on the wire,
 * retries with a stable webhook-id, no redirects, single attempt for intermediate events,
 * restart survival, leases, LISTEN wake-up, two senders without duplicates.
 */
import { validateWebhook } from 'replicate';
import { claimDueDeliveries, enqueueDeliveries, getDelivery, getOrCreateWebhookSecret, listDeliveries } from '../../../engine/src/store/webhooks';
import { WebhookSender, exponentialBackoff, type AttemptReport, type WebhookSenderOptions } from '../../../engine/src/webhooks/outbox';
import { Receiver, freePort, freshDb, sleep, waitUntil, type TestDb } from './helpers';

let t: TestDb;
const senders: WebhookSender[] = [];
const receivers: Receiver[] = [];

beforeAll(async () => {
  t = await freshDb('outbox');
});
afterEach(async () => {
  await Promise.all(senders.splice(0).map((s) => s.stop()));
  await Promise.all(receivers.splice(0).map((r) => r.stop()));
});
afterAll(async () => {
  await t.drop();
});

const fast = exponentialBackoff({ baseMs: 100, factor: 2, capMs: 400, maxTotalMs: 20_000, jitter: 0 });

function sender(opts: WebhookSenderOptions = {}): WebhookSender {
  const s = new WebhookSender(t.db, { pollIntervalMs: 200, schedule: fast, timeoutMs: 2000, ...opts });
  senders.push(s);
  return s;
}

async function receiver(respond?: ConstructorParameters<typeof Receiver>[0], port = 0): Promise<Receiver> {
  const r = await new Receiver(respond).start(port);
  receivers.push(r);
  return r;
}

const body = (n: string) => JSON.stringify({ id: n, status: 'succeeded', output: 'done' });

async function enqueue(url: string, id: string, opts: { retryable?: boolean; event?: string } = {}): Promise<string> {
  const [deliveryId] = await enqueueDeliveries(t.db, [
    { url, event: opts.event ?? 'completed', body: body(id), predictionId: id, retryable: opts.retryable ?? true },
  ]);
  return deliveryId!;
}

const status = async (id: string) => (await getDelivery(t.db, id))!;

test('a delivery arrives signed, with the headers the official client validates', async () => {
  const r = await receiver();
  const s = sender();
  await s.start();
  const id = await enqueue(r.url(), 'p-signed');
  const [req] = await r.waitFor(1);
  const secret = await getOrCreateWebhookSecret(t.db);
  expect(secret).toMatch(/^whsec_/);
  expect(req!.headers['content-type']).toBe('application/json');
  expect(req!.headers['user-agent']).toBe('gantry-webhooks');
  expect(req!.headers['webhook-id']).toBe(id);
  expect(req!.body).toBe(body('p-signed'));
  await expect(
    validateWebhook({
      id: req!.headers['webhook-id'] as string,
      timestamp: req!.headers['webhook-timestamp'] as string,
      signature: req!.headers['webhook-signature'] as string,
      body: req!.body,
      secret,
    }),
  ).resolves.toBe(true);
  await waitUntil(async () => (await status(id)).status === 'delivered');
  const row = await status(id);
  expect(row.attempts).toBe(1);
  expect(row.last_status).toBe(200);
  expect(row.delivered_at).toBeInstanceOf(Date);
});

test('retries after 500s and 4xx with the same webhook-id until a 2xx', async () => {
  const r = await receiver((_req, i) => ({ status: [500, 503, 404][i] ?? 204 }));
  const s = sender();
  await s.start();
  const id = await enqueue(r.url(), 'p-retry');
  const reqs = await r.waitFor(4);
  expect(new Set(reqs.map((q) => q.headers['webhook-id']))).toEqual(new Set([id]));
  expect(new Set(reqs.map((q) => q.body)).size).toBe(1);
  // Backoff grows: 100, 200, 400 ms (no jitter in this schedule).
  const gaps = reqs.slice(1).map((q, i) => q.at - reqs[i]!.at);
  expect(gaps[0]).toBeGreaterThanOrEqual(90);
  expect(gaps[1]).toBeGreaterThanOrEqual(190);
  expect(gaps[2]).toBeGreaterThanOrEqual(390);
  await waitUntil(async () => (await status(id)).status === 'delivered');
  expect((await status(id)).attempts).toBe(4);
  expect(r.requests).toHaveLength(4);
});

test('retries while the receiver is down, delivers once it comes up', async () => {
  const port = await freePort();
  const reports: AttemptReport[] = [];
  const s = sender({ onAttempt: (a) => reports.push(a) });
  await s.start();
  const id = await enqueue(`http://127.0.0.1:${port}/late`, 'p-down');
  await waitUntil(async () => (await status(id)).attempts >= 2);
  const row = await status(id);
  expect(row.status).toBe('pending');
  expect(row.last_error).toMatch(/ECONNREFUSED/);
  const r = await receiver(undefined, port);
  await r.waitFor(1);
  await waitUntil(async () => (await status(id)).status === 'delivered');
  expect(r.requests[0]!.headers['webhook-id']).toBe(id);
  expect(reports.filter((a) => a.outcome === 'retry').length).toBeGreaterThanOrEqual(2);
});

test('redirects are not followed; a 3xx is a failure', async () => {
  const target = await receiver();
  const r = await receiver(() => ({ status: 302, headers: { location: target.url('/elsewhere') } }));
  const s = sender({ schedule: exponentialBackoff({ baseMs: 50, capMs: 50, maxTotalMs: 400, jitter: 0 }) });
  await s.start();
  const id = await enqueue(r.url(), 'p-redirect');
  await waitUntil(async () => (await status(id)).status === 'dead');
  const row = await status(id);
  expect(row.attempts).toBeGreaterThan(1);
  expect(row.last_status).toBe(302);
  expect(row.last_error).toMatch(/redirect not followed/);
  expect(target.requests).toHaveLength(0);
});

test('a terminal webhook that never succeeds goes dead when the schedule ends', async () => {
  const r = await receiver(() => ({ status: 500 }));
  const s = sender({ schedule: exponentialBackoff({ baseMs: 50, capMs: 100, maxTotalMs: 600, jitter: 0 }) });
  await s.start();
  const id = await enqueue(r.url(), 'p-dead');
  await waitUntil(async () => (await status(id)).status === 'dead');
  const row = await status(id);
  expect(row.last_error).toBe('HTTP 500');
  expect(row.attempts).toBe(r.requests.length);
  expect(row.attempts).toBeGreaterThanOrEqual(4);
  await sleep(300);
  expect(r.requests.length).toBe(row.attempts);
});

test('intermediate events get exactly one attempt', async () => {
  const r = await receiver(() => ({ status: 500 }));
  const s = sender();
  await s.start();
  const id = await enqueue(r.url(), 'p-output', { retryable: false, event: 'output' });
  await waitUntil(async () => (await status(id)).status === 'dead');
  await sleep(500);
  expect(r.requests).toHaveLength(1);
  expect((await status(id)).attempts).toBe(1);
});

test('survives a restart: stop the sender mid-retry, a new sender delivers with the same id', async () => {
  let fail = true;
  const r = await receiver(() => ({ status: fail ? 500 : 200 }));
  const first = sender({ schedule: exponentialBackoff({ baseMs: 1500, capMs: 1500, maxTotalMs: 60_000, jitter: 0 }) });
  await first.start();
  const id = await enqueue(r.url(), 'p-restart');
  await waitUntil(async () => (await status(id)).attempts === 1 && (await status(id)).last_status === 500);
  await first.stop();
  fail = false;
  const second = sender();
  await second.start();
  await waitUntil(async () => (await status(id)).status === 'delivered');
  expect(r.requests).toHaveLength(2);
  expect(r.requests.map((q) => q.headers['webhook-id'])).toEqual([id, id]);
});

test('a row leased by a sender that died becomes due again when the lease expires', async () => {
  const r = await receiver();
  const id = await enqueue(r.url(), 'p-lease');
  // A "crashed" sender claims the row and never finishes.
  const claimed = await claimDueDeliveries(t.db, 'crashed-sender', 10, 700);
  expect(claimed.map((c) => c.id)).toContain(id);
  const s = sender();
  await s.start();
  await sleep(400);
  expect(r.requests).toHaveLength(0); // still leased
  await waitUntil(async () => (await status(id)).status === 'delivered', 5000);
  const row = await status(id);
  expect(row.attempts).toBe(2);
  expect(row.lease_owner).toBeNull();
  expect(r.requests).toHaveLength(1);
});

test('NOTIFY wakes the sender without waiting for a poll', async () => {
  const r = await receiver();
  const s = sender({ pollIntervalMs: 60_000 });
  await s.start();
  await sleep(100);
  const before = Date.now();
  await enqueue(r.url(), 'p-notify');
  await r.waitFor(1, 3000);
  expect(Date.now() - before).toBeLessThan(1000);
});

test('two senders share the outbox without sending any attempt twice', async () => {
  const r = await receiver();
  const a = sender({ concurrency: 4 });
  const b = sender({ concurrency: 4 });
  const n = 60;
  await enqueueDeliveries(
    t.db,
    Array.from({ length: n }, (_, i) => ({ url: r.url(`/many/${i}`), event: 'completed', body: body(`p-many-${i}`), predictionId: `p-many-${i}`, retryable: true })),
  );
  await Promise.all([a.start(), b.start()]);
  await r.waitFor(n);
  await sleep(400);
  expect(r.requests).toHaveLength(n);
  expect(new Set(r.requests.map((q) => q.headers['webhook-id'])).size).toBe(n);
  const rows = (await listDeliveries(t.db, { limit: 10_000 })).filter((d) => d.prediction_id?.startsWith('p-many-'));
  expect(rows.every((d) => d.status === 'delivered' && d.attempts === 1)).toBe(true);
});

test('a slow receiver times out and the attempt counts as a failure', async () => {
  const slow = await receiver();
  // Replace the handler with one that never answers in time.
  const port = slow.port;
  await slow.stop();
  const http = await import('node:http');
  const hang = http.createServer(() => undefined);
  await new Promise<void>((res) => hang.listen(port, '127.0.0.1', () => res()));
  try {
    const s = sender({ timeoutMs: 300 });
    await s.start();
    const id = await enqueue(`http://127.0.0.1:${port}/slow`, 'p-slow', { retryable: false, event: 'start' });
    await waitUntil(async () => (await status(id)).status === 'dead', 5000);
    expect((await status(id)).last_error).toBe('timed out after 300 ms');
  } finally {
    hang.closeAllConnections();
    await new Promise((res) => hang.close(res));
  }
});

test('the default schedule retries for at least 30 minutes, capped at 5 minutes apart', () => {
  for (const random of [() => 0, () => 0.5, () => 0.999]) {
    const schedule = exponentialBackoff({ random });
    let elapsed = 0;
    let attempt = 1;
    const delays: number[] = [];
    for (;;) {
      const d = schedule.next(attempt, elapsed);
      if (d === null) break;
      delays.push(d);
      elapsed += d;
      attempt++;
    }
    expect(elapsed).toBeGreaterThanOrEqual(30 * 60_000);
    expect(elapsed).toBeLessThanOrEqual(35 * 60_000);
    expect(Math.max(...delays)).toBeLessThanOrEqual(5 * 60_000 * 1.2);
    expect(delays[0]).toBeLessThanOrEqual(1200);
    expect(attempt).toBeGreaterThan(10);
  }
});

test('the sender reopens its LISTEN connection after losing it', async () => {
  const r = await receiver();
  const errors: Error[] = [];
  const s = sender({ pollIntervalMs: 60_000, listenRetryMs: 200, onError: (e) => errors.push(e) });
  await s.start();
  const killed = await t.db.query<{ ok: boolean }>(
    `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'gantry-webhook-listener'`,
  );
  expect(killed).toHaveLength(1);
  await waitUntil(() => errors.length > 0, 3000);
  await waitUntil(
    async () =>
      (await t.db.query(
        `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'gantry-webhook-listener' AND query = 'LISTEN gantry_webhooks'`,
      )).length === 1,
    3000,
  );
  const before = Date.now();
  await enqueue(r.url(), 'p-relisten');
  await r.waitFor(1, 3000);
  expect(Date.now() - before).toBeLessThan(1000);
});
