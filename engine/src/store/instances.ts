/** The instances table (what /v1/cluster shows) and the usage records of deployment instances. */
import type { Queryable } from './db';

export interface InstanceRecordRow {
  id: string;
  workerId: string;
  version: string;
  deployment: string | null;
  hardware: string;
  devices: number[];
  memoryGb: number;
  state: string;
  /** The whole boot (s). */
  setupTime: number | null;
  /** The boot by phase (runners/boot-phases.ts), once ready. */
  bootPhases: Record<string, unknown> | null;
  error: string | null;
  stopped: boolean;
}

export async function upsertInstance(db: Queryable, r: InstanceRecordRow): Promise<void> {
  await db.query(
    `INSERT INTO instances (id, worker_id, version, deployment, hardware, devices, memory_gb, state, setup_time, error, last_used_at, stopped_at, boot_phases)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10, clock_timestamp(), CASE WHEN $11 THEN clock_timestamp() END, $12)
     ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state, since = CASE WHEN instances.state = EXCLUDED.state THEN instances.since ELSE clock_timestamp() END,
       setup_time = COALESCE(EXCLUDED.setup_time, instances.setup_time), boot_phases = COALESCE(EXCLUDED.boot_phases, instances.boot_phases), error = COALESCE(EXCLUDED.error, instances.error),
       last_used_at = clock_timestamp(), stopped_at = EXCLUDED.stopped_at`,
    [r.id, r.workerId, r.version, r.deployment, r.hardware, JSON.stringify(r.devices), r.memoryGb, r.state, r.setupTime, r.error, r.stopped, r.bootPhases ? JSON.stringify(r.bootPhases) : null],
  );
}

/** Marks every instance of the given workers stopped (they died or restarted). */
export async function stopInstancesOf(db: Queryable, workerIds: string[]): Promise<void> {
  await db.query(
    `UPDATE instances SET stopped_at = clock_timestamp(), state = 'stopped' WHERE worker_id = ANY($1) AND stopped_at IS NULL`,
    [workerIds],
  );
}

export interface InstanceUsage {
  kind: 'setup' | 'idle';
  deployment: string;
  model: string;
  version: string;
  hardware: string;
  seconds: number;
  unitPriceUsd: number;
  totalUsd: number;
}

export async function insertInstanceUsage(db: Queryable, u: InstanceUsage): Promise<void> {
  await db.query(
    `INSERT INTO usage_records (kind, model, version, deployment, hardware, rule, quantity, unit_price_usd, total_usd)
     VALUES ($1,$2,$3,$4,$5,'hardware_time',$6,$7,$8)`,
    [u.kind, u.model, u.version, u.deployment, u.hardware, u.seconds, u.unitPriceUsd, u.totalUsd],
  );
}

export interface DeploymentAssignment {
  owner: string;
  name: string;
  model: string;
  version: string;
  hardware: string;
  min_instances: number;
  max_instances: number;
  /** The live worker that keeps this deployment's warm instances (the oldest one serving its hardware). */
  keeper: string | null;
}

export async function deploymentAssignments(db: Queryable, staleSeconds: number): Promise<DeploymentAssignment[]> {
  return db.query<DeploymentAssignment>(
    `SELECT d.owner, d.name, d.model, d.version, d.hardware, d.min_instances, d.max_instances,
       (SELECT w.id FROM workers w
         WHERE w.stopped_at IS NULL AND w.heartbeat_at > clock_timestamp() - make_interval(secs => $1)
           AND w.devices->'hardware' ? d.hardware
         ORDER BY w.started_at, w.id LIMIT 1) AS keeper
     FROM deployments d`,
    [staleSeconds],
  );
}
