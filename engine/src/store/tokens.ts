/** API tokens, stored as sha256 hashes. */
import type { Db } from './db';
import { sha256 } from '../core/ids';

export interface TokenRow {
  id: string;
  name: string;
  created_at: Date;
  revoked_at: Date | null;
}

export async function insertToken(db: Db, id: string, name: string, secret: string): Promise<TokenRow> {
  const [row] = await db.query<TokenRow>(
    `INSERT INTO tokens (id, name, hash) VALUES ($1,$2,$3)
     ON CONFLICT (hash) DO UPDATE SET revoked_at = NULL RETURNING id, name, created_at, revoked_at`,
    [id, name, sha256(secret)],
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
    'SELECT id, name, created_at, revoked_at FROM tokens WHERE hash = $1 AND revoked_at IS NULL',
    [sha256(secret)],
    'find-token',
  );
  return row;
}

export async function listTokens(db: Db): Promise<TokenRow[]> {
  return db.query<TokenRow>('SELECT id, name, created_at, revoked_at FROM tokens ORDER BY created_at');
}

export async function revokeToken(db: Db, id: string): Promise<boolean> {
  const rows = await db.query('UPDATE tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id', [id]);
  return rows.length > 0;
}

export async function countTokens(db: Db): Promise<number> {
  const [row] = await db.query<{ n: string }>('SELECT count(*) AS n FROM tokens');
  return Number(row.n);
}
