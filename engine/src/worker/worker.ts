/**
 * A worker: owns this machine's devices, consumes the queues of the hardware it has, and runs
 * each prediction to a terminal state. It talks to the rest of the system only through Postgres
 * (rows + notifications) and BullMQ.
 */
import type { WeightsStore } from '../storage/weights';
import type { ArtifactCacheSettings } from '../storage/artifact-cache';
import { hostname } from 'node:os';
import type { Db } from '../store/db';
import { Listener } from '../store/listen';
import { PREDICTION_CHANNEL, appendLogs } from '../store/predictions';
import type { VersionRow } from '../store/catalog';
import { WORKER_STALE_SECONDS, heartbeat, liveWorkers, registerWorker, stopWorker } from '../store/workers';
import { queueName, type Dispatcher } from '../queue';
import { newId } from '../core/ids';
import type { PredictionRow } from '../core/prediction';
import type { PriceTable } from '../core/hardware';
import { InstancePool, type InstanceNeeds, type PoolInstance } from './instance-pool';
import { Ledger, hardwareRequestOf, place, type AutoscalerKnobs, type Cluster, type GpuDevice } from '../scheduler';
import { SKUS } from '../core/hardware';
import { InstanceBook } from './instance-book';
import { stopInstancesOf } from '../store/instances';
import { DeploymentKeeper } from './deployment-keeper';
import { specFor, type InstanceSpec } from '../runners/instance';
import { Lifecycle } from '../lifecycle';
import type { FileStore } from '../files';
import { RunIo } from './run-io';
import { RunExecutor, type SlotSource } from './run-executor';
import type { Slot } from './instance-pool';
import { DeviceMonitor } from '../observe/devices';

/** What every worker is built from (this one and the fleet's, fleet-worker.ts). */
export interface WorkerBasics {
  /** Run-state writes (the asynchronous-commit pool). */
  db: Db;
  /** A direct URL, for LISTEN. */
  databaseUrl: string;
  dispatcher: Dispatcher;
  prices: PriceTable;
  /** Stable name; a restarted worker with the same name takes over (its predecessor's running work is failed). */
  name?: string;
  /** This worker's GPUs (declared with GANTRY_GPUS or read from nvidia-smi) and CPU slots. */
  gpus: GpuDevice[];
  cpuSlots: number;
  log: (msg: string) => void;
  /** Webhooks for lifecycle events; without it no webhooks are sent from this worker. */
  lifecycle?: Lifecycle;
  /** File store and data dir: input files, output files, training weights. */
  files?: FileStore;
  dataDir?: string;
  /** Budgets of this worker's artifact cache (default: no budget, no memory tier). */
  artifactCache?: ArtifactCacheSettings;
}

export interface WorkerOptions extends WorkerBasics {
  /** Autoscaler knobs (idle window, scale-up delay, to-zero delay, keep-alive...). */
  knobs: Partial<AutoscalerKnobs>;
}

/** At most this many predictions wait here for an instance without going through the queue. */
const LOCAL_WAIT_LIMIT = 256;

/** This worker's hold on a prediction that is being stored (see `Worker.claim`). */
export interface LocalClaim {
  /** This worker's id: the prediction is stored as owned by it (its first attempt). */
  workerId: string;
  /** A warm slot is in hand: the prediction is stored already started. */
  started: boolean;
  /** Runs the stored prediction here. */
  start(row: PredictionRow): void;
  /** Lets go (the prediction could not be stored). */
  release(): void;
}

export class Worker {
  readonly id = newId();
  readonly name: string;
  private readonly pool: InstancePool;
  /** Trained weights and the artifact cache (absent without a file store). */
  private readonly weights?: WeightsStore;
  private readonly executor: RunExecutor;
  private readonly consumers: Array<{ close(force?: boolean): Promise<void> }> = [];
  private listener?: Listener;
  private heartbeatTimer?: NodeJS.Timeout;
  private stopping = false;
  private readonly cluster: Cluster;
  private readonly book: InstanceBook;
  private readonly deployments: DeploymentKeeper;

  /** SKUs some placement on this worker could ever satisfy: the queues it consumes. */
  get hardware(): string[] {
    return SKUS.filter((s) => place({ versionId: 'probe', hardware: s.sku }, this.cluster, new Ledger()).ok).map((s) => s.sku);
  }

  constructor(private readonly opts: WorkerOptions) {
    this.name = opts.name ?? `${hostname()}-${process.pid}`;
    this.cluster = { workers: [{ id: this.id, alive: true, gpus: opts.gpus, cpuSlots: opts.cpuSlots }] };
    this.book = new InstanceBook(opts.db, this.id, opts.prices, opts.log);
    this.deployments = new DeploymentKeeper(opts.db, this.id, opts.log);
    const io = opts.files && opts.dataDir ? new RunIo({ db: opts.db, files: opts.files, dataDir: opts.dataDir, artifactCache: opts.artifactCache }) : undefined;
    this.weights = io?.weights;
    this.pool = new InstancePool({
      cluster: this.cluster,
      knobs: opts.knobs,
      bounds: (key) => this.deployments.bounds(key),
      standing: () => this.deployments.standing(),
      onInstance: (inst: PoolInstance) => this.book.record(inst),
      limits: { maxFileBytes: opts.files?.maxBytes, weights: io?.weights },
    });
    this.executor = new RunExecutor({
      db: opts.db,
      prices: opts.prices,
      lifecycle: opts.lifecycle ?? new Lifecycle(opts.db, { publicUrl: () => '' }),
      io,
      workerId: () => this.id,
      stopping: () => this.stopping,
    });
    this.devices = new DeviceMonitor(opts.gpus, opts.cpuSlots);
  }

  get instances() {
    return this.pool.list();
  }

  /** The devices this worker owns, watched through nvidia-smi when they were detected (readiness, heartbeat). */
  readonly devices: DeviceMonitor;

  /** Readiness: taking work (started, not stopping), and every detected GPU still visible. */
  async readiness(): Promise<string> {
    if (!this.started || this.stopping) throw new Error(this.stopping ? 'the worker is stopping' : 'the worker has not started');
    const state = await this.devices.state();
    if (!state.ok) throw new Error(state.detail);
    return `worker ${this.name}: ${state.detail}`;
  }

  private started = false;

  /** GPUs as registered, with the memory nvidia-smi last saw in use (GET /v1/cluster and metrics show it). */
  private gpusWithUse<G extends { index: number }>(gpus: G[]): Array<G & { memory_in_use_gb?: number }> {
    const use = this.devices.latest()?.use ?? [];
    return gpus.map((g) => {
      const seen = use.find((u) => u.index === g.index);
      return seen ? { ...g, memory_in_use_gb: Math.round((seen.memoryUsedMiB / 1024) * 100) / 100 } : g;
    });
  }

  async start(): Promise<void> {
    const { db } = this.opts;
    const hardware = this.hardware;
    this.servedHardware = new Set(hardware);
    const devices = { hardware, cpu_slots: this.opts.cpuSlots, gpus: this.opts.gpus.map((g) => ({ index: g.index, name: g.name, sku: g.sku, memory_gb: g.memoryGb })) };
    const predecessors = await registerWorker(db, this.id, this.name, devices);
    if (predecessors.length) {
      await stopInstancesOf(db, predecessors);
      await this.executor.failInterrupted(predecessors, 'interrupted: the worker running this prediction stopped (restart or crash)');
    }
    // The heartbeat also publishes what waits for capacity here and why (GET /v1/cluster shows it).
    this.heartbeatTimer = setInterval(() => {
      const pending = [...this.pool.pending].map(([key, reasons]) => {
        const at = key.indexOf('@');
        const version = (at < 0 ? key : key.slice(0, at)).split('#')[0];
        return { version, deployment: at < 0 ? null : key.slice(at + 1), reasons };
      });
      const cache = this.weights ? { ...this.weights.cache.summary() } : undefined;
      void heartbeat(db, this.id, { ...devices, gpus: this.gpusWithUse(devices.gpus), pending, cache }).catch(() => undefined);
      void this.readOtherWorkers().catch(() => (this.heardFromOthers = false));
    }, 2000).unref();
    await this.readOtherWorkers().catch(() => undefined);
    this.listener = new Listener(this.opts.databaseUrl, [PREDICTION_CHANNEL]);
    this.listener.on(PREDICTION_CHANNEL, (payload: string) => {
      const [id, event] = payload.split(':');
      if (event === 'cancel') this.executor.cancel(id);
    });
    await this.listener.start();
    this.deployments.start(hardware, () => this.pool.tick());
    for (const hw of hardware) {
      this.consumers.push(this.opts.dispatcher.consume(queueName(hw), 256, (job) => this.execute(job.id)));
    }
    this.started = true;
  }

  /**
   * Takes a prediction that is about to be stored, when this worker can run it without the queue:
   * - a warm instance of its version has a free slot right now: the slot is taken (synchronously:
   *   two creates in a row must not both count on one free slot) and the prediction is stored
   *   already started here, then `start`ed on that slot;
   * - or no other live worker serves its hardware (the queue would only hand it back here,
   *   later): it joins this worker's wait for an instance at once, so a boot it needs starts
   *   while the row is being stored, and it is stored owned by this worker.
   * Undefined (the caller enqueues it) otherwise, or when enough wait here already. Nothing is
   * lost either way: the row is stored, and the reconciler re-enqueues what no live worker holds.
   */
  claim(p: { id: string; version: string; deployment: string | null; hardware: string }): LocalClaim | undefined {
    const runnable = this.runnable(p);
    if (!runnable) return undefined;
    const { version, spec } = runnable;
    const needs = this.needsOf(p, version, spec);
    const slot = this.pool.tryAcquire(needs);
    if (slot) {
      return { workerId: this.id, started: true, start: (row) => void this.executor.run(row, version, spec, async () => slot), release: () => slot.release() };
    }
    if (this.othersServe.has(p.hardware) || !this.heardFromOthers || this.localWaiting >= LOCAL_WAIT_LIMIT) return undefined;
    this.localWaiting++;
    const waiting: Promise<Slot | Error> = this.pool
      .acquire(needs, (reasons) => void appendLogs(this.opts.db, p.id, `waiting for capacity: ${reasons.join('; ')}\n`))
      .catch((err: Error) => err);
    let released = false;
    const done = () => {
      if (!released) this.localWaiting--;
      released = true;
    };
    return {
      workerId: this.id,
      started: false,
      start: (row) => void this.executor.run(row, version, spec, () => waiting).finally(done),
      release: () => {
        done();
        void waiting.then((s) => (s instanceof Error ? undefined : s.release()));
      },
    };
  }

  /** The version and instance spec for running `p` here, if this worker can and is not stopping. */
  private runnable(p: { version: string; hardware: string }): { version: VersionRow; spec: InstanceSpec } | undefined {
    if (this.stopping || !this.servedHardware.has(p.hardware)) return undefined;
    const version = this.executor.cachedVersion(p.version);
    const spec = version && specFor(version);
    if (!version || !spec || typeof spec === 'string') return undefined;
    return { version, spec };
  }

  /** SKUs other live workers serve (from their heartbeats); until first read, assume any. */
  private othersServe = new Set<string>();
  private heardFromOthers = false;
  /** Predictions waiting here for an instance that skipped the queue (see `claim`). */
  private localWaiting = 0;

  private async readOtherWorkers(): Promise<void> {
    const others = (await liveWorkers(this.opts.db, WORKER_STALE_SECONDS)).filter((w) => w.id !== this.id);
    this.othersServe = new Set(others.flatMap((w) => (w.devices as { hardware?: string[] } | null)?.hardware ?? []));
    this.heardFromOthers = true;
  }

  private needsOf(row: { version: string; deployment: string | null; hardware: string }, version: VersionRow, spec: InstanceSpec): InstanceNeeds {
    // On-demand runs on other hardware than the version's (a model check's hardware runs) get
    // instances of their own: an instance on one SKU must never serve a run billed for another.
    const onDemandKey = row.hardware === version.hardware ? version.id : `${version.id}#${row.hardware}`;
    return {
      key: row.deployment ? `${version.id}@${row.deployment}` : onDemandKey,
      versionId: version.id,
      deployment: row.deployment ?? undefined,
      hardware: hardwareRequestOf(version, row.hardware),
      spec,
      maxConcurrency: version.max_concurrency,
    };
  }

  private servedHardware = new Set<string>();

  /** Runs one queued prediction, waiting in the pool for a slot on an instance of its version. */
  execute(id: string): Promise<void> {
    return this.executor.execute(id, this.fromPool);
  }

  private readonly fromPool: SlotSource = (row, version, spec) =>
    this.pool.acquire(this.needsOf(row, version, spec), (reasons) => void appendLogs(this.opts.db, row.id, `waiting for capacity: ${reasons.join('; ')}\n`));

  /**
   * Stops taking jobs and gives running predictions `graceMs` to finish. Predictions still
   * waiting for an instance stay `starting` and run after the next start; ones still running
   * when the grace runs out are failed as interrupted (never silently dropped).
   */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.stopping = true;
    const drained = Promise.all(this.consumers.map((c) => c.close()));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([drained, new Promise((r) => (timer = setTimeout(r, graceMs)))]);
    if (timer) clearTimeout(timer);
    await this.executor.interruptRunning('interrupted: the engine shut down while this prediction was running');
    this.deployments.stop();
    await this.pool.close();
    await this.weights?.cache.close();
    await this.book.flush();
    await Promise.all(this.consumers.map((c) => c.close(true).catch(() => undefined)));
    await this.listener?.close();
    await stopWorker(this.opts.db, this.id).catch(() => undefined);
  }
}
