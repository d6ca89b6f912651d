/** Worker registry: heartbeats tell the rest of the cluster which running work is still owned. */
import type { Db } from './db';

export async function registerWorker(db: Db, id: string, name: string, devices: unknown): Promise<string[]> {
  // An earlier incarnation under the same name is dead: this process replaces it.
  const dead = await db.query<{ id: string }>(
    `UPDATE workers SET stopped_at = clock_timestamp() WHERE name = $1 AND stopped_at IS NULL RETURNING id`,
    [name],
  );
  await db.query(`INSERT INTO workers (id, name, devices) VALUES ($1,$2,$3)`, [id, name, JSON.stringify(devices)]);
  return dead.map((r) => r.id);
}

export async function heartbeat(db: Db, id: string, devices?: unknown): Promise<void> {
  await db.query(
    `UPDATE workers SET heartbeat_at = clock_timestamp(), devices = COALESCE($2::jsonb, devices) WHERE id = $1`,
    [id, devices === undefined ? null : JSON.stringify(devices)],
  );
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

export async function liveWorkers(db: Db, staleAfterSeconds: number): Promise<WorkerRow[]> {
  return db.query<WorkerRow>(
    `SELECT id, name, devices, started_at, heartbeat_at FROM workers
     WHERE stopped_at IS NULL AND heartbeat_at > clock_timestamp() - make_interval(secs => $1) ORDER BY started_at`,
    [staleAfterSeconds],
  );
}
