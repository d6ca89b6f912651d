/**
 * The one place where a prediction's (or training's) lifecycle events become webhooks. Every
 * terminal transition goes through `finish`, which moves the row to its terminal state and
 * enqueues the `completed` webhooks in the same transaction, so no path (worker, cancel,
 * sweeper) can finish a prediction without its final webhook, and a crash cannot split them.
 */
import type { Db } from './store/db';
import { finishPrediction, type Finish } from './store/predictions';
import { timings, toWire, type PredictionRow } from './core/prediction';
import { noCost } from './core/pricing';
import type { WebhookDispatcher } from './webhooks/dispatch';
import { observeFinished } from './observe/metrics';
import { predictionLogger } from './observe/logger';

/** One line per terminal transition: status, times, cost, and the error of a failure. */
function logFinished(row: PredictionRow): void {
  const m = row.metrics as Record<string, unknown>;
  const fields = { status: row.status, predict_time: m.predict_time, total_time: m.total_time, total_usd: row.cost?.total_usd, error: row.error ?? undefined };
  const log = predictionLogger(row);
  if (row.status === 'failed') log.warn(fields, `${row.kind} failed`);
  else log.info(fields, `${row.kind} ${row.status}`);
}
import { announceInvalidation } from './store/invalidation';

export interface LifecycleOptions {
  /** Absent: no webhooks are sent (e.g. a tool that only reads). */
  webhooks?: WebhookDispatcher;
  /** The engine's public URL (bodies carry `urls`); a function because it is known after listen. */
  publicUrl: () => string;
  onError?: (err: Error) => void;
  /**
   * Told before this process tries to finish `id`, and after, with the row when it did
   * (`undefined` when it did not: someone else got there first). Lets requests waiting here answer
   * with the row instead of reading it back when the database's NOTIFY arrives first.
   */
  onFinishing?: (id: string) => void;
  onFinished?: (id: string, row: PredictionRow | undefined) => void;
}

export class Lifecycle {
  constructor(
    private readonly db: Db,
    private readonly opts: LifecycleOptions,
  ) {}

  /** The same lifecycle writing through another pool (the worker's asynchronous-commit one). */
  using(db: Db): Lifecycle {
    return new Lifecycle(db, this.opts);
  }

  get publicUrl(): string {
    return this.opts.publicUrl();
  }

  wire(row: PredictionRow): Record<string, unknown> {
    return toWire(row, this.publicUrl);
  }

  /**
   * Moves `id` to a terminal state once; returns the row when this call did it. `known` (the row
   * as the caller has it) lets a prediction that nobody listens to skip the transaction.
   */
  async finish(id: string, f: Finish, known?: Pick<PredictionRow, 'model' | 'deployment' | 'webhook' | 'token_id'>): Promise<PredictionRow | undefined> {
    const hooks = this.opts.webhooks;
    this.opts.onFinishing?.(id);
    let row: PredictionRow | undefined;
    try {
      row =
        !hooks || (known && !(await hooks.wanted(known)))
          ? await finishPrediction(this.db, id, f)
          : await this.db.tx(async (q) => {
              const finished = await finishPrediction(q, id, f);
              if (finished) await hooks.emit(finished, 'completed', this.wire(finished), q);
              return finished;
            });
    } finally {
      this.opts.onFinished?.(id, row);
      if (row) {
        observeFinished(row);
        logFinished(row);
      }
    }
    return row;
  }

  /**
   * Ends a prediction that did not run to completion here (canceled or aborted while queued, or
   * lost with its worker): timings up to now, nothing charged.
   */
  endWithoutRun(
    row: Pick<PredictionRow, 'id' | 'created_at' | 'hardware'> & Partial<PredictionRow>,
    f: Omit<Finish, 'metrics' | 'cost'>,
  ): Promise<PredictionRow | undefined> {
    const metrics = timings({ created_at: row.created_at, started_at: row.started_at ?? null }, new Date());
    const known = row.model !== undefined ? (row as PredictionRow) : undefined;
    return this.finish(row.id, { ...f, metrics, cost: noCost(row.hardware) }, known);
  }

  /** A subscription was created or deleted: stop using the cached list, here and in every other process. */
  subscriptionsChanged(): void {
    this.opts.webhooks?.invalidate();
    void announceInvalidation(this.db, 'subscriptions').catch((err: Error) => this.opts.onError?.(err));
  }

  /** `start` (after the row became `processing`). Never throws: a webhook problem must not fail the run. */
  async started(row: PredictionRow): Promise<void> {
    const m = row.metrics as Record<string, unknown>;
    predictionLogger(row).info({ queue_time: m.queue_time, setup_time: m.setup_time, worker_id: row.worker_id }, `${row.kind} started`);
    await this.emit(row, 'start');
  }

  /** `output` and/or `logs` after a progress flush (throttled by the dispatcher). */
  async progressed(row: PredictionRow, changed: { output: boolean; logs: boolean }): Promise<void> {
    if (changed.output) await this.emit(row, 'output');
    if (changed.logs) await this.emit(row, 'logs');
  }

  private async emit(row: PredictionRow, event: 'start' | 'output' | 'logs'): Promise<void> {
    if (!this.opts.webhooks) return;
    try {
      if (!(await this.opts.webhooks.wanted(row))) return;
      await this.opts.webhooks.emit(row, event, this.wire(row));
    } catch (err) {
      this.opts.onError?.(err as Error);
    }
  }
}
