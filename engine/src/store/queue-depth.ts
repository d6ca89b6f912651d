/** How many predictions wait in the queue (status `starting`): for backpressure and metrics. */
import type { Queryable } from './db';

export interface QueuedCounts {
  /** All queued predictions and trainings of the engine. */
  total: number;
  /** Queued on-demand runs of the version (not through a deployment). */
  version: number;
  /** Queued runs of the deployment (0 when none is given). */
  deployment: number;
}

export async function queuedCounts(q: Queryable, version: string, deployment: string | null): Promise<QueuedCounts> {
  const [row] = await q.query<QueuedCounts>(
    `SELECT count(*)::int AS total,
       count(*) FILTER (WHERE version = $1 AND deployment IS NULL)::int AS version,
       count(*) FILTER (WHERE deployment = $2)::int AS deployment
     FROM predictions WHERE status = 'starting'`,
    [version, deployment],
    'queued-counts',
  );
  return row;
}
