/** What `/v1/cluster` and the "can anyone serve this?" check read: workers, instances, queue depth. */
import type { Queryable } from './db';

export interface ClusterWorkerRow {
  id: string;
  name: string;
  devices: unknown;
  started_at: Date;
  heartbeat_at: Date;
  alive: boolean;
}

/**
 * Workers not stopped whose heartbeat is fresh (alive) or recent (within `showStaleSeconds`; a
 * crashed worker shows as not alive for a while, then drops off).
 */
export async function clusterWorkers(db: Queryable, staleAfterSeconds: number, showStaleSeconds = 3600): Promise<ClusterWorkerRow[]> {
  return db.query<ClusterWorkerRow>(
    `SELECT id, name, devices, started_at, heartbeat_at,
       heartbeat_at > clock_timestamp() - make_interval(secs => $1) AS alive
     FROM workers
     WHERE stopped_at IS NULL AND heartbeat_at > clock_timestamp() - make_interval(secs => $2)
     ORDER BY started_at, id`,
    [staleAfterSeconds, Math.max(showStaleSeconds, staleAfterSeconds)],
  );
}

export interface QueueRow {
  model: string;
  version: string;
  deployment: string | null;
  hardware: string;
  queued: number;
  running: number;
  oldest_queued_at: Date | null;
}

/** Open predictions and trainings grouped by version, deployment and hardware. */
export async function queueDepths(db: Queryable): Promise<QueueRow[]> {
  return db.query<QueueRow>(
    `SELECT model, version, deployment, hardware,
       count(*) FILTER (WHERE status = 'starting')::int AS queued,
       count(*) FILTER (WHERE status = 'processing')::int AS running,
       min(created_at) FILTER (WHERE status = 'starting') AS oldest_queued_at
     FROM predictions WHERE status IN ('starting', 'processing')
     GROUP BY model, version, deployment, hardware
     ORDER BY model, version, deployment NULLS FIRST, hardware`,
  );
}
