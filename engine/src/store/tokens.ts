/** API tokens, stored as sha256 hashes, with a scope and optional spend limits. */
import type { Db, Queryable } from './db';
import { sha256 } from '../core/ids';
import type { Scope } from '../core/scopes';

export interface TokenRow {
  id: string;
  name: string;
  scope: Scope;
  /** Spend limits in USD (null: none). */
  usd_per_day: number | null;
  usd_per_month: number | null;
  created_at: Date;
  revoked_at: Date | null;
}

export interface NewToken {
  scope?: Scope;
  usdPerDay?: number | null;
  usdPerMonth?: number | null;
}

const COLUMNS = 'id, name, scope, usd_per_day, usd_per_month, created_at, revoked_at';

export async function insertToken(db: Db, id: string, name: string, secret: string, t: NewToken = {}): Promise<TokenRow> {
  const [row] = await db.query<TokenRow>(
    `INSERT INTO tokens (id, name, hash, scope, usd_per_day, usd_per_month) VALUES ($1,$2,$3,$4,$5,$6)
     ON CONFLICT (hash) DO UPDATE SET revoked_at = NULL RETURNING ${COLUMNS}`,
    [id, name, sha256(secret), t.scope ?? 'admin', t.usdPerDay ?? null, t.usdPerMonth ?? null],
  );
  return row;
}

/**
 * Makes `secret` the token of row `id` (the bootstrap admin, GANTRY_API_TOKEN), whatever that row
 * held before: changing the variable rotates the token, and the old secret stops working. A
 * secret that already belongs to another token moves to this row (the other is revoked).
 */
export async function setBootstrapToken(db: Db, id: string, name: string, secret: string): Promise<TokenRow> {
  const hash = sha256(secret);
  return db.tx(async (q) => {
    await q.query(`UPDATE tokens SET hash = 'superseded:' || id, revoked_at = coalesce(revoked_at, now()) WHERE hash = $1 AND id <> $2`, [hash, id]);
    const [row] = await q.query<TokenRow>(
      `INSERT INTO tokens (id, name, hash) VALUES ($1,$2,$3)
       ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, hash = EXCLUDED.hash, revoked_at = NULL
       RETURNING id, name, created_at, revoked_at`,
      [id, name, hash],
    );
    return row;
  });
}

export async function findActiveToken(db: Db, secret: string): Promise<TokenRow | undefined> {
  const [row] = await db.query<TokenRow>(
    `SELECT ${COLUMNS} FROM tokens WHERE hash = $1 AND revoked_at IS NULL`,
    [sha256(secret)],
    'find-token-scoped',
  );
  return row;
}

export async function getToken(q: Queryable, id: string): Promise<TokenRow | undefined> {
  const [row] = await q.query<TokenRow>(`SELECT ${COLUMNS} FROM tokens WHERE id = $1`, [id]);
  return row;
}

export async function listTokens(db: Db): Promise<TokenRow[]> {
  return db.query<TokenRow>(`SELECT ${COLUMNS} FROM tokens ORDER BY created_at`);
}

export async function revokeToken(db: Db, id: string): Promise<boolean> {
  const rows = await db.query('UPDATE tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id', [id]);
  return rows.length > 0;
}

export async function countTokens(db: Db): Promise<number> {
  const [row] = await db.query<{ n: string }>('SELECT count(*) AS n FROM tokens');
  return Number(row.n);
}

/** What a token spent (USD, from its usage records) since the start of the UTC day and month. */
export async function tokenSpend(q: Queryable, id: string): Promise<{ day_usd: number; month_usd: number }> {
  const [row] = await q.query<{ day_usd: number; month_usd: number }>(
    `SELECT COALESCE(sum(total_usd) FILTER (WHERE created_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'), 0)::float8 AS day_usd,
            COALESCE(sum(total_usd), 0)::float8 AS month_usd
     FROM usage_records
     WHERE token_id = $1 AND created_at >= date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'`,
    [id],
    'token-spend',
  );
  return row;
}
