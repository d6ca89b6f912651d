/** What the cost decision reads: the period's usage records with their predictions' timings, and the deployments. */
import type { Queryable } from './db';

export interface DecideRecordRow {
  key: string | null;
  kind: string;
  model: string | null;
  deployment: string | null;
  hardware: string | null;
  quantity: number;
  total_usd: number;
  metrics: Record<string, unknown> | null;
  started: number | null;
  completed: number | null;
}

/**
 * One row per usage record in [since, until) (`tokenId`: that token's only). Deployment instance
 * records name the deployment in their `model` column, so a record's model is read from its
 * version (the model it belongs to).
 */
export async function decideRecords(db: Queryable, groupBy: 'model' | 'deployment', since: Date, until: Date, tokenId?: string): Promise<DecideRecordRow[]> {
  const model = `COALESCE(v.owner || '/' || v.name, u.model)`;
  return db.query<DecideRecordRow>(
    `SELECT ${groupBy === 'model' ? model : 'u.deployment'} AS key, u.kind, ${model} AS model, u.deployment, u.hardware,
       u.quantity, u.total_usd, p.metrics,
       extract(epoch FROM p.started_at)::float8 AS started, extract(epoch FROM p.completed_at)::float8 AS completed
     FROM usage_records u
     LEFT JOIN predictions p ON p.id = u.prediction_id
     LEFT JOIN versions v ON v.id = u.version
     WHERE u.created_at >= $1 AND u.created_at < $2 AND ($3::text IS NULL OR u.token_id = $3)`,
    [since, until, tokenId ?? null],
  );
}

export interface DecideDeploymentRow {
  name: string;
  model: string;
  hardware: string;
  min_instances: number;
  created_at: number;
}

export async function decideDeployments(db: Queryable): Promise<DecideDeploymentRow[]> {
  return db.query<DecideDeploymentRow>(
    `SELECT owner || '/' || name AS name, model, hardware, min_instances, extract(epoch FROM created_at)::float8 AS created_at FROM deployments`,
  );
}
