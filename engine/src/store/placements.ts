/**
 * Placements: the instances the controller decided each worker runs (desired state), and what the
 * workers report about them (the `instances` row with the same id). The controller writes them
 * through its fenced database; every change NOTIFYs `gantry_placement` with the worker's id so
 * that worker reconciles at once (it also polls).
 */
import type { Queryable } from './db';
import type { HardwareRequest } from '../scheduler';

export const PLACEMENT_CHANNEL = 'gantry_placement';

export interface NewPlacement {
  id: string;
  workerId: string;
  key: string;
  version: string;
  deployment: string | null;
  hardware: HardwareRequest;
  devices: number[];
  memoryClaimGb: number;
  cpuSlots: number;
  epoch: number;
}

export interface PlacementRow {
  id: string;
  worker_id: string;
  key: string;
  version: string;
  deployment: string | null;
  hardware: HardwareRequest;
  devices: number[];
  memory_claim_gb: number;
  cpu_slots: number;
  epoch: number;
  created_at: Date;
  stop_requested_at: Date | null;
}

/** A placement with what its worker last reported (no report yet: the instance is not booting yet). */
export interface PlacementView extends PlacementRow {
  state: string | null;
  since: Date | null;
  setup_time: number | null;
  last_used_at: Date | null;
  error: string | null;
  stopped_at: Date | null;
}

const COLUMNS = `id, worker_id, key, version, deployment, hardware, devices, memory_claim_gb, cpu_slots, epoch::int AS epoch, created_at, stop_requested_at`;

export async function insertPlacement(q: Queryable, p: NewPlacement): Promise<void> {
  await q.query(
    `WITH ins AS (
       INSERT INTO placements (id, worker_id, key, version, deployment, hardware, devices, memory_claim_gb, cpu_slots, epoch)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING worker_id)
     SELECT pg_notify('${PLACEMENT_CHANNEL}', worker_id) FROM ins`,
    [p.id, p.workerId, p.key, p.version, p.deployment, JSON.stringify(p.hardware), p.devices, p.memoryClaimGb, p.cpuSlots, p.epoch],
  );
}

/** Asks the worker to drain and stop an instance; its devices stay held until it reports it stopped. */
export async function requestStop(q: Queryable, id: string): Promise<void> {
  await q.query(
    `WITH u AS (UPDATE placements SET stop_requested_at = clock_timestamp() WHERE id = $1 AND stop_requested_at IS NULL RETURNING worker_id)
     SELECT pg_notify('${PLACEMENT_CHANNEL}', worker_id) FROM u`,
    [id],
  );
}

/** Forgets placements whose instance is gone: their devices are free again. */
export async function deletePlacements(q: Queryable, ids: string[]): Promise<void> {
  if (ids.length) await q.query(`DELETE FROM placements WHERE id = ANY($1)`, [ids]);
}

/** What a worker must run. */
export async function placementsOf(q: Queryable, workerId: string): Promise<PlacementRow[]> {
  return q.query<PlacementRow>(`SELECT ${COLUMNS} FROM placements WHERE worker_id = $1 ORDER BY created_at, id`, [workerId]);
}

/** Every placement with its worker's report, for the controller's view of the cluster. */
export async function placementViews(q: Queryable): Promise<PlacementView[]> {
  return q.query<PlacementView>(
    `SELECT p.id, p.worker_id, p.key, p.version, p.deployment, p.hardware, p.devices, p.memory_claim_gb, p.cpu_slots,
       p.epoch::int AS epoch, p.created_at, p.stop_requested_at,
       i.state, i.since, i.setup_time, i.last_used_at, i.error, i.stopped_at
     FROM placements p LEFT JOIN instances i ON i.id = p.id
     ORDER BY p.created_at, p.id`,
  );
}
