/**
 * Predictions and trainings. Every status change goes through here and NOTIFYs
 * `gantry_prediction` with the id, which is how waiting requests, streams and webhooks learn
 * about it in any process.
 */
import type { Db, Queryable } from './db';
import { CURSOR_AT } from './cursor';
import type { Kind, PredictionRow, Status } from '../core/prediction';
import type { Cost } from '../core/pricing';

export const PREDICTION_CHANNEL = 'gantry_prediction';

export interface NewPrediction {
  id: string;
  kind: Kind;
  model: string;
  version: string;
  deployment: string | null;
  destination: string | null;
  input: Record<string, unknown>;
  hardware: string;
  deadline: Date | null;
  webhook: string | null;
  webhookEventsFilter: string[] | null;
  tags: Record<string, string>;
  tokenId: string | null;
  /** The X-Request-Id of the create (log lines about the prediction carry it). */
  requestId?: string | null;
  streamKey: string | null;
  /**
   * The worker that takes it at once, in the same statement that accepts it (the local paths):
   * stored as its first attempt, owned by that worker, and already `processing` when a warm slot
   * was free (`started`).
   */
  ownedBy?: { workerId: string; started: boolean };
}

export async function insertPrediction(db: Db, p: NewPrediction): Promise<PredictionRow> {
  const [row] = await db.query<PredictionRow>(
    `INSERT INTO predictions (id, kind, model, version, deployment, destination, input, status, hardware, deadline,
       webhook, webhook_events_filter, tags, token_id, stream_key, worker_id, started_at, attempts, request_id)
     VALUES ($1,$2,$3,$4,$5,$6,$7, CASE WHEN $16 THEN 'processing' ELSE 'starting' END,$8,$9,$10,$11,$12,$13,$14,
       $15, CASE WHEN $16 THEN clock_timestamp() END, CASE WHEN $15::text IS NULL THEN 0 ELSE 1 END, $17)
     RETURNING *`,
    [
      p.id, p.kind, p.model, p.version, p.deployment, p.destination, JSON.stringify(p.input), p.hardware, p.deadline,
      p.webhook, p.webhookEventsFilter, JSON.stringify(p.tags), p.tokenId, p.streamKey,
      p.ownedBy?.workerId ?? null, p.ownedBy?.started ?? false, p.requestId ?? null,
    ],
    'insert-prediction-v2',
  );
  return row;
}

export async function getPrediction(db: Queryable, id: string, kind?: Kind): Promise<PredictionRow | undefined> {
  const rows = kind
    ? await db.query<PredictionRow>('SELECT * FROM predictions WHERE id = $1 AND kind = $2', [id, kind], 'get-prediction-kind')
    : await db.query<PredictionRow>('SELECT * FROM predictions WHERE id = $1', [id], 'get-prediction');
  return rows[0];
}

export interface Cursor {
  createdAt: string;
  id: string;
}

/** What a prediction list may be narrowed to; every field given must match. */
export interface PredictionFilter {
  createdAfter?: Date;
  createdBefore?: Date;
  /** `owner/name` of the model. */
  model?: string;
  /** `owner/name` of the deployment. */
  deployment?: string;
  /** Any of these statuses. */
  statuses?: Status[];
  /** Every one of these tags (jsonb containment, served by the GIN index of migration 0013). */
  tags?: Record<string, string>;
  /** Only this token's (what a non-admin token may see). */
  tokenId?: string;
}

/** Newest first, keyset-paginated on (created_at, id). */
export async function listPredictions(
  db: Db,
  kind: Kind,
  limit: number,
  cursor?: Cursor,
  filter: PredictionFilter = {},
): Promise<Array<PredictionRow & { cursor_at: string }>> {
  const where = ['kind = $1'];
  const params: unknown[] = [kind];
  const add = (clause: (n: number) => string, value: unknown) => {
    params.push(value);
    where.push(clause(params.length));
  };
  if (filter.tokenId) add((n) => `token_id = $${n}`, filter.tokenId);
  if (cursor) {
    params.push(cursor.createdAt, cursor.id);
    where.push(`(created_at, id) < ($${params.length - 1}::timestamptz, $${params.length})`);
  }
  if (filter.createdAfter) add((n) => `created_at > $${n}`, filter.createdAfter);
  if (filter.createdBefore) add((n) => `created_at < $${n}`, filter.createdBefore);
  if (filter.model) add((n) => `model = $${n}`, filter.model);
  if (filter.deployment) add((n) => `deployment = $${n}`, filter.deployment);
  if (filter.statuses?.length) add((n) => `status = ANY($${n}::text[])`, filter.statuses);
  if (filter.tags && Object.keys(filter.tags).length) add((n) => `tags @> $${n}::jsonb`, JSON.stringify(filter.tags));
  params.push(limit);
  return db.query<PredictionRow & { cursor_at: string }>(
    `SELECT *, ${CURSOR_AT} FROM predictions WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
    params,
  );
}

/**
 * A worker that owns its claims: not stopped (or declared lost) and heartbeating within
 * `$secs` seconds. A prediction claimed by such a worker is taken by nobody else.
 */
const LIVE_OWNER = (secs: string) => `EXISTS (SELECT 1 FROM workers w WHERE w.id = p.worker_id AND w.stopped_at IS NULL
  AND w.heartbeat_at > clock_timestamp() - make_interval(secs => ${secs}))`;

/**
 * Claims a queued prediction for a worker. Returns undefined when it is no longer \`starting\`, or
 * when another live worker (or this one) claimed it already and waits for an instance: a
 * prediction is only taken over from a worker that is gone, so a duplicate job (the reconciler's,
 * a stalled job handed over) never runs it twice.
 */
export async function claimForStart(db: Db, id: string, workerId: string, staleSeconds: number): Promise<PredictionRow | undefined> {
  const [row] = await db.query<PredictionRow>(
    `UPDATE predictions p SET attempts = attempts + 1, worker_id = $2
     WHERE id = $1 AND status = 'starting' AND (worker_id IS NULL OR NOT ${LIVE_OWNER('$3')})
     RETURNING *`,
    [id, workerId, staleSeconds],
    'claim-for-start',
  );
  return row;
}

/**
 * Starts a claimed prediction, only for the worker that claimed it: a worker declared lost whose
 * claims were handed back cannot start one that another worker took meanwhile.
 */
export async function markProcessing(db: Db, id: string, workerId: string, metrics: Record<string, unknown>): Promise<PredictionRow | undefined> {
  const [row] = await db.query<PredictionRow>(
    `UPDATE predictions SET status = 'processing', started_at = clock_timestamp(), metrics = metrics || $3::jsonb
     WHERE id = $1 AND status = 'starting' AND worker_id = $2 RETURNING *`,
    [id, workerId, JSON.stringify(metrics)],
    'mark-processing',
  );
  return row;
}

/** Whether the worker that holds a prediction is alive (see LIVE_OWNER). */
export async function ownerIsLive(db: Queryable, id: string, staleSeconds: number): Promise<boolean> {
  const rows = await db.query(`SELECT 1 FROM predictions p WHERE p.id = $1 AND ${LIVE_OWNER('$2')}`, [id, staleSeconds]);
  return rows.length > 0;
}

/** Appends logs and replaces the (partial) output of a running prediction. */
export async function recordProgress(db: Db, id: string, logs: string, output: unknown | undefined): Promise<PredictionRow | undefined> {
  const [row] = await db.query<PredictionRow>(
    `WITH u AS (
       UPDATE predictions SET logs = logs || $2, output = CASE WHEN $3::boolean THEN $4::jsonb ELSE output END
       WHERE id = $1 AND status = 'processing' RETURNING *)
     SELECT u.*, pg_notify('${PREDICTION_CHANNEL}', u.id || ':progress') FROM u`,
    [id, logs, output !== undefined, output === undefined ? null : JSON.stringify(output)],
  );
  return row;
}

export interface Finish {
  status: Extract<Status, 'succeeded' | 'failed' | 'canceled' | 'aborted'>;
  output?: unknown;
  error?: string | null;
  logs?: string;
  metrics?: Record<string, unknown>;
  cost?: Cost | null;
}

/**
 * Moves a prediction to a terminal state, once: a prediction that is already terminal is left
 * alone and undefined is returned. The usage record and the notification are part of the same
 * statement, so a finished prediction always has exactly one usage record.
 */
export async function finishPrediction(db: Queryable, id: string, f: Finish): Promise<PredictionRow | undefined> {
  const cost = f.cost;
  const [row] = await db.query<PredictionRow>(
    `WITH u AS (
       UPDATE predictions SET status = $2,
         output = COALESCE($3::jsonb, output), error = $4, logs = logs || $5,
         metrics = metrics || $6::jsonb, cost = $7::jsonb, completed_at = clock_timestamp()
       WHERE id = $1 AND status IN ('starting', 'processing') RETURNING *),
     usage AS (
       INSERT INTO usage_records (kind, prediction_id, model, version, deployment, token_id, tags, hardware, rule,
         quantity, unit_price_usd, total_usd)
       SELECT kind, id, model, version, deployment, token_id, tags, hardware, $8, $9, $10, $11 FROM u)
     SELECT u.*, pg_notify('${PREDICTION_CHANNEL}', u.id || ':completed') FROM u`,
    [
      id, f.status, f.output === undefined ? null : JSON.stringify(f.output), f.error ?? null, f.logs ?? '',
      JSON.stringify(f.metrics ?? {}), cost ? JSON.stringify(cost) : null,
      cost?.rule ?? 'none', cost?.quantity ?? 0, cost?.unit_price_usd ?? 0, cost?.total_usd ?? 0,
    ],
    'finish-prediction',
  );
  return row;
}

/** Flags a running prediction for cancellation; the worker running it reacts to the notify. */
export async function requestCancel(db: Db, id: string): Promise<void> {
  await db.query(
    `WITH u AS (UPDATE predictions SET cancel_requested_at = clock_timestamp()
       WHERE id = $1 AND status = 'processing' AND cancel_requested_at IS NULL RETURNING id)
     SELECT pg_notify('${PREDICTION_CHANNEL}', u.id || ':cancel') FROM u`,
    [id],
  );
}

/** Queued predictions whose Cancel-After deadline passed before they started. */
export async function expiredQueued(db: Db): Promise<string[]> {
  const rows = await db.query<{ id: string }>(
    `SELECT id FROM predictions WHERE status = 'starting' AND deadline IS NOT NULL AND deadline < clock_timestamp()`,
  );
  return rows.map((r) => r.id);
}

/** Running predictions whose deadline passed: their worker cancels them. */
export async function expiredRunning(db: Db): Promise<string[]> {
  const rows = await db.query<{ id: string }>(
    `SELECT id FROM predictions WHERE status = 'processing' AND deadline IS NOT NULL AND deadline < clock_timestamp()
       AND cancel_requested_at IS NULL`,
  );
  return rows.map((r) => r.id);
}

/** What dispatch needs to route a prediction to its queue. */
export interface Dispatchable {
  id: string;
  hardware: string;
  version: string;
  deployment: string | null;
}

/**
 * Waiting predictions that no live worker holds, oldest first, created at least \`olderThanSeconds\`
 * ago (younger ones are still being enqueued by the API). Postgres is the truth and the queue a
 * hint: the reconciler enqueues these again (idempotent per id), so a queue that lost its jobs
 * (a Redis failover, a crash between insert and enqueue) loses no prediction.
 */
export async function unownedWaiting(db: Queryable, olderThanSeconds: number, staleSeconds: number, limit: number): Promise<Dispatchable[]> {
  return db.query<Dispatchable>(
    `SELECT id, hardware, version, deployment FROM predictions p
     WHERE status = 'starting' AND created_at < clock_timestamp() - make_interval(secs => $1)
       AND (worker_id IS NULL OR NOT ${LIVE_OWNER('$2')})
     ORDER BY created_at LIMIT $3`,
    [olderThanSeconds, staleSeconds, limit],
  );
}

/** Running predictions owned by workers that are gone. */
export async function orphanedRunning(db: Db, staleAfterSeconds: number): Promise<string[]> {
  const rows = await db.query<{ id: string }>(
    `SELECT p.id FROM predictions p LEFT JOIN workers w ON w.id = p.worker_id
     WHERE p.status = 'processing'
       AND (w.id IS NULL OR w.stopped_at IS NOT NULL OR w.heartbeat_at < clock_timestamp() - make_interval(secs => $1))`,
    [staleAfterSeconds],
  );
  return rows.map((r) => r.id);
}

/** Appends to the logs of a prediction that has not finished (e.g. why it is still waiting). */
export async function appendLogs(db: Queryable, id: string, text: string): Promise<void> {
  await db.query(`UPDATE predictions SET logs = logs || $2 WHERE id = $1 AND status IN ('starting', 'processing')`, [id, text]);
}

/**
 * Data retention: clears input, output and logs of up to `limit` API predictions that finished
 * more than `afterSeconds` ago, marks them `data_removed`, and deletes the rows of the files they
 * produced and the webhook deliveries already sent or given up (their bodies hold the same data;
 * one still being retried stays until the outbox is done with it and prunes it), in one statement.
 * Returns how many predictions it cleared and the files' paths on disk (the caller deletes the
 * bytes). Status, timestamps, metrics, cost, tags, version and the usage records stay. Trainings
 * are never touched: their output names the version they created.
 */
export async function removeExpiredData(db: Db, afterSeconds: number, limit = 500): Promise<{ removed: number; paths: string[] }> {
  const [row] = await db.query<{ removed: string | number; paths: string[] }>(
    `WITH batch AS (
       SELECT id FROM predictions
       WHERE NOT data_removed AND completed_at IS NOT NULL
         AND completed_at < clock_timestamp() - make_interval(secs => $1::double precision)
         AND kind = 'prediction' AND source = 'api' AND status IN ('succeeded', 'failed', 'canceled', 'aborted')
       ORDER BY completed_at LIMIT $2 FOR UPDATE SKIP LOCKED),
     u AS (
       UPDATE predictions p SET input = '{}'::jsonb, output = NULL, logs = '', data_removed = true
       FROM batch WHERE p.id = batch.id RETURNING p.id),
     f AS (DELETE FROM files WHERE prediction_id IN (SELECT id FROM u) RETURNING path),
     d AS (DELETE FROM webhook_deliveries WHERE prediction_id IN (SELECT id FROM u) AND status <> 'pending')
     SELECT (SELECT count(*) FROM u) AS removed, COALESCE((SELECT array_agg(path) FROM f), '{}') AS paths`,
    [afterSeconds, limit],
    'remove-expired-data',
  );
  return { removed: Number(row.removed), paths: row.paths };
}
