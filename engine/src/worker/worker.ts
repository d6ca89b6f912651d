/**
 * A worker: owns this machine's devices, consumes the queues of the hardware it has, and runs
 * each prediction to a terminal state. It talks to the rest of the system only through Postgres
 * (rows + notifications) and BullMQ.
 */
import { hostname } from 'node:os';
import type { Db } from '../store/db';
import { Listener } from '../store/listen';
import {
  PREDICTION_CHANNEL,
  claimForStart,
  getPrediction,
  markProcessing,
  recordProgress,
  appendLogs,
  type Finish,
} from '../store/predictions';
import { getVersion, type VersionRow } from '../store/catalog';
import { heartbeat, liveWorkers, registerWorker, stopWorker } from '../store/workers';
import type { Dispatcher } from '../queue';
import { newId } from '../core/ids';
import { timings, type PredictionRow } from '../core/prediction';
import { computeCost, rulesFor, type PricingRule } from '../core/pricing';
import type { PriceTable } from '../core/hardware';
import { InstancePool, type InstanceNeeds, type PoolInstance, type Slot } from './instance-pool';
import { Ledger, place, type AutoscalerKnobs, type Cluster, type GpuDevice, type HardwareRequest } from '../scheduler';
import { SKUS } from '../core/hardware';
import { InstanceBook } from './instance-book';
import { stopInstancesOf } from '../store/instances';
import { DeploymentKeeper } from './deployment-keeper';
import { specFor, type InstanceSpec, type ModelInstance } from '../runners/instance';
import { RunError } from '../runners/node-instance';
import { Lifecycle } from '../lifecycle';
import type { FileStore } from '../files';
import { RunInputError, RunIo, type PreparedRun } from './run-io';
import { DeviceMonitor } from '../observe/devices';

export interface WorkerOptions {
  db: Db;
  databaseUrl: string;
  dispatcher: Dispatcher;
  prices: PriceTable;
  /** Stable name; a restarted worker with the same name takes over (its predecessor's running work is failed). */
  name?: string;
  /** This worker's GPUs (declared with GANTRY_GPUS or read from nvidia-smi) and CPU slots. */
  gpus: GpuDevice[];
  cpuSlots: number;
  /** Autoscaler knobs (idle window, scale-up delay, to-zero delay, keep-alive...). */
  knobs: Partial<AutoscalerKnobs>;
  log: (msg: string) => void;
  /** Webhooks for lifecycle events; without it no webhooks are sent from this worker. */
  lifecycle?: Lifecycle;
  /** File store and data dir: input files, output files, training weights. */
  files?: FileStore;
  dataDir?: string;
}

const PROGRESS_FLUSH_MS = 200;

/** A version asks for a SKU, or for GPUs by count and memory; a deployment's hardware wins. */
function hardwareRequest(version: VersionRow, hardware: string): HardwareRequest {
  if (version.gpu_count && version.gpu_memory_gb && hardware === version.hardware) {
    return { gpu_count: version.gpu_count, gpu_memory_gb: version.gpu_memory_gb };
  }
  return hardware;
}
/** A prediction may be retried once when its worker died before it started. */
const MAX_ATTEMPTS = 2;
/** Seconds without a heartbeat after which a worker counts as gone (as the API counts them). */
const WORKER_STALE_SECONDS = 15;
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

interface Running {
  cancel(): void;
}

export class Worker {
  readonly id = newId();
  readonly name: string;
  private readonly pool: InstancePool;
  private readonly lifecycle: Lifecycle;
  private readonly io?: RunIo;
  private readonly consumers: Array<{ close(force?: boolean): Promise<void> }> = [];
  private readonly running = new Map<string, Running>();
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
    this.io = opts.files && opts.dataDir ? new RunIo({ db: opts.db, files: opts.files, dataDir: opts.dataDir }) : undefined;
    this.pool = new InstancePool({
      cluster: this.cluster,
      knobs: opts.knobs,
      bounds: (key) => this.deployments.bounds(key),
      standing: () => this.deployments.standing(),
      onInstance: (inst: PoolInstance) => this.book.record(inst),
      limits: { maxFileBytes: opts.files?.maxBytes, weights: this.io?.weights },
    });
    this.lifecycle = opts.lifecycle ?? new Lifecycle(opts.db, { publicUrl: () => '' });
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

  async start(): Promise<void> {
    const { db } = this.opts;
    const hardware = this.hardware;
    this.servedHardware = new Set(hardware);
    const devices = { hardware, cpu_slots: this.opts.cpuSlots, gpus: this.opts.gpus.map((g) => ({ index: g.index, name: g.name, sku: g.sku, memory_gb: g.memoryGb })) };
    const predecessors = await registerWorker(db, this.id, this.name, devices);
    if (predecessors.length) {
      await stopInstancesOf(db, predecessors);
      await this.failInterrupted(predecessors);
    }
    // The heartbeat also publishes what waits for capacity here and why (GET /v1/cluster shows it).
    this.heartbeatTimer = setInterval(() => {
      const pending = [...this.pool.pending].map(([key, reasons]) => {
        const at = key.indexOf('@');
        const version = (at < 0 ? key : key.slice(0, at)).split('#')[0];
        return { version, deployment: at < 0 ? null : key.slice(at + 1), reasons };
      });
      void heartbeat(db, this.id, { ...devices, gpus: this.gpusWithUse(devices.gpus), pending }).catch(() => undefined);
      void this.readOtherWorkers().catch(() => (this.heardFromOthers = false));
    }, 2000).unref();
    await this.readOtherWorkers().catch(() => undefined);
    this.listener = new Listener(this.opts.databaseUrl, [PREDICTION_CHANNEL]);
    this.listener.on(PREDICTION_CHANNEL, (payload: string) => {
      const [id, event] = payload.split(':');
      if (event === 'cancel') this.running.get(id)?.cancel();
    });
    await this.listener.start();
    this.deployments.start(hardware, () => this.pool.tick());
    for (const hw of hardware) {
      this.consumers.push(this.opts.dispatcher.consume(hw, 256, (job) => this.execute(job.id)));
    }
    this.started = true;
  }

  /** GPUs as registered, with the memory nvidia-smi last saw in use (GET /v1/cluster and metrics show it). */
  private gpusWithUse<G extends { index: number }>(gpus: G[]): Array<G & { memory_in_use_gb?: number }> {
    const use = this.devices.latest()?.use ?? [];
    return gpus.map((g) => {
      const seen = use.find((u) => u.index === g.index);
      return seen ? { ...g, memory_in_use_gb: Math.round((seen.memoryUsedMiB / 1024) * 100) / 100 } : g;
    });
  }

  private async failInterrupted(workerIds: string[]): Promise<void> {
    const rows = await this.opts.db.query<{ id: string }>(
      `SELECT id FROM predictions WHERE status = 'processing' AND worker_id = ANY($1)`,
      [workerIds],
    );
    for (const { id } of rows) {
      await this.finish(id, { status: 'failed', error: 'interrupted: the worker running this prediction stopped (restart or crash)' });
    }
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
   * lost either way: the row is stored, and a restart re-enqueues what never started.
   */
  claim(p: { id: string; version: string; deployment: string | null; hardware: string }): LocalClaim | undefined {
    const runnable = this.runnable(p);
    if (!runnable) return undefined;
    const needs = this.needsOf(p, runnable.version, runnable.spec);
    const slot = this.pool.tryAcquire(needs);
    if (slot) {
      return { workerId: this.id, started: true, start: (row) => void this.run(row, runnable.version, runnable.spec, slot), release: () => slot.release() };
    }
    if (this.othersServe.has(p.hardware) || !this.heardFromOthers || this.localWaiting >= LOCAL_WAIT_LIMIT) return undefined;
    this.localWaiting++;
    const waiting = this.pool.acquire(needs, (reasons) => void appendLogs(this.opts.db, p.id, `waiting for capacity: ${reasons.join('; ')}\n`));
    // The wait ends one way or another; a failed one is the run's to report (run() sees the error).
    waiting.catch(() => undefined);
    let released = false;
    const done = () => {
      if (!released) this.localWaiting--;
      released = true;
    };
    return {
      workerId: this.id,
      started: false,
      start: (row) => void this.run(row, runnable.version, runnable.spec, waiting).finally(done),
      release: () => {
        done();
        void waiting.then((s) => s.release(), () => undefined);
      },
    };
  }

  /** The version and instance spec for running `p` here, if this worker can and is not stopping. */
  private runnable(p: { version: string; hardware: string }): { version: VersionRow; spec: InstanceSpec } | undefined {
    if (this.stopping || !this.servedHardware.has(p.hardware)) return undefined;
    const version = this.versions.get(p.version);
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
      hardware: hardwareRequest(version, row.hardware),
      spec,
      maxConcurrency: version.max_concurrency,
    };
  }

  private servedHardware = new Set<string>();

  /** Versions are immutable, so the worker reads each once. */
  private readonly versions = new Map<string, VersionRow>();
  private async versionOf(id: string): Promise<VersionRow | undefined> {
    let version = this.versions.get(id);
    if (!version) {
      version = await getVersion(this.opts.db, id);
      if (version) this.versions.set(id, version);
    }
    return version;
  }

  /** Runs one queued prediction to a terminal state. Never throws: every path ends in `finish`. */
  async execute(id: string): Promise<void> {
    const { db } = this.opts;
    const row = await claimForStart(db, id, this.id);
    if (!row) {
      const current = await getPrediction(db, id);
      if (current?.status === 'processing' && current.worker_id !== this.id) {
        // It started on a worker that is gone (BullMQ handed the stalled job over): never run twice.
        await this.finish(id, { status: 'failed', error: 'interrupted: the worker running this prediction stopped' });
      }
      return;
    }
    if (row.deadline && row.deadline.getTime() < Date.now()) {
      await this.finish(id, { status: 'aborted', error: 'the Cancel-After deadline passed before the prediction started' });
      return;
    }
    if (row.attempts > MAX_ATTEMPTS) {
      await this.finish(id, { status: 'failed', error: 'interrupted: the prediction could not be started after a retry' });
      return;
    }
    const version = await this.versionOf(row.version);
    if (!version) {
      await this.finish(id, { status: 'failed', error: `version ${row.version} no longer exists` });
      return;
    }
    const spec = specFor(version);
    if (typeof spec === 'string') {
      await this.finish(row.id, { status: 'failed', error: spec });
      return;
    }
    await this.run(row, version, spec);
  }

  /** Runs a claimed prediction on `taken` (the fast path) or on a slot the pool provides. */
  /** Runs `row` to its end; `taken`: the slot it has (or waits for) already, else it waits for one here. */
  private async run(row: PredictionRow, version: VersionRow, spec: InstanceSpec, taken?: Slot | Promise<Slot>): Promise<void> {
    let canceled = false;
    let cancelRun: () => void = () => undefined;
    this.running.set(row.id, { cancel: () => ((canceled = true), cancelRun()) });
    const deadlineTimer = row.deadline
      ? setTimeout(() => this.running.get(row.id)?.cancel(), Math.max(0, row.deadline.getTime() - Date.now()))
      : undefined;
    try {
      const slot = await Promise.resolve(
        taken ?? this.pool.acquire(this.needsOf(row, version, spec), (reasons) => void appendLogs(this.opts.db, row.id, `waiting for capacity: ${reasons.join('; ')}\n`)),
      ).catch((err: Error) => err);
      if (slot instanceof Error) {
        // Shutting down before it started: leave it `starting` for the next worker to run.
        if (this.stopping) return;
        await this.finish(row.id, { status: 'failed', error: slot.message.split('\n')[0], logs: `${slot.message}\n` });
        return;
      }
      try {
        if (canceled) {
          await this.finish(row.id, { status: 'canceled' });
          return;
        }
        const coldMetrics = slot.setupTime !== undefined ? { setup_time: slot.setupTime, cold_start: true } : {};
        const started = row.status === 'processing' ? row : await markProcessing(this.opts.db, row.id, coldMetrics);
        if (!started) return; // canceled or aborted while it was waiting for an instance
        await this.lifecycle.started(started);
        await this.runOnInstance(started, version, slot.instance.runner, (fn) => (cancelRun = fn), () => canceled);
      } finally {
        slot.release();
      }
    } catch (err) {
      await this.finish(row.id, { status: 'failed', error: `internal error: ${(err as Error).message}` });
    } finally {
      if (deadlineTimer) clearTimeout(deadlineTimer);
      this.running.delete(row.id);
    }
  }

  private async runOnInstance(
    row: PredictionRow,
    version: VersionRow,
    runner: ModelInstance,
    onCancel: (fn: () => void) => void,
    wasCanceled: () => boolean,
  ): Promise<void> {
    const { db } = this.opts;
    const metrics: Record<string, number> = {};
    const pieces: unknown[] = [];
    let pendingLogs = '';
    let outputChanged = false;
    let flushTimer: NodeJS.Timeout | undefined;
    let flushing: Promise<void> = Promise.resolve();
    const flush = () => {
      flushTimer = undefined;
      const logs = pendingLogs;
      const output = outputChanged ? [...pieces] : undefined;
      pendingLogs = '';
      outputChanged = false;
      flushing = flushing
        .then(async () => {
          const updated = await recordProgress(db, row.id, logs, output);
          if (updated) await this.lifecycle.progressed(updated, { output: output !== undefined, logs: logs !== '' });
        })
        .catch(() => undefined);
    };
    const schedule = () => (flushTimer ??= setTimeout(flush, PROGRESS_FLUSH_MS));
    onCancel(() => runner.cancel(row.id));
    // Time to the first streamed piece, from when the run reached its instance (a metric checks report).
    const runStartedAt = Date.now();
    let firstPieceAt: number | undefined;
    const handlers = {
      onLog: (line: string) => ((pendingLogs += `${line}\n`), schedule()),
      onEmit: (piece: unknown) => ((firstPieceAt ??= Date.now()), pieces.push(piece), (outputChanged = true), schedule()),
      onMetric: (name: string, value: number) => (metrics[name] = (metrics[name] ?? 0) + value),
    };
    let result: Finish | undefined;
    let prepared: PreparedRun | undefined;
    try {
      prepared = this.io ? await this.io.prepare(row, version) : undefined;
      const mode = row.kind === 'training' ? 'train' : 'predict';
      const { output } = await runner.run(row.id, mode, prepared?.input ?? row.input, handlers, prepared?.outputDir);
      const streamed = version.streams && pieces.length > 0 && output === null;
      let final = streamed ? pieces : output;
      if (this.io) final = await this.io.storeOutputFiles(row, final);
      if (this.io && prepared?.outputDir) final = await this.io.finishTraining(row, version, final, prepared.outputDir);
      result = { status: 'succeeded', output: final };
    } catch (err) {
      const canceled = wasCanceled() || (err instanceof RunError && err.canceled);
      result = canceled
        ? { status: 'canceled', output: pieces.length ? pieces : undefined }
        : { status: 'failed', error: (err as Error).message, output: pieces.length ? pieces : undefined };
      if (err instanceof RunInputError) pendingLogs += `${(err as Error).message}\n`;
    } finally {
      await prepared?.cleanup(result?.status === 'succeeded').catch(() => undefined);
    }
    if (flushTimer) clearTimeout(flushTimer);
    await flushing;
    const completed = new Date();
    const firstOutput = firstPieceAt !== undefined ? { time_to_first_output: (firstPieceAt - runStartedAt) / 1000 } : {};
    const allMetrics = { ...metrics, ...firstOutput, ...timings(row, completed) };
    const cost = computeCost(rulesFor(row.kind, version.pricing as PricingRule[]), allMetrics, row.hardware, this.opts.prices);
    await this.finish(row.id, { ...result, logs: pendingLogs, metrics: allMetrics, cost }, row);
  }

  private async finish(id: string, f: Finish, known?: PredictionRow): Promise<void> {
    const { db } = this.opts;
    if (!f.cost) {
      const row = await getPrediction(db, id);
      if (!row) return;
      const version = await getVersion(db, row.version);
      const metrics = { ...timings(row, new Date()), ...f.metrics };
      // Aborted predictions never ran and cost nothing; the rest pay for the time they ran.
      const rules = f.status === 'aborted' ? [] : rulesFor(row.kind, (version?.pricing ?? []) as PricingRule[]);
      const cost = computeCost(rules, f.status === 'aborted' ? { predict_time: 0 } : metrics, row.hardware, this.opts.prices);
      f = { ...f, metrics, cost };
    }
    await this.lifecycle.finish(id, f, known);
  }

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
    for (const [id] of this.running) {
      const row = await getPrediction(this.opts.db, id);
      if (row?.status !== 'processing') continue;
      await this.finish(id, { status: 'failed', error: 'interrupted: the engine shut down while this prediction was running' }).catch(() => undefined);
    }
    this.deployments.stop();
    await this.pool.close();
    await this.book.flush();
    await Promise.all(this.consumers.map((c) => c.close(true).catch(() => undefined)));
    await this.listener?.close();
    await stopWorker(this.opts.db, this.id).catch(() => undefined);
  }
}
