/** File rows (bytes live on disk; see `files.ts`) and named engine secrets. */
import { randomBytes } from 'node:crypto';
import { CURSOR_AT } from './cursor';
import type { Queryable } from './db';

export interface FileRow {
  id: string;
  name: string;
  content_type: string;
  size: string | number;
  sha256: string;
  path: string;
  metadata: Record<string, unknown>;
  prediction_id: string | null;
  token_id: string | null;
  created_at: Date;
  expires_at: Date | null;
}

export type NewFile = Omit<FileRow, 'created_at' | 'expires_at'> & { expiresInSeconds: number | null };

export async function insertFile(q: Queryable, f: NewFile): Promise<FileRow> {
  const [row] = await q.query<FileRow>(
    `INSERT INTO files (id, name, content_type, size, sha256, path, metadata, prediction_id, token_id, expires_at)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9, CASE WHEN $10::double precision IS NULL THEN NULL
       ELSE clock_timestamp() + make_interval(secs => $10::double precision) END) RETURNING *`,
    [f.id, f.name, f.content_type, f.size, f.sha256, f.path, JSON.stringify(f.metadata), f.prediction_id, f.token_id, f.expiresInSeconds],
  );
  return row;
}

/** A file that exists and has not expired. */
export async function getFile(q: Queryable, id: string): Promise<FileRow | undefined> {
  const [row] = await q.query<FileRow>(
    'SELECT * FROM files WHERE id = $1 AND (expires_at IS NULL OR expires_at > clock_timestamp())',
    [id],
  );
  return row;
}

/** Newest first; `tokenId` keeps only the files that token uploaded or its predictions produced. */
export async function listFiles(
  q: Queryable,
  limit: number,
  cursor?: { createdAt: string; id: string },
  tokenId?: string,
): Promise<Array<FileRow & { cursor_at: string }>> {
  const where = ['(expires_at IS NULL OR expires_at > clock_timestamp())'];
  const params: unknown[] = [];
  if (tokenId) {
    params.push(tokenId);
    where.push(`token_id = $${params.length}`);
  }
  if (cursor) {
    params.push(cursor.createdAt, cursor.id);
    where.push(`(created_at, id) < ($${params.length - 1}::timestamptz, $${params.length})`);
  }
  params.push(limit);
  return q.query<FileRow & { cursor_at: string }>(
    `SELECT *, ${CURSOR_AT} FROM files WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
    params,
  );
}

export async function deleteFile(q: Queryable, id: string): Promise<FileRow | undefined> {
  const [row] = await q.query<FileRow>('DELETE FROM files WHERE id = $1 RETURNING *', [id]);
  return row;
}

/** Removes expired rows and returns them (the caller deletes their bytes). */
export async function deleteExpiredFiles(q: Queryable, limit = 500): Promise<FileRow[]> {
  return q.query<FileRow>(
    `DELETE FROM files WHERE id IN (SELECT id FROM files WHERE expires_at <= clock_timestamp() LIMIT $1) RETURNING *`,
    [limit],
  );
}

/** A named random secret, created on first use (every process of one engine shares it). */
export async function getOrCreateSecret(q: Queryable, name: string): Promise<string> {
  await q.query('INSERT INTO engine_secrets (name, key) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [
    name,
    randomBytes(32).toString('base64url'),
  ]);
  const [row] = await q.query<{ key: string }>('SELECT key FROM engine_secrets WHERE name = $1', [name]);
  return row.key;
}
