/**
 * Runs predictions to a terminal state, for both kinds of worker: the one that places instances
 * on its own devices (`worker.ts`) and the fleet worker that runs what the controller placed on
 * it (`fleet-worker.ts`). They differ only in where a run's slot comes from (`SlotSource`).
 * Every path ends in `finish`, which moves the row once; a row that is already terminal (another
 * process failed it meanwhile, e.g. after this worker was declared lost) is left alone.
 */
import type { Db } from '../store/db';
import { claimForStart, getPrediction, markProcessing, ownerIsLive, recordProgress, type Finish } from '../store/predictions';
import { getVersion, type VersionRow } from '../store/catalog';
import { WORKER_STALE_SECONDS } from '../store/workers';
import { timings, type PredictionRow } from '../core/prediction';
import { computeCost, rulesFor, type PricingRule } from '../core/pricing';
import type { PriceTable } from '../core/hardware';
import { specFor, type InstanceSpec, type ModelInstance } from '../runners/instance';
import { RunError } from '../runners/node-instance';
import type { Lifecycle } from '../lifecycle';
import { RunInputError, type RunIo, type PreparedRun } from './run-io';
import type { Slot } from './instance-pool';

const PROGRESS_FLUSH_MS = 200;
/** A prediction may be retried once when its worker died before it started. */
const MAX_ATTEMPTS = 2;

/** Where a run's slot comes from; an Error fails the run with its message (undefined: leave it queued). */
export type SlotSource = (row: PredictionRow, version: VersionRow, spec: InstanceSpec) => Promise<Slot | Error | undefined>;

export interface ExecutorOptions {
  db: Db;
  prices: PriceTable;
  lifecycle: Lifecycle;
  io?: RunIo;
  /** The worker's current id (a fleet worker gets a new one when it rejoins). */
  workerId(): string;
  /** True while the worker shuts down: runs that never started stay queued for the next one. */
  stopping(): boolean;
}

interface Running {
  cancel(): void;
}

export class RunExecutor {
  private readonly running = new Map<string, Running>();
  /** Versions are immutable, so the worker reads each once. */
  private readonly versions = new Map<string, VersionRow>();

  constructor(private readonly opts: ExecutorOptions) {}

  /** Cancels a run of this worker (a cancel request, a deadline). */
  cancel(id: string): void {
    this.running.get(id)?.cancel();
  }

  /** Ids of the predictions running here now. */
  runningIds(): string[] {
    return [...this.running.keys()];
  }

  /** The version, read once; cached copies are also what the fast path uses. */
  cachedVersion(id: string): VersionRow | undefined {
    return this.versions.get(id);
  }

  async versionOf(id: string): Promise<VersionRow | undefined> {
    let version = this.versions.get(id);
    if (!version) {
      version = await getVersion(this.opts.db, id);
      if (version) this.versions.set(id, version);
    }
    return version;
  }

  /** Runs one queued prediction to a terminal state. Never throws: every path ends in `finish`. */
  async execute(id: string, slots: SlotSource): Promise<void> {
    const { db } = this.opts;
    const me = this.opts.workerId();
    const row = await claimForStart(db, id, me, WORKER_STALE_SECONDS);
    if (!row) {
      const current = await getPrediction(db, id);
      if (current?.status === 'processing' && current.worker_id !== me && !(await ownerIsLive(db, id, WORKER_STALE_SECONDS))) {
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
    await this.run(row, version, spec, slots);
  }

  /** Runs a claimed prediction on a slot from `slots` (the fast path hands one it already took). */
  async run(row: PredictionRow, version: VersionRow, spec: InstanceSpec, slots: SlotSource): Promise<void> {
    let canceled = false;
    let cancelRun: () => void = () => undefined;
    this.running.set(row.id, { cancel: () => ((canceled = true), cancelRun()) });
    const deadlineTimer = row.deadline
      ? setTimeout(() => this.running.get(row.id)?.cancel(), Math.max(0, row.deadline.getTime() - Date.now()))
      : undefined;
    try {
      const slot = await slots(row, version, spec).catch((err: Error) => err);
      if (slot === undefined) return;
      if (slot instanceof Error) {
        // Shutting down before it started: leave it `starting` for the next worker to run.
        if (this.opts.stopping()) return;
        await this.finish(row.id, { status: 'failed', error: slot.message.split('\n')[0], logs: `${slot.message}\n` });
        return;
      }
      try {
        if (canceled) {
          await this.finish(row.id, { status: 'canceled' });
          return;
        }
        // A cold start reports its phases (boot-phases.ts) beside Replicate's metrics.
        const coldMetrics = slot.phases ? { ...slot.phases, cold_start: true } : {};
        const started = row.status === 'processing' ? row : await markProcessing(this.opts.db, row.id, this.opts.workerId(), coldMetrics);
        if (!started) return; // canceled, aborted or handed to another worker while it waited
        await this.opts.lifecycle.started(started);
        await this.runOnInstance(started, version, slot.instance.runner, (fn) => (cancelRun = fn), () => canceled);
      } finally {
        slot.release();
      }
    } catch (err) {
      await this.finish(row.id, { status: 'failed', error: `internal error: ${(err as Error).message}` }).catch(() => undefined);
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
    const { db, io } = this.opts;
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
          if (updated) await this.opts.lifecycle.progressed(updated, { output: output !== undefined, logs: logs !== '' });
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
      prepared = io ? await io.prepare(row, version) : undefined;
      const mode = row.kind === 'training' ? 'train' : 'predict';
      const { output } = await runner.run(row.id, mode, prepared?.input ?? row.input, handlers, prepared?.outputDir);
      const streamed = version.streams && pieces.length > 0 && output === null;
      let final = streamed ? pieces : output;
      if (io) final = await io.storeOutputFiles(row, final);
      if (io && prepared?.outputDir) final = await io.finishTraining(row, version, final, prepared.outputDir);
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

  /** Moves a prediction to a terminal state (once), pricing it when the caller did not. */
  async finish(id: string, f: Finish, known?: PredictionRow): Promise<void> {
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
    await this.opts.lifecycle.finish(id, f, known);
  }

  /** Fails the predictions that were running on these (dead) worker incarnations. */
  async failInterrupted(workerIds: string[], error: string): Promise<void> {
    const rows = await this.opts.db.query<{ id: string }>(
      `SELECT id FROM predictions WHERE status = 'processing' AND worker_id = ANY($1)`,
      [workerIds],
    );
    for (const { id } of rows) await this.finish(id, { status: 'failed', error });
  }

  /** Fails what still runs here (a shutdown past its grace): never silently dropped. */
  async interruptRunning(error: string): Promise<void> {
    for (const id of this.runningIds()) {
      const row = await getPrediction(this.opts.db, id).catch(() => undefined);
      if (row?.status !== 'processing') continue;
      await this.finish(id, { status: 'failed', error }).catch(() => undefined);
    }
  }
}
