/**
 * Cluster-wide planning for a fleet's controller: the same autoscaler (`plan`) and placement
 * pipeline (filter → score → select → reserve) a single worker runs over its own devices, run
 * once over the devices of every live worker. Pure: the controller reads a `FleetSnapshot` from
 * Postgres, calls `decideFleet`, and writes what it returns (placements to add, instances to stop,
 * predictions to fail or tell why they wait). The benchmark drives the same function.
 *
 * Terminology
 * - Key: what instances are shared by, a version (`<version>`) or a version served by a deployment
 *   (`<version>@<owner/name>`); the autoscaler sees each key as its own version.
 * - Placement: an instance the controller decided a worker runs, holding its devices from the
 *   moment it is written until the worker reports the instance stopped (or the worker is lost).
 * - FleetMemory: what the controller learns across ticks (arrival gaps and forecast, predict and
 *   setup times, setup failures, since when a backlog has lasted); lost on a controller failover,
 *   relearned. A key that went quiet is remembered for FORECAST_MEMORY_MS after its last arrival
 *   (with the demand it last had), so that forecast prewarm can start it before it is called again.
 */
import { plan, smoothedPredictMs, type Action, type VersionDemand } from './autoscaler';
import type { SetupFailures } from './backoff';
import type { InstanceRecord, InstanceState } from './instance';
import { emptyForecast, withArrival, type ArrivalForecast, type ArrivalHistory } from './forecast';
import { emptyGapHistogram } from './keep-alive';
import type { AutoscalerKnobs } from './knobs';
import { Ledger, reserve, type Cluster, type HardwareRequest, type PlacementOk, type WorkerState } from './placement';
import type { GpuDevice } from './inventory';
import type { GpuBaseSku } from './skus';

/** A live worker as it describes itself in its heartbeat (`workers.devices`). */
export interface FleetWorker {
  id: string;
  gpus: Array<{ index: number; name: string; sku: string | null; memory_gb: number }>;
  cpuSlots: number;
  /** Versions whose artifacts the worker holds, by tier (the weights-cached scorer reads it). */
  artifacts?: WorkerState['artifacts'];
}

/** A placement and its worker's last report about the instance. */
export interface FleetPlacement {
  id: string;
  workerId: string;
  key: string;
  devices: number[];
  memoryClaimGb: number;
  cpuSlots: number;
  createdAt: number;
  stopRequested: boolean;
  /** The instance's state as the worker reported it; null before the worker picked it up. */
  state: string | null;
  since: number | null;
  setupTime: number | null;
  lastUsedAt: number | null;
  error: string | null;
  /** The worker reported the instance gone (stopped, failed, crashed). */
  stopped: boolean;
}

/** Open predictions of one key. */
export interface FleetDemand {
  key: string;
  hardware: HardwareRequest;
  /** Bytes of the version's artifacts, when known (see VersionDemand.artifactBytes). */
  artifactBytes?: number;
  maxConcurrency: number;
  queued: number;
  running: number;
  oldestQueuedAt: number | null;
  /** min/max for a deployment key (a deleted deployment: 0/0; an old version of one: 0/max). */
  deployment?: { minInstances: number; maxInstances: number };
}

export interface FleetSnapshot {
  /** The database's clock (ms): every time in the snapshot is on it. */
  now: number;
  workers: readonly FleetWorker[];
  placements: readonly FleetPlacement[];
  /** Every key with open predictions, a deployment, or a live placement. */
  demand: readonly FleetDemand[];
  /** Predictions created since the last snapshot, oldest first. */
  arrivals: ReadonlyArray<{ key: string; at: number }>;
  /** Predict times (ms) of predictions that succeeded since the last snapshot. */
  completions: ReadonlyArray<{ key: string; predictMs: number }>;
}

interface KeyMemory extends ArrivalHistory {
  forecast: ArrivalForecast;
  /** The key's demand when it was last in a snapshot: what a prewarm of a quiet key places. */
  lastDemand?: FleetDemand;
  backlogSince?: number;
  predictMs?: number;
  setupMs?: number;
  failures?: SetupFailures;
  lastError?: string;
  /** Since when no live worker could ever hold the key (null: one could, at the last tick). */
  unplaceableSince?: number;
}

/** What the controller remembers between ticks. */
export class FleetMemory {
  private readonly keys = new Map<string, KeyMemory>();

  of(key: string): KeyMemory {
    let m = this.keys.get(key);
    if (!m) this.keys.set(key, (m = { gaps: emptyGapHistogram(), forecast: emptyForecast() }));
    return m;
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  forget(key: string): void {
    this.keys.delete(key);
  }

  /** Keys it holds (for forgetting those that went quiet). */
  list(): string[] {
    return [...this.keys.keys()];
  }
}

/** What the controller should do after a tick. */
export interface FleetDecision {
  /** New placements, already reserved in `ledger` (no device is claimed twice). */
  starts: Array<{ id: string; key: string; placement: PlacementOk; reason: string }>;
  /** Idle instances to drain and stop. */
  stops: Array<{ id: string; key: string; reason: string }>;
  /** Placements whose instance is gone: forget them, freeing their devices. */
  releases: string[];
  /** Fail the waiting predictions of a key: no worker can ever hold it, or its setup keeps failing. */
  fails: Array<{ key: string; error: string; logs?: string }>;
  /** Keys that wait for room, and why (told to their waiting predictions). */
  pending: Array<{ key: string; reasons: string[] }>;
  /** The autoscaler's own actions, for logs and tests. */
  actions: Action[];
  cluster: Cluster;
  ledger: Ledger;
}

export interface DecideOptions {
  knobs?: Partial<AutoscalerKnobs>;
  /** New placement ids (unique). */
  newId: () => string;
  /**
   * How long a key must stay impossible to place (no live worker could ever hold it) before its
   * waiting predictions fail: a worker restarting or cut off for a moment must not fail them.
   */
  unplaceableGraceMs?: number;
}

const LIVE_REPORTS: readonly string[] = ['booting', 'ready', 'busy'];

/** How long a quiet key's history is kept: a day and an hour, so a daily pattern is seen again. */
export const FORECAST_MEMORY_MS = 25 * 3600_000;

/** The live workers as the placement pipeline sees them. */
export function fleetCluster(workers: readonly FleetWorker[]): Cluster {
  return {
    workers: workers.map((w): WorkerState => ({
      id: w.id,
      alive: true,
      cpuSlots: w.cpuSlots,
      gpus: w.gpus.map((g): GpuDevice => ({ index: g.index, name: g.name, memoryGb: g.memory_gb, uuid: null, sku: (g.sku as GpuBaseSku | null) ?? null })),
      artifacts: w.artifacts,
    })),
  };
}

/** The state a placement's instance is in, for the autoscaler. */
function stateOf(p: FleetPlacement): InstanceState {
  if (p.stopRequested) return 'stopping';
  if (p.state === null) return 'booting';
  return LIVE_REPORTS.includes(p.state) ? (p.state as InstanceState) : 'stopping';
}

/**
 * Instance records for `plan`: predictions running on a key are spread over its busy instances
 * (the workers report busy/ready, not slot counts), so load and idleness come out right.
 */
function instanceRecords(placements: readonly FleetPlacement[], running: Map<string, number>): InstanceRecord[] {
  const busyByKey = new Map<string, number>();
  for (const p of placements) if (stateOf(p) === 'busy') busyByKey.set(p.key, (busyByKey.get(p.key) ?? 0) + 1);
  const handed = new Map<string, number>();
  return placements.map((p) => {
    const state = stateOf(p);
    let inFlight = 0;
    if (state === 'busy') {
      const busy = busyByKey.get(p.key)!;
      const total = Math.max(busy, running.get(p.key) ?? 0);
      const seen = handed.get(p.key) ?? 0;
      handed.set(p.key, seen + 1);
      inFlight = Math.floor(total / busy) + (seen < total % busy ? 1 : 0);
    }
    const readyAt = p.setupTime !== null ? p.createdAt + p.setupTime * 1000 : null;
    return {
      id: p.id,
      versionId: p.key,
      state,
      since: p.since ?? p.createdAt,
      bootStartedAt: p.createdAt,
      readyAt,
      setupMs: p.setupTime !== null ? p.setupTime * 1000 : null,
      lastUsedAt: p.lastUsedAt,
      inFlight,
    };
  });
}

/** Learns from what happened since the last tick: arrival gaps, predict times, boots and failures. */
export function observe(memory: FleetMemory, snap: FleetSnapshot, released: readonly FleetPlacement[]): void {
  for (const a of snap.arrivals) {
    const m = memory.of(a.key);
    Object.assign(m, withArrival(m, a.at));
  }
  for (const c of snap.completions) {
    const m = memory.of(c.key);
    m.predictMs = smoothedPredictMs(m.predictMs, c.predictMs);
  }
  for (const p of snap.placements) {
    if (p.setupTime === null || p.stopped) continue;
    const m = memory.of(p.key);
    m.setupMs = p.setupTime * 1000;
    m.failures = undefined;
  }
  for (const p of released) {
    // Gone without ever becoming ready: a failed boot (the backoff's input).
    if (p.setupTime !== null || p.stopRequested || p.state !== 'failed') continue;
    const m = memory.of(p.key);
    m.failures = { count: (m.failures?.count ?? 0) + 1, lastAt: snap.now };
    m.lastError = p.error ?? 'setup failed';
  }
}

/**
 * One controller tick: which placements to forget, which instances to start where, which idle ones
 * to stop, and which waiting predictions to fail or tell why they wait.
 */
export function decideFleet(snap: FleetSnapshot, memory: FleetMemory, opts: DecideOptions): FleetDecision {
  const now = snap.now;
  const cluster = fleetCluster(snap.workers);
  const releasedRows = snap.placements.filter((p) => p.stopped);
  const releases = releasedRows.map((p) => p.id);
  observe(memory, snap, releasedRows);
  const held = snap.placements.filter((p) => !p.stopped);

  // The ledger holds every placement that still occupies devices, stopping ones included: a
  // device is offered again only once its instance is reported gone.
  const ledger = new Ledger();
  const live: FleetPlacement[] = [];
  for (const p of held) {
    const claim = { ok: true as const, worker: p.workerId, devices: p.devices, memoryClaimGb: p.memoryClaimGb, cudaVisibleDevices: p.devices.join(','), cpuSlots: p.cpuSlots, score: 0 };
    if (reserve(ledger, cluster, p.id, claim).ok) live.push(p); // a placement on a worker that is not live holds nothing
  }

  const running = new Map(snap.demand.map((d) => [d.key, d.running]));
  const versions: VersionDemand[] = [];
  const inSnapshot = new Set(snap.demand.map((d) => d.key));
  // Quiet keys the forecast may still prewarm: nothing open, so queued and running are 0.
  const quiet: FleetDemand[] = [];
  for (const key of memory.list()) {
    const m = memory.of(key);
    if (inSnapshot.has(key) || !m.lastDemand || m.lastArrival === undefined || now - m.lastArrival > FORECAST_MEMORY_MS) continue;
    quiet.push({ ...m.lastDemand, queued: 0, running: 0, oldestQueuedAt: null });
  }
  for (const d of [...snap.demand, ...quiet]) {
    const m = memory.of(d.key);
    m.lastDemand = d;
    m.backlogSince = d.queued > 0 ? (m.backlogSince ?? d.oldestQueuedAt ?? now) : undefined;
    versions.push({
      versionId: d.key,
      hardware: d.hardware,
      artifactBytes: d.artifactBytes,
      maxConcurrency: d.maxConcurrency,
      queued: d.queued,
      oldestQueuedAt: d.oldestQueuedAt,
      backlogSince: m.backlogSince ?? null,
      predictMs: m.predictMs,
      deployment: d.deployment,
      gaps: m.gaps,
      forecast: m.forecast,
      setupMs: m.setupMs,
      setupFailures: m.failures,
    });
  }
  const wanted = new Set(versions.map((v) => v.versionId));
  for (const key of memory.list()) if (!wanted.has(key) && !live.some((p) => p.key === key)) memory.forget(key);

  const actions = plan({ versions, instances: instanceRecords(live, running), cluster, ledger }, now, opts.knobs ?? {});
  const decision: FleetDecision = { starts: [], stops: [], releases, fails: [], pending: [], actions, cluster, ledger };
  const byId = new Map(live.map((p) => [p.id, p]));
  const unplaceable = new Set<string>();
  for (const action of actions) {
    if (action.type === 'start') {
      const id = opts.newId();
      // plan() planned on a scratch ledger where instances it stops are already gone; the real
      // ledger refuses devices still held (a stopping instance): the next tick places it.
      if (reserve(ledger, cluster, id, action.placement).ok) decision.starts.push({ id, key: action.versionId, placement: action.placement, reason: action.reason });
    } else if (action.type === 'stop' || action.type === 'evict') {
      const p = byId.get(action.instanceId);
      if (p && stateOf(p) === 'ready') decision.stops.push({ id: p.id, key: p.key, reason: action.type === 'evict' ? `evicted for ${action.forVersionId}` : action.reason });
    } else if (action.type === 'unplaceable') {
      unplaceable.add(action.versionId);
      const m = memory.of(action.versionId);
      m.unplaceableSince ??= now;
      if (now - m.unplaceableSince >= (opts.unplaceableGraceMs ?? 0)) {
        decision.fails.push({ key: action.versionId, error: `no capacity can ever hold this version: ${action.reasons.join('; ')}` });
      } else {
        decision.pending.push({ key: action.versionId, reasons: action.reasons });
      }
    } else if (action.type === 'pending') {
      decision.pending.push({ key: action.versionId, reasons: action.reasons });
    } else if (action.type === 'backoff') {
      // Setup keeps failing: waiting runs fail with the setup error instead of hanging.
      const m = memory.of(action.versionId);
      const retry = Math.ceil((action.retryAt - now) / 1000);
      const [first, ...rest] = (m.lastError ?? 'setup failed').split('\n');
      decision.fails.push({ key: action.versionId, error: `${first} (next setup attempt in ${retry}s)`, logs: rest.length ? rest.join('\n') : undefined });
    }
  }
  for (const d of snap.demand) if (!unplaceable.has(d.key) && memory.has(d.key)) memory.of(d.key).unplaceableSince = undefined;
  return decision;
}
