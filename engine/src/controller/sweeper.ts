/**
 * The sweeps that keep every accepted prediction moving, all idempotent: Cancel-After deadlines,
 * running work of workers that are gone (failed as interrupted), data retention (of predictions
 * and of model checks), and the
 * reconciler (Postgres is the truth, the queue a hint: every waiting prediction that no live
 * worker holds is enqueued again, idempotently per id, so a queue that lost its jobs loses no
 * prediction). In a fleet the controller also declares silent workers lost: their never-started
 * claims go back to the queue and their placements are released.
 *
 * One process runs it: `gantry serve` (role `all`) with a plain database, or the fleet's active
 * controller with its fenced one (a stale controller's sweeps are refused by the database).
 */
import type { Db } from '../store/db';
import { expiredQueued, expiredRunning, getPrediction, orphanedRunning, removeExpiredData, requestCancel, unownedWaiting } from '../store/predictions';
import { WORKER_STALE_SECONDS, declareLost, silentWorkers } from '../store/workers';
import { isFenced } from '../store/fenced-db';
import type { Dispatcher } from '../queue';
import type { Lifecycle } from '../lifecycle';
import type { FileStore } from '../files';
import { removeExpiredCheckData } from '../store/checks';
import { checkWithoutData } from '../checks/retention';

/** Data retention works in batches of this many predictions, at most this many batches a sweep. */
const RETENTION_BATCH = 500;
const RETENTION_BATCHES_PER_SWEEP = 20;
const SWEEP_MS = 1000;
/** The reconciler's period, and the age a waiting prediction must reach before it is re-enqueued. */
const RECONCILE_MS = 5000;
const RECONCILE_AGE_SECONDS = 5;
const RECONCILE_BATCH = 1000;

export interface SweeperOptions {
  /** Writes go here (fenced for a controller). */
  db: Db;
  /** Reads (a controller reads without the fence). */
  readDb?: Db;
  dispatcher: Dispatcher;
  lifecycle: Lifecycle;
  files: FileStore;
  retentionSeconds: number | null;
  /** Declare workers that stopped heartbeating lost (a fleet's controller). */
  declareLost: boolean;
  log: (msg: string) => void;
}

export class Sweeper {
  private sweepTimer?: NodeJS.Timeout;
  private reconcileTimer?: NodeJS.Timeout;
  private sweeping = false;
  private reconciling = false;
  private lastError = '';
  /** Counters for /health and tests. */
  readonly counts = { lostWorkers: 0, requeued: 0, reconciled: 0 };

  constructor(private readonly opts: SweeperOptions) {}

  private get readDb(): Db {
    return this.opts.readDb ?? this.opts.db;
  }

  start(): void {
    this.sweepTimer = setInterval(() => void this.sweep(), SWEEP_MS);
    this.reconcileTimer = setInterval(() => void this.reconcile(RECONCILE_AGE_SECONDS), RECONCILE_MS);
    this.sweepTimer.unref();
    this.reconcileTimer.unref();
    // After a crash (or a takeover), waiting predictions may have lost their job: enqueue them now.
    void this.reconcile(0);
  }

  stop(): void {
    clearInterval(this.sweepTimer);
    clearInterval(this.reconcileTimer);
  }

  private report(what: string, err: unknown): void {
    if (isFenced(err)) return; // the lease is gone; the controller stops this sweeper
    const message = `${what}: ${(err as Error).message}`;
    if (message !== this.lastError) this.opts.log(message);
    this.lastError = message;
  }

  /** One pass of every sweep; a pass still running is not started again. */
  async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    const { db, lifecycle } = this.opts;
    try {
      for (const id of await expiredQueued(this.readDb)) {
        const row = await getPrediction(this.readDb, id);
        if (row) await lifecycle.endWithoutRun(row, { status: 'aborted', error: 'the Cancel-After deadline passed before the prediction started' });
      }
      for (const id of await expiredRunning(this.readDb)) await requestCancel(db, id);
      if (this.opts.declareLost) await this.declareLostWorkers();
      for (const id of await orphanedRunning(this.readDb, WORKER_STALE_SECONDS)) {
        const row = await getPrediction(this.readDb, id);
        if (row) await lifecycle.endWithoutRun(row, { status: 'failed', error: 'interrupted: the worker running this prediction stopped responding' });
      }
      if (this.opts.retentionSeconds !== null) {
        await this.removeOldData(this.opts.retentionSeconds);
        // Model checks keep figures and hashes; their inputs and output texts go with the predictions'.
        await removeExpiredCheckData(this.opts.db, this.opts.retentionSeconds, checkWithoutData);
      }
      this.lastError = '';
    } catch (err) {
      this.report('sweeper', err);
    } finally {
      this.sweeping = false;
    }
  }

  private async declareLostWorkers(): Promise<void> {
    for (const id of await silentWorkers(this.readDb, WORKER_STALE_SECONDS)) {
      const { lost, requeue } = await declareLost(this.opts.db, id, WORKER_STALE_SECONDS);
      if (!lost) continue;
      this.counts.lostWorkers++;
      this.counts.requeued += requeue.length;
      this.opts.log(`worker ${id} stopped heartbeating: declared lost (${requeue.length} waiting predictions requeued)`);
      await this.opts.dispatcher.enqueueMany(requeue).catch((err) => this.report('requeue', err));
    }
  }

  /**
   * Clears the data of predictions past the retention, a batch per statement so that a large backlog
   * never holds many row locks at once; what is left waits for the next sweep.
   */
  private async removeOldData(retentionSeconds: number): Promise<void> {
    for (let i = 0; i < RETENTION_BATCHES_PER_SWEEP; i++) {
      const { removed, paths } = await removeExpiredData(this.opts.db, retentionSeconds, RETENTION_BATCH);
      await this.opts.files.deleteBytes(paths);
      if (removed < RETENTION_BATCH) return;
    }
  }

  /** Enqueues again every waiting prediction no live worker holds (idempotent per id). */
  async reconcile(olderThanSeconds: number): Promise<void> {
    if (this.reconciling) return;
    this.reconciling = true;
    try {
      const waiting = await unownedWaiting(this.readDb, olderThanSeconds, WORKER_STALE_SECONDS, RECONCILE_BATCH);
      if (waiting.length) await this.opts.dispatcher.enqueueMany(waiting);
      this.counts.reconciled += waiting.length;
    } catch (err) {
      this.report('reconciler', err);
    } finally {
      this.reconciling = false;
    }
  }
}
