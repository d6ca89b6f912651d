/** Deployments and their numbered releases (every change is a new release). */
import type { Db, Queryable } from './db';

export interface DeploymentConfig {
  model: string;
  version: string;
  hardware: string;
  min_instances: number;
  max_instances: number;
  /** Most queued predictions before creates answer 429 (null: no limit of its own). */
  max_queue: number | null;
}

export interface DeploymentRow extends DeploymentConfig {
  owner: string;
  name: string;
  release_number: number;
  created_at: Date;
  updated_at: Date;
  /** When the current release was made. */
  release_created_at: Date;
  /** created_at to the microsecond, for list cursors (a JS Date keeps only milliseconds). */
  cursor_at: string;
}

const SELECT = `SELECT d.*, r.created_at AS release_created_at,
    to_char(d.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at
  FROM deployments d
  JOIN deployment_releases r ON r.owner = d.owner AND r.name = d.name AND r.number = d.release_number`;

async function addRelease(q: Queryable, owner: string, name: string, number: number, c: DeploymentConfig): Promise<void> {
  await q.query(
    `INSERT INTO deployment_releases (owner, name, number, model, version, hardware, min_instances, max_instances, max_queue)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`,
    [owner, name, number, c.model, c.version, c.hardware, c.min_instances, c.max_instances, c.max_queue],
  );
}

async function selectOne(q: Queryable, owner: string, name: string): Promise<DeploymentRow | undefined> {
  const [row] = await q.query<DeploymentRow>(`${SELECT} WHERE d.owner = $1 AND d.name = $2`, [owner, name]);
  return row;
}

/** Creates a deployment with release 1; undefined when the name is taken. */
export async function insertDeployment(db: Db, owner: string, name: string, c: DeploymentConfig): Promise<DeploymentRow | undefined> {
  return db.tx(async (q) => {
    const inserted = await q.query(
      `INSERT INTO deployments (owner, name, model, version, hardware, min_instances, max_instances, max_queue, release_number)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,1) ON CONFLICT DO NOTHING RETURNING owner`,
      [owner, name, c.model, c.version, c.hardware, c.min_instances, c.max_instances, c.max_queue],
    );
    if (inserted.length === 0) return undefined;
    await addRelease(q, owner, name, 1, c);
    return selectOne(q, owner, name);
  });
}

export async function getDeployment(db: Queryable, owner: string, name: string): Promise<DeploymentRow | undefined> {
  return selectOne(db, owner, name);
}

/** Newest first; the cursor is the last row's (created_at, owner/name). */
export async function listDeployments(db: Db, limit: number, cursor?: { createdAt: string; key: string }): Promise<DeploymentRow[]> {
  if (cursor) {
    return db.query<DeploymentRow>(
      `${SELECT} WHERE (d.created_at, d.owner || '/' || d.name) < ($1::timestamptz, $2)
       ORDER BY d.created_at DESC, d.owner || '/' || d.name DESC LIMIT $3`,
      [cursor.createdAt, cursor.key, limit],
    );
  }
  return db.query<DeploymentRow>(`${SELECT} ORDER BY d.created_at DESC, d.owner || '/' || d.name DESC LIMIT $1`, [limit]);
}

/**
 * Changes a deployment under a row lock. `change` sees the current configuration and returns the
 * next one (it may throw to refuse; nothing is written then). A configuration equal to the current
 * one makes no release. Undefined when the deployment does not exist.
 */
export async function updateDeployment(
  db: Db,
  owner: string,
  name: string,
  change: (current: DeploymentRow) => DeploymentConfig,
): Promise<DeploymentRow | undefined> {
  return db.tx(async (q) => {
    const [locked] = await q.query(`SELECT 1 FROM deployments WHERE owner = $1 AND name = $2 FOR UPDATE`, [owner, name]);
    if (!locked) return undefined;
    const current = (await selectOne(q, owner, name))!;
    const next = change(current);
    const same = (['model', 'version', 'hardware', 'min_instances', 'max_instances', 'max_queue'] as const).every((k) => next[k] === current[k]);
    if (same) return current;
    const number = current.release_number + 1;
    await q.query(
      `UPDATE deployments SET model = $3, version = $4, hardware = $5, min_instances = $6, max_instances = $7,
         max_queue = $9, release_number = $8, updated_at = clock_timestamp() WHERE owner = $1 AND name = $2`,
      [owner, name, next.model, next.version, next.hardware, next.min_instances, next.max_instances, number, next.max_queue],
    );
    await addRelease(q, owner, name, number, next);
    return selectOne(q, owner, name);
  });
}

/** Deletes a deployment and its releases; false when it did not exist. */
export async function deleteDeployment(db: Db, owner: string, name: string): Promise<boolean> {
  return db.tx(async (q) => {
    const gone = await q.query(`DELETE FROM deployments WHERE owner = $1 AND name = $2 RETURNING owner`, [owner, name]);
    await q.query(`DELETE FROM deployment_releases WHERE owner = $1 AND name = $2`, [owner, name]);
    return gone.length > 0;
  });
}

export interface InstanceRow {
  id: string;
  worker_id: string;
  version: string;
  deployment: string | null;
  hardware: string;
  devices: unknown;
  memory_gb: number;
  state: string;
  since: Date;
  setup_time: number | null;
  boot_phases: Record<string, unknown> | null;
  last_used_at: Date | null;
  error: string | null;
}

/** Instances not yet stopped, optionally of one deployment (`owner/name`). */
export async function liveInstances(db: Queryable, deployment?: string): Promise<InstanceRow[]> {
  return db.query<InstanceRow>(
    `SELECT id, worker_id, version, deployment, hardware, devices, memory_gb, state, since, setup_time, boot_phases, last_used_at, error
     FROM instances WHERE stopped_at IS NULL AND ($1::text IS NULL OR deployment = $1) ORDER BY since, id`,
    [deployment ?? null],
  );
}

export interface CostByKind {
  kind: string;
  count: number;
  quantity: number;
  total_usd: number;
}

/** Usage charged to a deployment since `since` (its creation: a recreated name starts from zero). */
export async function deploymentCost(db: Queryable, deployment: string, since: Date): Promise<CostByKind[]> {
  return db.query<CostByKind>(
    `SELECT kind, count(*)::int AS count, COALESCE(sum(quantity), 0)::float8 AS quantity, COALESCE(sum(total_usd), 0)::float8 AS total_usd
     FROM usage_records WHERE deployment = $1 AND created_at >= $2 GROUP BY kind ORDER BY kind`,
    [deployment, since],
  );
}

/** Predictions of a deployment not yet finished (queued or running). */
export async function openPredictionsOf(db: Queryable, deployment: string): Promise<Array<{ id: string; status: string; created_at: Date; hardware: string }>> {
  return db.query(
    `SELECT id, status, created_at, hardware FROM predictions WHERE deployment = $1 AND status IN ('starting', 'processing') ORDER BY created_at`,
    [deployment],
  );
}
