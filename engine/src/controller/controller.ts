/**
 * The controller role: one active per fleet, elected through the Postgres lease (`LeaseKeeper`).
 * While it holds the lease it runs the sweeps (deadlines, lost workers, interrupted work,
 * retention, the reconciler), the file TTL sweep and cluster-wide placement (`FleetPlanner`), all
 * writing through the fenced database; standbys only wait for the lease. Losing the lease stops
 * everything at once, and anything still in flight is refused by the database anyway.
 */
import type { Db } from '../store/db';
import type { Dispatcher } from '../queue';
import type { Lifecycle } from '../lifecycle';
import { FileStore, fileSweepMs, type FileStoreOptions } from '../files';
import type { AutoscalerKnobs } from '../scheduler';
import { LeaseKeeper } from './lease';
import { Sweeper } from './sweeper';
import { FleetPlanner } from './planner';
import { isFenced } from '../store/fenced-db';

const PLAN_MS = 300;

export interface ControllerOptions {
  db: Db;
  /** Direct URL (the fenced pool connects to it). */
  url: string;
  dispatcher: Dispatcher;
  /** The process's lifecycle (webhooks); the controller writes through `using(fenced)`. */
  lifecycle: Lifecycle;
  /** How files are stored (the controller's TTL and retention sweeps delete through it). */
  fileOptions: FileStoreOptions;
  retentionSeconds: number | null;
  fileTtlSeconds: number;
  knobs: Partial<AutoscalerKnobs>;
  leaseSeconds: number;
  log: (msg: string) => void;
}

export interface ControllerStatus {
  leader: boolean;
  epoch: number | null;
  holder: string;
  /** Writes the database refused because this process's epoch was stale (fencing at work). */
  refused_writes: number;
  terms: number;
  lost_workers: number;
}

export class Controller {
  readonly lease: LeaseKeeper;
  private active?: { stop(): void };
  private terms = 0;
  private lostWorkers = 0;

  constructor(private readonly opts: ControllerOptions) {
    this.lease = new LeaseKeeper({ db: opts.db, url: opts.url, seconds: opts.leaseSeconds, log: opts.log });
    this.lease.on('acquired', (epoch: number) => this.lead(epoch));
    this.lease.on('lost', () => this.standDown());
  }

  start(): void {
    this.lease.start();
  }

  get status(): ControllerStatus {
    return {
      leader: this.lease.leader,
      epoch: this.lease.epoch ?? null,
      holder: this.lease.holder,
      refused_writes: this.lease.fenced.refused,
      terms: this.terms,
      lost_workers: this.lostWorkers,
    };
  }

  private lead(epoch: number): void {
    this.standDown();
    this.terms++;
    const { opts } = this;
    const fenced = this.lease.fenced;
    const lifecycle = opts.lifecycle.using(fenced);
    const files = new FileStore(fenced, opts.fileOptions);
    const sweeper = new Sweeper({
      db: fenced,
      readDb: opts.db,
      dispatcher: opts.dispatcher,
      lifecycle,
      files,
      retentionSeconds: opts.retentionSeconds,
      declareLost: true,
      log: opts.log,
    });
    const planner = new FleetPlanner({ readDb: opts.db, db: fenced, lifecycle, knobs: opts.knobs, epoch: () => epoch, log: opts.log });
    let planning = false;
    let lastPlanError = '';
    const plan = setInterval(() => {
      if (planning) return;
      planning = true;
      planner
        .tick()
        .then(() => (lastPlanError = ''))
        .catch((err: Error) => {
          if (isFenced(err) || err.message === lastPlanError) return;
          lastPlanError = err.message;
          opts.log(`planner: ${err.message}`);
        })
        .finally(() => (planning = false));
    }, PLAN_MS);
    const fileSweep = setInterval(() => void files.sweep().catch((e: Error) => isFenced(e) || opts.log(`files: ${e.message}`)), fileSweepMs(opts.fileTtlSeconds));
    plan.unref();
    fileSweep.unref();
    sweeper.start();
    opts.log(`controller: active (epoch ${epoch})`);
    this.active = {
      stop: () => {
        clearInterval(plan);
        clearInterval(fileSweep);
        sweeper.stop();
        this.lostWorkers += sweeper.counts.lostWorkers;
      },
    };
  }

  private standDown(): void {
    this.active?.stop();
    this.active = undefined;
  }

  async stop(): Promise<void> {
    this.standDown();
    await this.lease.stop();
  }
}
