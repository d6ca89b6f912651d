/** Models and their immutable versions. */
import type { Db } from './db';
import { CURSOR_AT } from './cursor';

export interface ModelRow {
  owner: string;
  name: string;
  description: string | null;
  visibility: string;
  hardware: string;
  github_url: string | null;
  paper_url: string | null;
  license_url: string | null;
  cover_image_url: string | null;
  latest_version: string | null;
  created_at: Date;
}

export interface VersionRow {
  id: string;
  owner: string;
  name: string;
  runner: Record<string, unknown>;
  openapi_schema: Record<string, unknown>;
  hardware: string;
  gpu_count: number | null;
  gpu_memory_gb: number | null;
  max_concurrency: number;
  pricing: Array<Record<string, unknown>>;
  weights: string | null;
  streams: boolean;
  trainable: boolean;
  created_at: Date;
  deleted_at: Date | null;
}

export async function getModel(db: Db, owner: string, name: string): Promise<ModelRow | undefined> {
  const [row] = await db.query<ModelRow>('SELECT * FROM models WHERE owner = $1 AND name = $2', [owner, name]);
  return row;
}

export async function listModels(db: Db, limit: number, cursor?: { createdAt: string; key: string }): Promise<Array<ModelRow & { cursor_at: string }>> {
  if (cursor) {
    return db.query<ModelRow & { cursor_at: string }>(
      `SELECT *, ${CURSOR_AT} FROM models WHERE (created_at, owner || '/' || name) < ($1::timestamptz, $2)
       ORDER BY created_at DESC, owner || '/' || name DESC LIMIT $3`,
      [cursor.createdAt, cursor.key, limit],
    );
  }
  return db.query<ModelRow & { cursor_at: string }>(`SELECT *, ${CURSOR_AT} FROM models ORDER BY created_at DESC, owner || '/' || name DESC LIMIT $1`, [limit]);
}

export async function insertModel(db: Db, m: Omit<ModelRow, 'latest_version' | 'created_at'>): Promise<ModelRow | undefined> {
  const [row] = await db.query<ModelRow>(
    `INSERT INTO models (owner, name, description, visibility, hardware, github_url, paper_url, license_url, cover_image_url)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT DO NOTHING RETURNING *`,
    [m.owner, m.name, m.description, m.visibility, m.hardware, m.github_url, m.paper_url, m.license_url, m.cover_image_url],
  );
  return row;
}

export async function getVersion(db: Db, id: string): Promise<VersionRow | undefined> {
  const [row] = await db.query<VersionRow>('SELECT * FROM versions WHERE id = $1 AND deleted_at IS NULL', [id]);
  return row;
}

export async function listVersions(db: Db, owner: string, name: string): Promise<VersionRow[]> {
  return db.query<VersionRow>(
    'SELECT * FROM versions WHERE owner = $1 AND name = $2 AND deleted_at IS NULL ORDER BY created_at DESC',
    [owner, name],
  );
}

/** Inserts a version (idempotent: the id is a content hash) and makes it the model's latest. */
export async function insertVersion(db: Db, v: Omit<VersionRow, 'created_at' | 'deleted_at'>): Promise<VersionRow> {
  return db.tx(async (q) => {
    const [row] = await q.query<VersionRow>(
      `INSERT INTO versions (id, owner, name, runner, openapi_schema, hardware, gpu_count, gpu_memory_gb, max_concurrency,
         pricing, weights, streams, trainable)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)
       ON CONFLICT (id) DO UPDATE SET deleted_at = NULL RETURNING *`,
      [
        v.id, v.owner, v.name, JSON.stringify(v.runner), JSON.stringify(v.openapi_schema), v.hardware, v.gpu_count,
        v.gpu_memory_gb, v.max_concurrency, JSON.stringify(v.pricing), v.weights, v.streams, v.trainable,
      ],
    );
    await q.query('UPDATE models SET latest_version = $1 WHERE owner = $2 AND name = $3', [row.id, v.owner, v.name]);
    return row;
  });
}

/** Soft-deletes a version; the model's latest moves to the newest remaining one. */
export async function deleteVersion(db: Db, owner: string, name: string, id: string): Promise<boolean> {
  return db.tx(async (q) => {
    const rows = await q.query(
      'UPDATE versions SET deleted_at = now() WHERE id = $1 AND owner = $2 AND name = $3 AND deleted_at IS NULL RETURNING id',
      [id, owner, name],
    );
    if (rows.length === 0) return false;
    await q.query(
      `UPDATE models SET latest_version = (SELECT id FROM versions WHERE owner = $1 AND name = $2 AND deleted_at IS NULL
         ORDER BY created_at DESC LIMIT 1) WHERE owner = $1 AND name = $2`,
      [owner, name],
    );
    return true;
  });
}

export async function runCount(db: Db, model: string): Promise<number> {
  const [row] = await db.query<{ n: string }>(`SELECT count(*) AS n FROM predictions WHERE model = $1 AND kind = 'prediction'`, [model]);
  return Number(row?.n ?? 0);
}
