/**
 * Webhook persistence: the account signing secret, the delivery outbox and subscriptions.
 *
 * Outbox protocol (see migration 0002):
 * - `enqueueDeliveries` inserts pending rows and NOTIFYs `WEBHOOK_CHANNEL` (delivered at commit
 *   when called inside a transaction), so a listening sender wakes at once.
 * - `claimDueDeliveries` takes due rows with `FOR UPDATE SKIP LOCKED`, counts the attempt, and
 *   leases each row by pushing `next_attempt_at` forward and stamping `lease_owner`. Two senders
 *   never hold the same row at once; a sender that dies leaves a row that is due again after
 *   the lease.
 * - `markDelivered` / `scheduleRetry` / `markDead` only apply while the caller still holds the
 *   lease for that very attempt (fencing), so a sender whose lease ran out cannot overwrite the
 *   result of a newer attempt.
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { Db, Queryable } from './db';
import { generateWebhookSecret } from '../webhooks/sign';

export const WEBHOOK_CHANNEL = 'gantry_webhooks';
/** `application_name` of the LISTEN connection (visible in pg_stat_activity). */
export const LISTENER_APPLICATION_NAME = 'gantry-webhook-listener';

export type DeliveryStatus = 'pending' | 'delivered' | 'dead';

export interface DeliveryRow {
  id: string;
  /** Insertion order (bigserial, returned by pg as a string). */
  seq: string;
  url: string;
  event: string;
  body: string;
  prediction_id: string | null;
  retryable: boolean;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: Date;
  lease_owner: string | null;
  last_error: string | null;
  last_status: number | null;
  created_at: Date;
  delivered_at: Date | null;
  updated_at: Date;
}

export interface NewDelivery {
  /** Defaults to a fresh `msg_…` id. */
  id?: string;
  url: string;
  event: string;
  /** The exact JSON text to send. */
  body: string;
  predictionId?: string | null;
  /** Terminal events are retried; intermediate ones get a single attempt. */
  retryable: boolean;
}

export interface SubscriptionRow {
  id: string;
  url: string;
  events: string[];
  model: string | null;
  deployment: string | null;
  /** The non-admin token that made it: it then receives only that token's predictions. */
  owner_token_id: string | null;
  created_at: Date;
}

/** A random lowercase base32 id with a prefix, e.g. `msg_3k9…`. */
export function newId(prefix: string): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  const bytes = randomBytes(20);
  let out = '';
  for (const b of bytes) out += alphabet[b & 31];
  return `${prefix}_${out}`;
}

// ---------------------------------------------------------------------------------------------
// Secret

/** The account's signing secret, generated and stored on first use (race-safe). */
export async function getOrCreateWebhookSecret(q: Queryable): Promise<string> {
  const existing = await q.query<{ key: string }>('SELECT key FROM webhook_secret WHERE singleton');
  if (existing[0]) return existing[0].key;
  await q.query('INSERT INTO webhook_secret (singleton, key) VALUES (true, $1) ON CONFLICT (singleton) DO NOTHING', [
    generateWebhookSecret(),
  ]);
  const rows = await q.query<{ key: string }>('SELECT key FROM webhook_secret WHERE singleton');
  return rows[0]!.key;
}

/** Replaces the signing secret with a fresh one and returns it. */
export async function rotateWebhookSecret(q: Queryable): Promise<string> {
  const key = generateWebhookSecret();
  await q.query(
    `INSERT INTO webhook_secret (singleton, key) VALUES (true, $1)
     ON CONFLICT (singleton) DO UPDATE SET key = EXCLUDED.key, created_at = now()`,
    [key],
  );
  return key;
}

// ---------------------------------------------------------------------------------------------
// Outbox

/** Inserts pending deliveries (due now) and wakes listening senders. Returns the rows' ids. */
export async function enqueueDeliveries(q: Queryable, deliveries: NewDelivery[]): Promise<string[]> {
  if (deliveries.length === 0) return [];
  const ids = deliveries.map((d) => d.id ?? newId('msg'));
  await q.query(
    `INSERT INTO webhook_deliveries (id, url, event, body, prediction_id, retryable)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::boolean[])`,
    [
      ids,
      deliveries.map((d) => d.url),
      deliveries.map((d) => d.event),
      deliveries.map((d) => d.body),
      deliveries.map((d) => d.predictionId ?? null),
      deliveries.map((d) => d.retryable),
    ],
  );
  await q.query('SELECT pg_notify($1, $2)', [WEBHOOK_CHANNEL, String(ids.length)]);
  return ids;
}

/** A claimed row; `age_ms` is its age by the database clock (for the retry budget). */
export interface ClaimedDelivery extends DeliveryRow {
  age_ms: number;
}

/**
 * Claims up to `limit` due deliveries for `owner`, counting the attempt and leasing each row for
 * `leaseMs`. The returned rows carry the new `attempts` value (1 for a first attempt).
 */
export async function claimDueDeliveries(q: Queryable, owner: string, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
  if (limit <= 0) return [];
  return q.query<ClaimedDelivery>(
    `WITH due AS (
       SELECT id FROM webhook_deliveries
        WHERE status = 'pending' AND next_attempt_at <= clock_timestamp()
        ORDER BY next_attempt_at, seq
        LIMIT $2
        FOR UPDATE SKIP LOCKED
     )
     UPDATE webhook_deliveries d
        SET attempts = d.attempts + 1,
            lease_owner = $1,
            next_attempt_at = clock_timestamp() + $3 * interval '1 millisecond',
            updated_at = clock_timestamp()
       FROM due
      WHERE d.id = due.id
     RETURNING d.*, (EXTRACT(EPOCH FROM (clock_timestamp() - d.created_at)) * 1000)::float8 AS age_ms`,
    [owner, limit, leaseMs],
  );
}

/** Held = the row is still pending, leased by `owner`, at attempt `attempt`. */
const HELD = `id = $1 AND status = 'pending' AND lease_owner = $2 AND attempts = $3`;

export interface AttemptOutcome {
  /** HTTP status of the response, when one came back. */
  status?: number | null;
  error?: string | null;
}

export async function markDelivered(q: Queryable, id: string, owner: string, attempt: number, status: number): Promise<boolean> {
  const rows = await q.query(
    `UPDATE webhook_deliveries
        SET status = 'delivered', delivered_at = clock_timestamp(), updated_at = clock_timestamp(),
            last_status = $4, last_error = NULL, lease_owner = NULL
      WHERE ${HELD} RETURNING id`,
    [id, owner, attempt, status],
  );
  return rows.length > 0;
}

export async function scheduleRetry(
  q: Queryable,
  id: string,
  owner: string,
  attempt: number,
  delayMs: number,
  outcome: AttemptOutcome,
): Promise<boolean> {
  const rows = await q.query(
    `UPDATE webhook_deliveries
        SET next_attempt_at = clock_timestamp() + $4 * interval '1 millisecond', updated_at = clock_timestamp(),
            last_status = $5, last_error = $6, lease_owner = NULL
      WHERE ${HELD} RETURNING id`,
    [id, owner, attempt, Math.max(0, Math.round(delayMs)), outcome.status ?? null, outcome.error ?? null],
  );
  return rows.length > 0;
}

export async function markDead(q: Queryable, id: string, owner: string, attempt: number, outcome: AttemptOutcome): Promise<boolean> {
  const rows = await q.query(
    `UPDATE webhook_deliveries
        SET status = 'dead', updated_at = clock_timestamp(),
            last_status = $4, last_error = $5, lease_owner = NULL
      WHERE ${HELD} RETURNING id`,
    [id, owner, attempt, outcome.status ?? null, outcome.error ?? null],
  );
  return rows.length > 0;
}

export async function getDelivery(q: Queryable, id: string): Promise<DeliveryRow | undefined> {
  return (await q.query<DeliveryRow>('SELECT * FROM webhook_deliveries WHERE id = $1', [id]))[0];
}

export async function listDeliveries(
  q: Queryable,
  filter: { predictionId?: string; status?: DeliveryStatus; limit?: number } = {},
): Promise<DeliveryRow[]> {
  return q.query<DeliveryRow>(
    `SELECT * FROM webhook_deliveries
      WHERE ($1::text IS NULL OR prediction_id = $1) AND ($2::text IS NULL OR status = $2)
      ORDER BY seq LIMIT $3`,
    [filter.predictionId ?? null, filter.status ?? null, filter.limit ?? 1000],
  );
}

/** Milliseconds until the earliest pending delivery is due (null when none), for a sender's timer. */
export async function nextDueInMs(q: Queryable): Promise<number | null> {
  const rows = await q.query<{ ms: number | null }>(
    `SELECT GREATEST(0, EXTRACT(EPOCH FROM (min(next_attempt_at) - clock_timestamp())) * 1000)::float8 AS ms
       FROM webhook_deliveries WHERE status = 'pending'`,
  );
  return rows[0]?.ms ?? null;
}

/** Deletes delivered and dead rows older than `olderThanMs`; returns how many. */
export async function pruneDeliveries(q: Queryable, olderThanMs: number): Promise<number> {
  const rows = await q.query(
    `DELETE FROM webhook_deliveries
      WHERE status <> 'pending' AND updated_at < clock_timestamp() - $1 * interval '1 millisecond' RETURNING id`,
    [olderThanMs],
  );
  return rows.length;
}

// ---------------------------------------------------------------------------------------------
// Wake-up channel

export interface DeliveryListener {
  close(): Promise<void>;
}

/**
 * LISTENs on `WEBHOOK_CHANNEL` over a dedicated connection (not from the pool, which would hand
 * the session to others). `onWake` runs on every notification; `onError` when the connection
 * fails (the listener is then dead; the caller may open a new one).
 */
export async function listenForDeliveries(db: Db, onWake: () => void, onError: (err: Error) => void): Promise<DeliveryListener> {
  const client = new Client({ connectionString: db.directUrl, application_name: LISTENER_APPLICATION_NAME });
  let closed = false;
  client.on('notification', (msg) => {
    if (msg.channel === WEBHOOK_CHANNEL) onWake();
  });
  const fail = (err: Error) => {
    if (closed) return;
    closed = true;
    client.end().catch(() => undefined);
    onError(err);
  };
  client.on('error', fail);
  client.on('end', () => fail(new Error('webhook listener connection ended')));
  try {
    await client.connect();
    await client.query(`LISTEN ${WEBHOOK_CHANNEL}`);
  } catch (err) {
    closed = true;
    await client.end().catch(() => undefined);
    throw err;
  }
  return {
    async close() {
      if (closed) return;
      closed = true;
      await client.end().catch(() => undefined);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Subscriptions

export interface NewSubscription {
  url: string;
  events: string[];
  model?: string | null;
  deployment?: string | null;
  ownerTokenId?: string | null;
}

export async function createSubscription(q: Queryable, sub: NewSubscription): Promise<SubscriptionRow> {
  const rows = await q.query<SubscriptionRow>(
    `INSERT INTO webhook_subscriptions (id, url, events, model, deployment, owner_token_id) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
    [newId('whk'), sub.url, sub.events, sub.model ?? null, sub.deployment ?? null, sub.ownerTokenId ?? null],
  );
  return rows[0]!;
}

/** Newest first; `ownerTokenId` keeps only the subscriptions that token made. */
export async function listSubscriptions(q: Queryable, ownerTokenId?: string): Promise<SubscriptionRow[]> {
  if (ownerTokenId) {
    return q.query<SubscriptionRow>('SELECT * FROM webhook_subscriptions WHERE owner_token_id = $1 ORDER BY created_at DESC, id DESC', [ownerTokenId]);
  }
  return q.query<SubscriptionRow>('SELECT * FROM webhook_subscriptions ORDER BY created_at DESC, id DESC');
}

export async function getSubscription(q: Queryable, id: string): Promise<SubscriptionRow | undefined> {
  return (await q.query<SubscriptionRow>('SELECT * FROM webhook_subscriptions WHERE id = $1', [id]))[0];
}

export async function deleteSubscription(q: Queryable, id: string): Promise<boolean> {
  return (await q.query('DELETE FROM webhook_subscriptions WHERE id = $1 RETURNING id', [id])).length > 0;
}

/**
 * Subscriptions that want `event` for a prediction of `model` (and `deployment`, when it ran on
 * one). A subscription's null model/deployment matches anything; set fields must all match.
 */
export async function findMatchingSubscriptions(
  q: Queryable,
  match: { model: string | null; deployment?: string | null; event: string },
): Promise<SubscriptionRow[]> {
  return q.query<SubscriptionRow>(
    `SELECT * FROM webhook_subscriptions
      WHERE $3 = ANY (events)
        AND (model IS NULL OR model = $1)
        AND (deployment IS NULL OR deployment = $2)
      ORDER BY created_at, id`,
    [match.model, match.deployment ?? null, match.event],
  );
}
