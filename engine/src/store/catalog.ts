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
  /** A finished example prediction (Replicate's `default_example`); set by catalogue imports. */
  default_example: Record<string, unknown> | null;
  weights_url: string | null;
  /** The catalogue page a model was imported from; null for models created here. */
  imported_from: string | null;
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
  /** The Cog version a catalogue image was built with; null for versions made here. */
  cog_version: string | null;
  created_at: Date;
  deleted_at: Date | null;
}

export async function getModel(db: Db, owner: string, name: string): Promise<ModelRow | undefined> {
  const [row] = await db.query<ModelRow>('SELECT * FROM models WHERE owner = $1 AND name = $2', [owner, name]);
  return row;
}

/** Which of `refs` (`owner/name`) exist as models here. */
export async function existingModels(db: Db, refs: string[]): Promise<Set<string>> {
  if (refs.length === 0) return new Set();
  const rows = await db.query<{ ref: string }>(`SELECT owner || '/' || name AS ref FROM models WHERE owner || '/' || name = ANY($1)`, [refs]);
  return new Set(rows.map((r) => r.ref));
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

/** Every model with what its latest version runs on (for search and collections), newest first. */
export async function modelsWithRunner(db: Db): Promise<Array<ModelRow & { runner_type: string | null; trainable: boolean }>> {
  return db.query<ModelRow & { runner_type: string | null; trainable: boolean }>(
    `SELECT m.*, v.runner->>'type' AS runner_type, COALESCE(v.trainable, false) AS trainable
       FROM models m LEFT JOIN versions v ON v.id = m.latest_version
      ORDER BY m.created_at DESC, m.owner || '/' || m.name DESC`,
  );
}

type CatalogueFields = 'default_example' | 'weights_url' | 'imported_from';
export type NewModel = Omit<ModelRow, 'latest_version' | 'created_at' | CatalogueFields> & Partial<Pick<ModelRow, CatalogueFields>>;

export async function insertModel(db: Db, m: NewModel): Promise<ModelRow | undefined> {
  const [row] = await db.query<ModelRow>(
    `INSERT INTO models (owner, name, description, visibility, hardware, github_url, paper_url, license_url, cover_image_url,
       default_example, weights_url, imported_from)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) ON CONFLICT DO NOTHING RETURNING *`,
    [
      m.owner, m.name, m.description, m.visibility, m.hardware, m.github_url, m.paper_url, m.license_url, m.cover_image_url,
      m.default_example ? JSON.stringify(m.default_example) : null, m.weights_url ?? null, m.imported_from ?? null,
    ],
  );
  return row;
}

/** Refreshes what the catalogue says about an imported model (a newer catalogue has newer metadata). */
export async function updateImportedModel(db: Db, m: NewModel): Promise<void> {
  await db.query(
    `UPDATE models SET description = $3, github_url = $4, paper_url = $5, license_url = $6, cover_image_url = $7,
       default_example = $8, weights_url = $9, imported_from = $10 WHERE owner = $1 AND name = $2`,
    [
      m.owner, m.name, m.description, m.github_url, m.paper_url, m.license_url, m.cover_image_url,
      m.default_example ? JSON.stringify(m.default_example) : null, m.weights_url ?? null, m.imported_from ?? null,
    ],
  );
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

/**
 * Inserts a version (idempotent: the id is a content hash, or the catalogue's own id for an
 * imported version) and makes it the model's latest.
 */
export async function insertVersion(
  db: Db,
  v: Omit<VersionRow, 'created_at' | 'deleted_at' | 'cog_version'> & { cog_version?: string | null },
): Promise<VersionRow> {
  return db.tx(async (q) => {
    const [row] = await q.query<VersionRow>(
      `INSERT INTO versions (id, owner, name, runner, openapi_schema, hardware, gpu_count, gpu_memory_gb, max_concurrency,
         pricing, weights, streams, trainable, cog_version)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)
       ON CONFLICT (id) DO UPDATE SET deleted_at = NULL RETURNING *`,
      [
        v.id, v.owner, v.name, JSON.stringify(v.runner), JSON.stringify(v.openapi_schema), v.hardware, v.gpu_count,
        v.gpu_memory_gb, v.max_concurrency, JSON.stringify(v.pricing), v.weights, v.streams, v.trainable, v.cog_version ?? null,
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
