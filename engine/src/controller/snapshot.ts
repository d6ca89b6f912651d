/**
 * Reads the cluster as the fleet planner needs it (`FleetSnapshot`): live workers and their
 * devices, placements with the workers' reports, open predictions per key, deployments, and the
 * arrivals and completions since the last read. Times are the database's clock throughout.
 */
import type { Db } from '../store/db';
import { getVersion, type VersionRow } from '../store/catalog';
import { queueDepths } from '../store/cluster';
import { arrivalsSince, completionsSince, databaseNow, deploymentBounds } from '../store/fleet';
import { placementViews, type PlacementView } from '../store/placements';
import { WORKER_STALE_SECONDS, liveWorkers } from '../store/workers';
import { instanceKey } from '../queue';
import { hardwareRequestOf, type FleetDemand, type FleetPlacement, type FleetSnapshot, type FleetWorker, type HardwareRequest } from '../scheduler';

/** What a fleet worker puts in its heartbeat (`workers.devices`). */
export interface FleetWorkerDevices {
  /** Set by fleet workers only: the controller places on these and on nothing else. */
  managed?: boolean;
  hardware?: string[];
  cpu_slots?: number;
  gpus?: Array<{ index: number; name: string; sku: string | null; memory_gb: number }>;
  /** Versions whose artifacts the worker holds: `memory` or `disk` by version id. */
  artifacts?: Record<string, 'memory' | 'disk'>;
  /** Bytes of those artifacts by version id (fills placement's `artifactBytes`). */
  artifact_bytes?: Record<string, number>;
  /** The worker's artifact cache: budgets, use, hits and misses (storage/artifact-cache.ts). */
  cache?: Record<string, number>;
  /** Older workers: version ids held on disk. */
  cached_versions?: string[];
}

/** What a heartbeat says the worker holds, from either form. */
function artifactsOf(d: FleetWorkerDevices): Record<string, 'memory' | 'disk'> {
  const held: Record<string, 'memory' | 'disk'> = {};
  for (const v of Array.isArray(d.cached_versions) ? d.cached_versions : []) if (typeof v === 'string') held[v] = 'disk';
  for (const [v, tier] of Object.entries(d.artifacts ?? {})) if (tier === 'memory' || tier === 'disk') held[v] = tier;
  return held;
}

/** The managed (fleet) workers among `rows`, as the placement pipeline's fleet sees them. */
export function fleetWorkersOf(rows: ReadonlyArray<{ id: string; devices: unknown }>): FleetWorker[] {
  const out: FleetWorker[] = [];
  for (const w of rows) {
    const d = (w.devices ?? {}) as FleetWorkerDevices;
    if (!d.managed) continue;
    out.push({ id: w.id, gpus: Array.isArray(d.gpus) ? d.gpus : [], cpuSlots: d.cpu_slots ?? 0, artifacts: artifactsOf(d) });
  }
  return out;
}

/** The largest size any worker reports for each version's artifacts. */
function artifactSizes(rows: ReadonlyArray<{ devices: unknown }>): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const w of rows) {
    const d = (w.devices ?? {}) as FleetWorkerDevices;
    for (const [v, bytes] of Object.entries(d.artifact_bytes ?? {})) {
      if (typeof bytes === 'number' && Number.isFinite(bytes) && bytes > 0) sizes.set(v, Math.max(bytes, sizes.get(v) ?? 0));
    }
  }
  return sizes;
}

export function splitKey(key: string): { version: string; deployment: string | null } {
  const at = key.indexOf('@');
  return at < 0 ? { version: key, deployment: null } : { version: key.slice(0, at), deployment: key.slice(at + 1) };
}

function placementOf(p: PlacementView): FleetPlacement {
  return {
    id: p.id,
    workerId: p.worker_id,
    key: p.key,
    devices: p.devices,
    memoryClaimGb: p.memory_claim_gb,
    cpuSlots: p.cpu_slots,
    createdAt: p.created_at.getTime(),
    stopRequested: p.stop_requested_at !== null,
    state: p.state,
    since: p.since?.getTime() ?? null,
    setupTime: p.setup_time,
    lastUsedAt: p.last_used_at?.getTime() ?? null,
    error: p.error,
    stopped: p.stopped_at !== null,
  };
}

export class SnapshotReader {
  /** Versions are immutable: read each once. */
  private readonly versions = new Map<string, VersionRow>();
  /** Arrivals and completions are read after these (the database's clock). */
  private arrivedAfter?: Date;
  private completedAfter?: Date;

  constructor(private readonly db: Db) {}

  private async version(id: string): Promise<VersionRow | undefined> {
    let v = this.versions.get(id);
    if (!v) {
      v = await getVersion(this.db, id);
      if (v) this.versions.set(id, v);
    }
    return v;
  }

  async read(): Promise<FleetSnapshot> {
    const now = await databaseNow(this.db);
    const [workers, placements, depths, deployments, arrivals, completions] = await Promise.all([
      liveWorkers(this.db, WORKER_STALE_SECONDS),
      placementViews(this.db),
      queueDepths(this.db),
      deploymentBounds(this.db),
      arrivalsSince(this.db, this.arrivedAfter ?? new Date(now)),
      completionsSince(this.db, this.completedAfter ?? new Date(now)),
    ]);
    // Never read a row twice: the next read starts after the newest one seen (or now).
    const latest = (rows: Date[]) => new Date(Math.max(now, ...rows.map((d) => d.getTime())));
    this.arrivedAfter = latest(arrivals.map((a) => a.created_at));
    this.completedAfter = latest(completions.map((c) => c.completed_at));

    const fleetWorkers = fleetWorkersOf(workers);
    const sizes = artifactSizes(workers);

    // Every key with open work, a deployment, or a placement: the planner may scale each.
    const rows = new Map<string, { version: string; deployment: string | null; hardware?: string | HardwareRequest; queued: number; running: number; oldest: number | null }>();
    const touch = (version: string, deployment: string | null) => {
      const key = instanceKey({ version, deployment });
      let r = rows.get(key);
      if (!r) rows.set(key, (r = { version, deployment, queued: 0, running: 0, oldest: null }));
      return r;
    };
    for (const q of depths) {
      const r = touch(q.version, q.deployment);
      r.hardware = q.hardware;
      r.queued += q.queued;
      r.running += q.running;
      const oldest = q.oldest_queued_at?.getTime() ?? null;
      if (oldest !== null && (r.oldest === null || oldest < r.oldest)) r.oldest = oldest;
    }
    const byDeployment = new Map(deployments.map((d) => [`${d.owner}/${d.name}`, d]));
    for (const d of deployments) touch(d.version, `${d.owner}/${d.name}`).hardware ??= d.hardware;
    for (const p of placements) if (!p.stopped_at) touch(p.version, p.deployment).hardware ??= p.hardware;

    const demand: FleetDemand[] = [];
    for (const [key, r] of rows) {
      const version = await this.version(r.version);
      if (!version) continue;
      let bounds: FleetDemand['deployment'];
      let hardware: HardwareRequest = typeof r.hardware === 'string' || r.hardware === undefined ? hardwareRequestOf(version, r.hardware ?? version.hardware) : r.hardware;
      if (r.deployment) {
        const d = byDeployment.get(r.deployment);
        if (!d) bounds = { minInstances: 0, maxInstances: 0 }; // deleted: its open predictions were canceled with it
        else if (d.version !== r.version) bounds = { minInstances: 0, maxInstances: Math.max(1, d.max_instances) }; // moved on: drain, then zero
        else {
          bounds = { minInstances: d.min_instances, maxInstances: d.max_instances };
          hardware = d.hardware;
        }
      }
      demand.push({ key, hardware, artifactBytes: sizes.get(r.version), maxConcurrency: version.max_concurrency, queued: r.queued, running: r.running, oldestQueuedAt: r.oldest, deployment: bounds });
    }
    // Placement asks by key (`version@deployment`); workers report what they hold by version.
    for (const w of fleetWorkers) {
      for (const [key, r] of rows) {
        const tier = w.artifacts?.[r.version];
        if (tier && key !== r.version) w.artifacts = { ...w.artifacts, [key]: tier };
      }
    }

    return {
      now,
      workers: fleetWorkers,
      placements: placements.map(placementOf),
      demand,
      arrivals: arrivals.map((a) => ({ key: instanceKey(a), at: a.created_at.getTime() })),
      completions: completions
        .filter((c) => c.predict_time !== null && Number.isFinite(c.predict_time))
        .map((c) => ({ key: instanceKey(c), predictMs: c.predict_time! * 1000 })),
    };
  }
}
