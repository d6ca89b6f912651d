/** What the fleet's controller reads each tick, and the few prediction writes its plan leads to. */
import type { Queryable } from './db';
import type { PredictionRow } from '../core/prediction';

export async function databaseNow(q: Queryable): Promise<number> {
  const [row] = await q.query<{ now: Date }>('SELECT clock_timestamp() AS now');
  return row.now.getTime();
}

/** Predictions and trainings created after `since` (the database's clock), oldest first. */
export async function arrivalsSince(q: Queryable, since: Date, limit = 10_000): Promise<Array<{ version: string; deployment: string | null; created_at: Date }>> {
  return q.query(
    `SELECT version, deployment, created_at FROM predictions
     WHERE kind IN ('prediction', 'training') AND created_at > $1 ORDER BY created_at LIMIT $2`,
    [since, limit],
  );
}

/** Predict times of predictions that succeeded after `since`. */
export async function completionsSince(q: Queryable, since: Date, limit = 10_000): Promise<Array<{ version: string; deployment: string | null; completed_at: Date; predict_time: number | null }>> {
  return q.query(
    `SELECT version, deployment, completed_at, (metrics->>'predict_time')::double precision AS predict_time FROM predictions
     WHERE NOT data_removed AND completed_at IS NOT NULL AND completed_at > $1 AND status = 'succeeded'
     ORDER BY completed_at LIMIT $2`,
    [since, limit],
  );
}

export interface DeploymentBoundsRow {
  owner: string;
  name: string;
  version: string;
  hardware: string;
  min_instances: number;
  max_instances: number;
}

export async function deploymentBounds(q: Queryable): Promise<DeploymentBoundsRow[]> {
  return q.query<DeploymentBoundsRow>(`SELECT owner, name, version, hardware, min_instances, max_instances FROM deployments`);
}

/** Waiting predictions of a key that no worker has claimed (what a failed setup fails). */
export async function unclaimedWaitingOf(q: Queryable, version: string, deployment: string | null, limit = 1000): Promise<PredictionRow[]> {
  return q.query<PredictionRow>(
    `SELECT * FROM predictions WHERE status = 'starting' AND worker_id IS NULL AND version = $1 AND deployment IS NOT DISTINCT FROM $2
     ORDER BY created_at LIMIT $3`,
    [version, deployment, limit],
  );
}

/** Tells waiting predictions of a key why they wait, once each (in their logs). */
export async function tellWaiting(q: Queryable, version: string, deployment: string | null, text: string): Promise<void> {
  await q.query(
    `UPDATE predictions SET logs = logs || $3
     WHERE status = 'starting' AND version = $1 AND deployment IS NOT DISTINCT FROM $2 AND logs = ''`,
    [version, deployment, text],
  );
}

/**
 * On-demand versions being called more often: at least `min` predictions in the last
 * `windowSeconds`, and at least twice as many as in the window before (the database's clock).
 */
export async function risingVersions(q: Queryable, windowSeconds: number, min: number): Promise<string[]> {
  const rows = await q.query<{ version: string }>(
    `SELECT version FROM predictions
     WHERE kind = 'prediction' AND deployment IS NULL AND created_at > clock_timestamp() - make_interval(secs => $1 * 2)
     GROUP BY version
     HAVING count(*) FILTER (WHERE created_at > clock_timestamp() - make_interval(secs => $1)) >= $2
        AND count(*) FILTER (WHERE created_at > clock_timestamp() - make_interval(secs => $1))
            >= 2 * count(*) FILTER (WHERE created_at <= clock_timestamp() - make_interval(secs => $1))
     ORDER BY version`,
    [windowSeconds, min],
  );
  return rows.map((r) => r.version);
}
