/**
 * The instances this worker runs, driven by the scheduler's autoscaler: every decision to boot,
 * stop or evict comes from `plan()` (the same code the simulation benchmark drives), and every
 * boot is placed by the placement pipeline (filter → score → select → reserve) over this
 * worker's inventory. The pool carries the actions out and hands slots to runs.
 *
 * A key is what instances are shared by: a version (`<version>`) or a version served by a
 * deployment (`<version>@<owner/name>`); the autoscaler sees each key as its own version.
 */
import { startInstance, type InstanceLimits, type InstanceSpec, type ModelInstance } from '../runners/instance';
import { bootPhases, type BootPhases } from '../core/boot-phases';
import { observeArtifactFetch } from '../observe/metrics';
import {
  Ledger,
  beginPrediction,
  createInstance,
  FORECAST_MEMORY_MS,
  emptyGapHistogram,
  endPrediction,
  plan,
  smoothedPredictMs,
  reserve,
  transition,
  unreserve,
  withArrival,
  type ArrivalHistory,
  type AutoscalerKnobs,
  type Cluster,
  type HardwareRequest,
  type InstanceRecord,
  type PlacementOk,
  type SetupFailures,
  type VersionDemand,
} from '../scheduler';

/** `stopped` is reported once the instance's process is gone: only then are its devices free. */
export type InstanceState = 'booting' | 'ready' | 'busy' | 'stopping' | 'stopped' | 'failed';

export interface InstanceNeeds {
  key: string;
  versionId: string;
  deployment?: string;
  hardware: HardwareRequest;
  spec: InstanceSpec;
  maxConcurrency: number;
}

export interface PoolInstance {
  id: string;
  key: string;
  needs: InstanceNeeds;
  state: InstanceState;
  runner: ModelInstance;
  placement: PlacementOk;
  record: InstanceRecord;
  /** Slots handed out and not yet released. */
  inUse: number;
  /** The whole cold start (s): fetch + boot + setup; what setup billing and the autoscaler use. */
  setupTime?: number;
  /** The cold start by phase, once ready. */
  phases?: BootPhases;
  error?: string;
}

export interface Slot {
  instance: PoolInstance;
  /** Set when this run waited for the instance to boot (a cold start). */
  phases?: BootPhases;
  release(): void;
}

/** Records a finished boot on `inst`: its phases, and the whole of it as `setupTime`. */
export function markBooted(inst: PoolInstance, bootStartedAt: number, setupSeconds: number): void {
  inst.phases = bootPhases((Date.now() - bootStartedAt) / 1000, setupSeconds, inst.runner.artifactFetch);
  inst.setupTime = inst.phases.fetch_time + inst.phases.boot_time + inst.phases.setup_time;
  const fetch = inst.runner.artifactFetch;
  if (fetch) observeArtifactFetch({ outcome: fetch.outcome, purpose: 'boot', fetchedBytes: fetch.fetchedBytes, seconds: fetch.seconds });
}

interface Waiter {
  needs: InstanceNeeds;
  since: number;
  resolve(slot: Slot): void;
  reject(err: Error): void;
  onPending?(reasons: string[]): void;
  told?: boolean;
}

/** What the pool learns of a key: its arrivals (gaps and forecast, scheduler/forecast.ts) and runs. */
interface Demand extends ArrivalHistory {
  needs: InstanceNeeds;
  /** Since when predictions of the key have waited, as seen at every tick (undefined: none waits). */
  backlogSince?: number;
  /** Moving average of how long a run holds a slot (ms). */
  predictMs?: number;
  setupMs?: number;
  failures?: SetupFailures;
  lastError?: string;
}

export interface DeploymentBounds {
  min: number;
  max: number;
}

export interface PoolOptions {
  /** This worker as the placement pipeline sees it (a one-worker cluster). */
  cluster: Cluster;
  knobs: Partial<AutoscalerKnobs>;
  /** min/max instances for deployment keys; undefined for on-demand keys. */
  bounds(key: string): DeploymentBounds | undefined;
  /** Deployment keys this worker must keep warm even without demand (min_instances). */
  standing(): InstanceNeeds[];
  /** An instance changed state (for the instances table and deployment billing). */
  onInstance?(instance: PoolInstance): void;
  /** What every instance gets: the file size limit for what servers hand over, and the weights
   * fetcher that gets versions' weights onto this host before their instances boot (weights in a
   * remote store). */
  limits?: InstanceLimits;
}

const TICK_MS = 500;
let seq = 0;

export class InstancePool {
  private readonly instances: PoolInstance[] = [];
  private readonly waiters: Waiter[] = [];
  private readonly demand = new Map<string, Demand>();
  readonly ledger = new Ledger();
  /** Keys waiting for capacity, with why nothing fits (from the last plan), for /v1/cluster. */
  readonly pending = new Map<string, string[]>();
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly opts: PoolOptions) {
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  list(): readonly PoolInstance[] {
    return this.instances;
  }

  /** A slot on a ready instance of `needs.key` if one is free right now, without waiting. */
  tryAcquire(needs: InstanceNeeds): Slot | undefined {
    const ready = this.freeInstance(needs.key);
    // Waiters of the key go first (they are served on every release; this is only a race guard).
    if (!ready || this.nextWaiter(needs.key)) return undefined;
    this.noteArrival(needs);
    return this.slot(ready);
  }

  /** A slot on a ready instance of `needs.key`; waits for the autoscaler to provide one. */
  acquire(needs: InstanceNeeds, onPending?: (reasons: string[]) => void): Promise<Slot> {
    this.noteArrival(needs);
    const ready = this.freeInstance(needs.key);
    if (ready) return Promise.resolve(this.slot(ready));
    return new Promise((resolve, reject) => {
      this.waiters.push({ needs, since: Date.now(), resolve, reject, onPending });
      this.tick();
    });
  }

  private noteArrival(needs: InstanceNeeds): void {
    const now = Date.now();
    let d = this.demand.get(needs.key);
    if (!d) this.demand.set(needs.key, (d = { needs, gaps: emptyGapHistogram() }));
    Object.assign(d, withArrival(d, now));
    d.needs = needs;
  }

  private freeInstance(key: string): PoolInstance | undefined {
    return this.instances.find((i) => i.key === key && (i.state === 'ready' || i.state === 'busy') && i.inUse < i.needs.maxConcurrency);
  }

  private setState(inst: PoolInstance, state: InstanceState): void {
    inst.state = state;
    this.opts.onInstance?.(inst);
  }

  private slot(inst: PoolInstance, phases?: BootPhases): Slot {
    const taken = Date.now();
    inst.record = beginPrediction(inst.record, taken);
    inst.inUse++;
    if (inst.state === 'ready') this.setState(inst, 'busy');
    let released = false;
    return {
      instance: inst,
      phases,
      release: () => {
        if (released) return;
        released = true;
        const d = this.demand.get(inst.key);
        if (d) d.predictMs = smoothedPredictMs(d.predictMs, Date.now() - taken);
        inst.inUse--;
        if (inst.state === 'busy' || inst.state === 'ready') inst.record = endPrediction(inst.record, Date.now());
        if (inst.state === 'busy' && inst.inUse === 0) this.setState(inst, 'ready');
        this.serve(inst.key);
      },
    };
  }

  /** Hands free slots of `key` to its waiters, oldest first. */
  private serve(key: string, phases?: BootPhases): void {
    for (let inst = this.freeInstance(key), w = this.nextWaiter(key); inst && w; inst = this.freeInstance(key), w = this.nextWaiter(key)) {
      this.drop(w).resolve(this.slot(inst, phases));
    }
  }

  private nextWaiter(key: string): Waiter | undefined {
    return this.waiters.find((w) => w.needs.key === key);
  }

  private drop(w: Waiter): Waiter {
    const i = this.waiters.indexOf(w);
    if (i >= 0) this.waiters.splice(i, 1);
    return w;
  }

  /** Asks the autoscaler what to do and does it. Cheap; runs on a timer and on every change. */
  tick(): void {
    if (this.closed) return;
    const now = Date.now();
    for (const needs of this.opts.standing()) {
      const d = this.demand.get(needs.key);
      if (!d) this.demand.set(needs.key, { needs, gaps: emptyGapHistogram() });
      else d.needs = needs;
    }
    const keys = new Set([...this.demand.keys()]);
    const versions: VersionDemand[] = [];
    for (const key of keys) {
      const d = this.demand.get(key)!;
      const waiting = this.waiters.filter((w) => w.needs.key === key);
      const bounds = this.opts.bounds(key);
      const live = this.instances.some((i) => i.key === key);
      // A quiet key is remembered while forecast prewarm may still start it before its next call.
      const forecastable = this.opts.knobs.prewarm !== false && d.lastArrival !== undefined && now - d.lastArrival <= FORECAST_MEMORY_MS;
      if (!bounds && waiting.length === 0 && !live && !forecastable) {
        this.demand.delete(key); // nothing running, nothing waiting: forget it (its gaps too)
        continue;
      }
      d.backlogSince = waiting.length ? (d.backlogSince ?? waiting[0].since) : undefined;
      versions.push({
        versionId: key,
        hardware: d.needs.hardware,
        maxConcurrency: d.needs.maxConcurrency,
        queued: waiting.length,
        oldestQueuedAt: waiting.length ? waiting[0].since : null,
        backlogSince: d.backlogSince ?? null,
        predictMs: d.predictMs,
        deployment: bounds ? { minInstances: bounds.min, maxInstances: bounds.max } : undefined,
        gaps: d.gaps,
        forecast: d.forecast,
        setupMs: d.setupMs,
        setupFailures: d.failures,
      });
    }
    const records = this.instances.map((i) => ({ ...i.record, versionId: i.key }));
    const actions = plan({ versions, instances: records, cluster: this.opts.cluster, ledger: this.ledger }, now, this.opts.knobs);
    this.pending.clear();
    for (const action of actions) {
      if (action.type === 'start') this.boot(this.demand.get(action.versionId)!.needs, action.placement);
      else if (action.type === 'stop' || action.type === 'evict') {
        const inst = this.instances.find((i) => i.id === action.instanceId);
        if (inst && inst.state === 'ready' && inst.inUse === 0) void this.stopInstance(inst);
      } else if (action.type === 'unplaceable') {
        const err = new Error(`no capacity can ever hold this version: ${action.reasons.join('; ')}`);
        for (const w of this.waiters.filter((x) => x.needs.key === action.versionId)) this.drop(w).reject(err);
      } else if (action.type === 'pending') {
        this.pending.set(action.versionId, action.reasons);
        for (const w of this.waiters.filter((x) => x.needs.key === action.versionId && !x.told)) {
          w.told = true;
          w.onPending?.(action.reasons);
        }
      } else if (action.type === 'backoff') {
        // Setup keeps failing: waiting runs fail with the setup error instead of hanging.
        const d = this.demand.get(action.versionId);
        const retry = Math.ceil((action.retryAt - now) / 1000);
        const err = new Error(`${d?.lastError ?? 'setup failed'} (next setup attempt in ${retry}s)`);
        for (const w of this.waiters.filter((x) => x.needs.key === action.versionId)) this.drop(w).reject(err);
      }
    }
  }

  private boot(needs: InstanceNeeds, placement: PlacementOk): void {
    const id = `i${process.pid.toString(36)}${(++seq).toString(36)}${Date.now().toString(36)}`;
    if (!reserve(this.ledger, this.opts.cluster, id, placement).ok) return; // the next tick re-plans
    const runner = startInstance(needs.spec, placement.cudaVisibleDevices, this.opts.limits);
    const inst: PoolInstance = { id, key: needs.key, needs, state: 'booting', runner, placement, record: createInstance(id, needs.key, Date.now()), inUse: 0 };
    this.instances.push(inst);
    this.opts.onInstance?.(inst);
    const bootStartedAt = Date.now();
    runner.onExit = (reason) => {
      if (inst.state === 'stopping' || inst.state === 'stopped' || inst.state === 'failed') return;
      inst.error = `instance ${reason}`;
      this.fail(inst);
      this.tick(); // a crashed instance is replaced when runs still need one
    };
    void runner.start().then(
      (setupTime) => {
        if (inst.state !== 'booting') return;
        markBooted(inst, bootStartedAt, setupTime);
        inst.record = transition(inst.record, 'ready', Date.now());
        const d = this.demand.get(needs.key);
        if (d) {
          d.setupMs = inst.setupTime! * 1000;
          d.failures = undefined;
        }
        this.setState(inst, 'ready');
        this.serve(needs.key, inst.phases);
        this.tick();
      },
      (err: Error) => {
        if (inst.state !== 'booting') return;
        inst.error = err.message;
        const d = this.demand.get(needs.key);
        const logs = runner.setupLogs.slice(-20).join('\n');
        if (d) {
          d.failures = { count: (d.failures?.count ?? 0) + 1, lastAt: Date.now() };
          d.lastError = err.message;
        }
        const failure = new Error(`${err.message}${logs ? `\n${logs}` : ''}`);
        for (const w of this.waiters.filter((x) => x.needs.key === needs.key)) this.drop(w).reject(failure);
        this.fail(inst);
      },
    );
  }

  private fail(inst: PoolInstance): void {
    inst.record = { ...inst.record, state: 'failed' };
    this.setState(inst, 'failed');
    this.remove(inst);
  }

  private remove(inst: PoolInstance): void {
    const i = this.instances.indexOf(inst);
    if (i >= 0) this.instances.splice(i, 1);
    unreserve(this.ledger, inst.id);
  }

  private async stopInstance(inst: PoolInstance): Promise<void> {
    inst.record = transition(inst.record, 'stopping', Date.now());
    this.setState(inst, 'stopping');
    await inst.runner.stop();
    this.setState(inst, 'stopped');
    this.remove(inst);
    this.tick();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    for (const w of this.waiters.splice(0)) w.reject(new Error('the worker is shutting down'));
    await Promise.all(this.instances.filter((i) => i.state !== 'stopping').map((i) => this.stopInstance(i)));
  }
}
