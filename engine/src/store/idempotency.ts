/**
 * Idempotency keys (migration 0010). A key is claimed by the first request that uses it; its
 * answer is stored when it succeeds and the key released when it fails, so a repeat either
 * replays the answer or runs again. Keys are per token.
 */
import type { Queryable } from './db';

export interface IdempotencyRow {
  route: string;
  request_hash: string;
  status: number | null;
  headers: Record<string, string>;
  body: string | null;
  created_at: Date;
}

export interface KeyRef {
  tokenId: string;
  key: string;
}

/**
 * Claims `key` for a request: true when this request owns it now (a new key, an expired one, or
 * one whose first request was abandoned `abandonedSeconds` ago without an answer).
 */
export async function claimKey(q: Queryable, ref: KeyRef, route: string, hash: string, ttlSeconds: number, abandonedSeconds: number): Promise<boolean> {
  const rows = await q.query(
    `INSERT INTO idempotency_keys (token_id, key, route, request_hash) VALUES ($1, $2, $3, $4)
     ON CONFLICT (token_id, key) DO UPDATE
       SET route = EXCLUDED.route, request_hash = EXCLUDED.request_hash, status = NULL, headers = '{}', body = NULL,
           created_at = clock_timestamp(), completed_at = NULL
       WHERE idempotency_keys.created_at < clock_timestamp() - make_interval(secs => $5::double precision)
          OR (idempotency_keys.status IS NULL AND idempotency_keys.created_at < clock_timestamp() - make_interval(secs => $6::double precision))
     RETURNING 1`,
    [ref.tokenId, ref.key, route, hash, ttlSeconds, abandonedSeconds],
    'idempotency-claim',
  );
  return rows.length > 0;
}

export async function readKey(q: Queryable, ref: KeyRef): Promise<IdempotencyRow | undefined> {
  const [row] = await q.query<IdempotencyRow>(
    'SELECT route, request_hash, status, headers, body, created_at FROM idempotency_keys WHERE token_id = $1 AND key = $2',
    [ref.tokenId, ref.key],
    'idempotency-read',
  );
  return row;
}

/** Stores the answer of the request that claimed the key. */
export async function completeKey(q: Queryable, ref: KeyRef, status: number, headers: Record<string, string>, body: string): Promise<void> {
  await q.query(
    `UPDATE idempotency_keys SET status = $3, headers = $4, body = $5, completed_at = clock_timestamp()
     WHERE token_id = $1 AND key = $2 AND status IS NULL`,
    [ref.tokenId, ref.key, status, JSON.stringify(headers), body],
    'idempotency-complete',
  );
}

/** Releases a key whose request failed: the next request with it runs afresh. */
export async function releaseKey(q: Queryable, ref: KeyRef): Promise<void> {
  await q.query('DELETE FROM idempotency_keys WHERE token_id = $1 AND key = $2 AND status IS NULL', [ref.tokenId, ref.key], 'idempotency-release');
}

/** Deletes keys older than the TTL; returns how many. */
export async function deleteExpiredKeys(q: Queryable, ttlSeconds: number): Promise<number> {
  const rows = await q.query(
    'DELETE FROM idempotency_keys WHERE created_at < clock_timestamp() - make_interval(secs => $1::double precision) RETURNING 1',
    [ttlSeconds],
  );
  return rows.length;
}
