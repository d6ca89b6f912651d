/** Counts that metrics read from Postgres at scrape time (queue and instance state live in cluster.ts). */
import type { Queryable } from './db';

/** Webhook deliveries not yet delivered: pending (waiting or retrying) and dead. */
export async function webhookOutboxCounts(q: Queryable): Promise<Array<{ status: string; count: number }>> {
  return q.query<{ status: string; count: number }>(
    `SELECT status, count(*)::int AS count FROM webhook_deliveries WHERE status IN ('pending', 'dead') GROUP BY status`,
  );
}

/** Round trip to the database (readiness). */
export async function ping(q: Queryable): Promise<void> {
  await q.query('SELECT 1');
}
