/** Model checks and the runs they make (see migration 0009). */
import type { Db, Queryable } from './db';
import { CURSOR_AT } from './cursor';

export type CheckStatus = 'starting' | 'processing' | 'succeeded' | 'failed' | 'canceled';
export const OPEN_CHECK = `status IN ('starting', 'processing')`;

export interface CheckRow {
  id: string;
  status: CheckStatus;
  model: string;
  version: string;
  deployment: string | null;
  request: Record<string, unknown>;
  plan: Record<string, unknown>;
  observations: Record<string, unknown>;
  report: Record<string, unknown> | null;
  error: string | null;
  logs: string;
  data_removed: boolean;
  webhook: string | null;
  webhook_events_filter: string[] | null;
  token_id: string | null;
  cancel_requested_at: Date | null;
  runner_id: string | null;
  lease_until: Date | null;
  created_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
}

export interface CheckRunRow {
  check_id: string;
  run_key: string;
  attempt: number;
  prediction_id: string | null;
  refused: string | null;
  output_digest: string | null;
  output_text: string | null;
  file_hashes: string[];
  created_at: Date;
}

export interface NewCheck {
  id: string;
  model: string;
  version: string;
  deployment: string | null;
  request: unknown;
  plan: unknown;
  webhook: string | null;
  webhookEventsFilter: string[] | null;
  tokenId: string | null;
}

export async function insertCheck(db: Db, c: NewCheck): Promise<CheckRow> {
  const [row] = await db.query<CheckRow>(
    `INSERT INTO checks (id, status, model, version, deployment, request, plan, webhook, webhook_events_filter, token_id)
     VALUES ($1, 'starting', $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
    [c.id, c.model, c.version, c.deployment, JSON.stringify(c.request), JSON.stringify(c.plan), c.webhook, c.webhookEventsFilter, c.tokenId],
  );
  return row;
}

export async function getCheck(db: Queryable, id: string): Promise<CheckRow | undefined> {
  const [row] = await db.query<CheckRow>('SELECT * FROM checks WHERE id = $1', [id]);
  return row;
}

/** Newest first, keyset-paginated on (created_at, id) like predictions; `tokenId` keeps that token's only. */
export async function listChecks(
  db: Db,
  limit: number,
  cursor?: { createdAt: string; id: string },
  tokenId?: string,
): Promise<Array<CheckRow & { cursor_at: string }>> {
  const params: unknown[] = [limit];
  const where: string[] = [];
  if (cursor) {
    params.push(cursor.createdAt, cursor.id);
    where.push(`(created_at, id) < ($${params.length - 1}::timestamptz, $${params.length})`);
  }
  if (tokenId) {
    params.push(tokenId);
    where.push(`token_id = $${params.length}`);
  }
  const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
  return db.query<CheckRow & { cursor_at: string }>(`SELECT *, ${CURSOR_AT} FROM checks ${clause} ORDER BY created_at DESC, id DESC LIMIT $1`, params);
}

/** Takes one open check nobody holds (or whose holder's lease ran out); undefined when none. */
export async function claimCheck(db: Db, runnerId: string, leaseSeconds: number, id?: string): Promise<CheckRow | undefined> {
  const [row] = await db.query<CheckRow>(
    `UPDATE checks SET runner_id = $1, lease_until = clock_timestamp() + make_interval(secs => $2)
     WHERE id = (SELECT id FROM checks WHERE ${OPEN_CHECK} AND (lease_until IS NULL OR lease_until < clock_timestamp())
                   AND ($3::text IS NULL OR id = $3) ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
     RETURNING *`,
    [runnerId, leaseSeconds, id ?? null],
  );
  return row;
}

/** Extends the lease; false when this runner no longer holds an open check (canceled, or taken over). */
export async function renewCheckLease(db: Db, id: string, runnerId: string, leaseSeconds: number): Promise<boolean> {
  const rows = await db.query(
    `UPDATE checks SET lease_until = clock_timestamp() + make_interval(secs => $3)
     WHERE id = $1 AND runner_id = $2 AND ${OPEN_CHECK} RETURNING id`,
    [id, runnerId, leaseSeconds],
  );
  return rows.length > 0;
}

/** Lets the lease go (the engine is stopping) so the next runner resumes the check at once. */
export async function releaseCheck(db: Db, id: string, runnerId: string): Promise<void> {
  await db.query(`UPDATE checks SET lease_until = NULL WHERE id = $1 AND runner_id = $2`, [id, runnerId]);
}

/** `starting` → `processing`; returns the row when this call made the change. */
export async function markCheckProcessing(db: Db, id: string): Promise<CheckRow | undefined> {
  const [row] = await db.query<CheckRow>(
    `UPDATE checks SET status = 'processing', started_at = clock_timestamp() WHERE id = $1 AND status = 'starting' RETURNING *`,
    [id],
  );
  return row;
}

/** Marks an open check as being canceled; false when it had already ended. */
export async function requestCheckCancel(db: Db, id: string): Promise<boolean> {
  const rows = await db.query(`UPDATE checks SET cancel_requested_at = COALESCE(cancel_requested_at, clock_timestamp()) WHERE id = $1 AND ${OPEN_CHECK} RETURNING id`, [id]);
  return rows.length > 0;
}

export async function saveObservations(db: Db, id: string, observations: Record<string, unknown>): Promise<void> {
  await db.query(`UPDATE checks SET observations = observations || $2::jsonb WHERE id = $1`, [id, JSON.stringify(observations)]);
}

export async function appendCheckLogs(db: Db, id: string, text: string): Promise<CheckRow | undefined> {
  const [row] = await db.query<CheckRow>(`UPDATE checks SET logs = logs || $2 WHERE id = $1 AND ${OPEN_CHECK} RETURNING *`, [id, text]);
  return row;
}

/** Moves an open check to its end state, once; undefined when it had already ended. */
export async function finishCheck(
  q: Queryable,
  id: string,
  f: { status: Extract<CheckStatus, 'succeeded' | 'failed' | 'canceled'>; report: unknown; error?: string | null },
): Promise<CheckRow | undefined> {
  const [row] = await q.query<CheckRow>(
    `UPDATE checks SET status = $2, report = $3::json, error = $4, completed_at = clock_timestamp(), lease_until = NULL
     WHERE id = $1 AND ${OPEN_CHECK} RETURNING *`,
    [id, f.status, f.report === null ? null : JSON.stringify(f.report), f.error ?? null],
  );
  return row;
}

export async function listCheckRuns(db: Queryable, checkId: string): Promise<CheckRunRow[]> {
  return db.query<CheckRunRow>(`SELECT * FROM check_runs WHERE check_id = $1 ORDER BY created_at, run_key, attempt`, [checkId]);
}

export async function insertCheckRun(
  db: Db,
  r: { checkId: string; key: string; attempt: number; predictionId: string | null; refused: string | null },
): Promise<void> {
  await db.query(
    `INSERT INTO check_runs (check_id, run_key, attempt, prediction_id, refused) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
    [r.checkId, r.key, r.attempt, r.predictionId, r.refused],
  );
}

/** The create path refused the run's prediction: the run ends with why, and names no prediction. */
export async function markRunRefused(db: Db, r: { checkId: string; key: string; attempt: number }, why: string): Promise<void> {
  await db.query(`UPDATE check_runs SET prediction_id = NULL, refused = $4 WHERE check_id = $1 AND run_key = $2 AND attempt = $3`, [r.checkId, r.key, r.attempt, why]);
}

export async function recordRunOutput(
  db: Db,
  r: { checkId: string; key: string; attempt: number; digest: string | null; text: string | null; fileHashes: string[] },
): Promise<void> {
  await db.query(
    `UPDATE check_runs SET output_digest = $4, output_text = $5, file_hashes = $6 WHERE check_id = $1 AND run_key = $2 AND attempt = $3`,
    [r.checkId, r.key, r.attempt, r.digest, r.text, r.fileHashes],
  );
}

/** sha256 of stored files by id (the engine hashes every file it stores). */
export async function fileHashes(db: Queryable, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db.query<{ id: string; sha256: string }>(`SELECT id, sha256 FROM files WHERE id = ANY($1)`, [ids]);
  return new Map(rows.map((r) => [r.id, r.sha256]));
}

/** Instances of a version (on a deployment, or on demand) that are up on a live worker: booting, ready or busy. */
export async function liveInstanceCount(db: Queryable, version: string, deployment: string | null, hardware: string, staleSeconds: number): Promise<number> {
  const [row] = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM instances WHERE version = $1 AND stopped_at IS NULL AND state IN ('booting', 'ready', 'busy')
       AND deployment IS NOT DISTINCT FROM $2 AND hardware = $3
       AND worker_id IN (SELECT id FROM workers WHERE stopped_at IS NULL AND heartbeat_at > clock_timestamp() - make_interval(secs => $4))`,
    [version, deployment, hardware, staleSeconds],
  );
  return row?.n ?? 0;
}

/**
 * Data retention: up to `limit` checks that ended more than `afterSeconds` ago lose the data
 * `strip` removes (see checks/retention.ts) and their runs' output texts, in one transaction per
 * batch. Returns how many it cleared.
 */
export async function removeExpiredCheckData(
  db: Db,
  afterSeconds: number,
  strip: (row: Pick<CheckRow, 'request' | 'plan' | 'report'>) => Pick<CheckRow, 'request' | 'plan' | 'report'>,
  limit = 100,
): Promise<number> {
  return db.tx(async (q) => {
    const rows = await q.query<CheckRow>(
      `SELECT * FROM checks WHERE NOT data_removed AND completed_at IS NOT NULL
         AND completed_at < clock_timestamp() - make_interval(secs => $1::double precision)
       ORDER BY completed_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [afterSeconds, limit],
    );
    for (const row of rows) {
      const kept = strip(row);
      await q.query(`UPDATE checks SET request = $2, plan = $3, report = $4::json, data_removed = true WHERE id = $1`, [
        row.id, JSON.stringify(kept.request), JSON.stringify(kept.plan), kept.report === null ? null : JSON.stringify(kept.report),
      ]);
      await q.query(`UPDATE check_runs SET output_text = NULL WHERE check_id = $1`, [row.id]);
    }
    return rows.length;
  });
}
