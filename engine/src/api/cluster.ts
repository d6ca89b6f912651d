/**
 * Extension: `GET /v1/cluster` (workers, devices, instances, queue depth) and the check that some
 * live worker can serve a hardware SKU, so impossible requests fail fast instead of queueing.
 */
import type { FastifyInstance } from 'fastify';
import { invalid } from '../core/errors';
import { findSku } from '../core/hardware';
import { clusterWorkers, queueDepths, type ClusterWorkerRow } from '../store/cluster';
import { liveInstances, type InstanceRow } from '../store/deployments';
import type { Queryable } from '../store/db';
import type { ApiContext } from './context';

/** What a worker writes in `workers.devices` (older workers write only hardware and cpu_slots). */
interface WorkerDevices {
  hardware?: string[];
  cpu_slots?: number;
  gpus?: Array<Record<string, unknown>>;
  /** Work waiting on this worker for capacity, with the placement's reasons ("does not fit"). */
  pending?: Array<{ version: string; deployment: string | null; reasons: string[] }>;
  /** Versions whose artifacts the worker holds (tier), and their bytes. */
  artifacts?: Record<string, unknown>;
  artifact_bytes?: Record<string, unknown>;
  /** The worker's artifact cache counters and budgets (storage/artifact-cache.ts, `summary`). */
  cache?: Record<string, unknown>;
}

/** The cache summary fields a worker reports, as numbers. */
const CACHE_FIELDS = ['budget_bytes', 'used_bytes', 'memory_budget_bytes', 'memory_used_bytes', 'hits_memory', 'hits_disk', 'misses', 'fetched_bytes', 'evictions'] as const;

function cacheWire(cache: Record<string, unknown> | undefined): Record<(typeof CACHE_FIELDS)[number], number | null> | null {
  if (!cache || typeof cache !== 'object') return null;
  return Object.fromEntries(CACHE_FIELDS.map((f) => [f, num(cache[f])])) as Record<(typeof CACHE_FIELDS)[number], number | null>;
}

function artifactsWire(d: WorkerDevices): Array<{ version: string; tier: string; bytes: number | null }> {
  return Object.entries(d.artifacts ?? {})
    .filter(([, tier]) => tier === 'memory' || tier === 'disk')
    .map(([version, tier]) => ({ version, tier: tier as string, bytes: num(d.artifact_bytes?.[version]) }));
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Device indexes an instance holds (`devices` is a list of indexes or of `{index}` objects). */
function deviceIndexes(devices: unknown): number[] {
  if (!Array.isArray(devices)) return [];
  return devices
    .map((d) => (typeof d === 'number' ? d : typeof d === 'string' && /^\d+$/.test(d) ? Number(d) : num((d as { index?: unknown })?.index)))
    .filter((d): d is number => d !== null);
}

function gpuBaseSkuOf(gpu: Record<string, unknown>): string | null {
  return typeof gpu.sku === 'string' ? gpu.sku : null;
}

/** True when this worker's declared devices can serve the SKU. */
export function workerServes(devices: unknown, sku: string): boolean {
  const d = (devices ?? {}) as WorkerDevices;
  if (Array.isArray(d.hardware) && d.hardware.includes(sku)) return true;
  // A worker that lists its GPUs serves a multi-GPU offer when it has enough GPUs of the type.
  const offer = findSku(sku);
  if (!offer?.gpu || !Array.isArray(d.gpus)) return false;
  return d.gpus.filter((g) => gpuBaseSkuOf(g) === offer.gpu).length >= offer.gpuCount;
}

/**
 * Why no live worker can run `hardware`, or undefined when one can. The model-prediction create
 * path calls this too: a request nobody can serve is refused instead of queueing forever.
 */
export async function hardwareUnservable(db: Queryable, hardware: string, staleAfterSeconds: number): Promise<string | undefined> {
  if (!findSku(hardware)) return `${hardware} is not a known hardware SKU`;
  const workers = (await clusterWorkers(db, staleAfterSeconds, 0)).filter((w) => w.alive);
  if (workers.some((w) => workerServes(w.devices, hardware))) return undefined;
  if (workers.length === 0) return `no live worker in the cluster (needed: ${hardware})`;
  return `no worker in the cluster has ${hardware}`;
}

/** Throws 422 naming `pointer` when no live worker can serve `hardware`. */
export async function requireServableHardware(ctx: Pick<ApiContext, 'db' | 'workerStaleSeconds'>, hardware: string, pointer = '/hardware'): Promise<void> {
  const problem = await hardwareUnservable(ctx.db, hardware, ctx.workerStaleSeconds);
  if (problem) throw invalid([{ pointer, detail: problem }], `${problem}; see GET /v1/cluster and GET /v1/hardware`);
}

export function instanceWire(i: InstanceRow) {
  return {
    id: i.id,
    worker_id: i.worker_id,
    version: i.version,
    deployment: i.deployment,
    hardware: i.hardware,
    devices: i.devices,
    memory_gb: i.memory_gb,
    state: i.state,
    since: i.since.toISOString(),
    // The model's setup, as in a prediction's metrics; rows from before boot phases were
    // measured hold only the whole boot.
    setup_time: num(i.boot_phases?.setup_time) ?? i.setup_time,
    fetch_time: num(i.boot_phases?.fetch_time),
    boot_time: num(i.boot_phases?.boot_time),
    artifact_cache: typeof i.boot_phases?.artifact_cache === 'string' ? i.boot_phases.artifact_cache : null,
    last_used_at: i.last_used_at?.toISOString() ?? null,
    error: i.error,
  };
}

export function workerWire(w: ClusterWorkerRow, instances: InstanceRow[]) {
  const d = (w.devices ?? {}) as WorkerDevices;
  const mine = instances.filter((i) => i.worker_id === w.id);
  const gpus = (Array.isArray(d.gpus) ? d.gpus : []).map((g, pos) => {
    const index = num(g.index) ?? pos;
    const memory = num(g.memory_gb) ?? num(g.memoryGb);
    // In use: what the worker reports, else the memory claims of live instances on this device.
    const reported = num(g.memory_in_use_gb) ?? num(g.memoryInUseGb);
    const claimed = mine
      .filter((i) => deviceIndexes(i.devices).includes(index))
      .reduce((sum, i) => sum + (i.memory_gb || 0) / Math.max(1, deviceIndexes(i.devices).length), 0);
    return {
      index,
      sku: gpuBaseSkuOf(g),
      name: typeof g.name === 'string' ? g.name : null,
      memory_gb: memory,
      memory_in_use_gb: reported ?? Math.round(claimed * 100) / 100,
      instances: mine.filter((i) => deviceIndexes(i.devices).includes(index)).map((i) => i.id),
    };
  });
  return {
    id: w.id,
    name: w.name,
    hardware: Array.isArray(d.hardware) ? d.hardware : [],
    cpu_slots: num(d.cpu_slots) ?? 0,
    gpus,
    started_at: w.started_at.toISOString(),
    heartbeat_at: w.heartbeat_at.toISOString(),
    alive: w.alive,
    pending: Array.isArray(d.pending) ? d.pending : [],
    artifacts: artifactsWire(d),
    cache: cacheWire(d.cache),
  };
}

export function clusterRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/v1/cluster', async () => {
    const [workers, instances, queues] = await Promise.all([
      clusterWorkers(ctx.db, ctx.workerStaleSeconds),
      liveInstances(ctx.db),
      queueDepths(ctx.db),
    ]);
    const alive = workers.filter((w) => w.alive);
    const queueWire = queues.map((q) => ({
      model: q.model,
      version: q.version,
      deployment: q.deployment,
      hardware: q.hardware,
      queued: q.queued,
      running: q.running,
      oldest_queued_at: q.oldest_queued_at?.toISOString() ?? null,
    }));
    // Waiting work that no live worker can take: it will not start until such a worker joins.
    const unplaceable = queueWire
      .filter((q) => q.queued > 0 && !alive.some((w) => workerServes(w.devices, q.hardware)))
      .map((q) => ({ ...q, reason: alive.length ? `no worker in the cluster has ${q.hardware}` : 'no live worker in the cluster' }));
    return {
      workers: workers.map((w) => workerWire(w, instances)),
      instances: instances.map(instanceWire),
      queues: queueWire,
      unplaceable,
    };
  });
}
