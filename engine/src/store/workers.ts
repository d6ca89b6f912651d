/** Worker registry: heartbeats tell the rest of the cluster which running work is still owned. */
import type { Db, Queryable } from './db';
import type { Dispatchable } from './predictions';

/**
 * Seconds without a heartbeat (workers beat every 2 s) after which a worker counts as gone: its
 * claims may be taken over, its running work is failed as interrupted, and a fleet's controller
 * declares it lost and places its instances elsewhere.
 */
export const WORKER_STALE_SECONDS = 15;

export async function registerWorker(db: Db, id: string, name: string, devices: unknown): Promise<string[]> {
  // An earlier incarnation under the same name is dead: this process replaces it.
  const dead = await db.query<{ id: string }>(
    `UPDATE workers SET stopped_at = clock_timestamp() WHERE name = $1 AND stopped_at IS NULL RETURNING id`,
    [name],
  );
  await db.query(`INSERT INTO workers (id, name, devices) VALUES ($1,$2,$3)`, [id, name, JSON.stringify(devices)]);
  return dead.map((r) => r.id);
}

/** What a heartbeat found: still a member, declared lost by the controller, or replaced/stopped. */
export type Membership = 'live' | 'lost' | 'stopped';

/**
 * Records a heartbeat. A stopped row is never revived by a late heartbeat: `lost` means the
 * controller declared this worker lost (it must rejoin as a new incarnation, with nothing
 * running); `stopped` means it was stopped or replaced by a newer process of the same name.
 */
export async function heartbeat(db: Db, id: string, devices?: unknown): Promise<Membership> {
  const [row] = await db.query<{ beat: boolean; lost: boolean | null }>(
    `WITH u AS (UPDATE workers SET heartbeat_at = clock_timestamp(), devices = COALESCE($2::jsonb, devices)
       WHERE id = $1 AND stopped_at IS NULL RETURNING id)
     SELECT EXISTS (SELECT 1 FROM u) AS beat, (SELECT lost_at IS NOT NULL FROM workers WHERE id = $1) AS lost`,
    [id, devices === undefined ? null : JSON.stringify(devices)],
  );
  if (row?.beat) return 'live';
  return row?.lost ? 'lost' : 'stopped';
}

export async function stopWorker(db: Db, id: string): Promise<void> {
  await db.query(`UPDATE workers SET stopped_at = clock_timestamp() WHERE id = $1`, [id]);
}

export interface WorkerRow {
  id: string;
  name: string;
  devices: unknown;
  started_at: Date;
  heartbeat_at: Date;
}

export async function liveWorkers(db: Queryable, staleAfterSeconds: number): Promise<WorkerRow[]> {
  return db.query<WorkerRow>(
    `SELECT id, name, devices, started_at, heartbeat_at FROM workers
     WHERE stopped_at IS NULL AND heartbeat_at > clock_timestamp() - make_interval(secs => $1) ORDER BY started_at`,
    [staleAfterSeconds],
  );
}

/** Workers still registered whose heartbeat is older than `staleAfterSeconds`. */
export async function silentWorkers(db: Queryable, staleAfterSeconds: number): Promise<string[]> {
  const rows = await db.query<{ id: string }>(
    `SELECT id FROM workers WHERE stopped_at IS NULL AND heartbeat_at <= clock_timestamp() - make_interval(secs => $1)`,
    [staleAfterSeconds],
  );
  return rows.map((r) => r.id);
}

/**
 * Declares a silent worker lost, in one transaction (run it through the controller's fenced
 * database): the row is stopped (it never comes back; the process rejoins under a new id), the
 * predictions it claimed but never started are handed back (returned, to enqueue again), its
 * placements are released and its instances marked stopped. Its running predictions are failed
 * as interrupted by the orphan sweep. Empty when the worker heartbeat meanwhile.
 */
export async function declareLost(db: { tx<T>(work: (q: Queryable) => Promise<T>): Promise<T> }, id: string, staleAfterSeconds: number): Promise<{ lost: boolean; requeue: Dispatchable[] }> {
  return db.tx(async (q) => {
    const stopped = await q.query(
      `UPDATE workers SET stopped_at = clock_timestamp(), lost_at = clock_timestamp()
       WHERE id = $1 AND stopped_at IS NULL AND heartbeat_at <= clock_timestamp() - make_interval(secs => $2) RETURNING id`,
      [id, staleAfterSeconds],
    );
    if (stopped.length === 0) return { lost: false, requeue: [] };
    const requeue = await q.query<Dispatchable>(
      `UPDATE predictions SET worker_id = NULL WHERE status = 'starting' AND worker_id = $1 RETURNING id, hardware, version, deployment`,
      [id],
    );
    await q.query(`DELETE FROM placements WHERE worker_id = $1`, [id]);
    await q.query(`UPDATE instances SET stopped_at = clock_timestamp(), state = 'stopped' WHERE worker_id = $1 AND stopped_at IS NULL`, [id]);
    return { lost: true, requeue };
  });
}
