/**
 * The worker role of a fleet (`gantry serve --role worker`): owns this host's devices, runs the
 * instances the controller placed on it (`PlacedInstances`), and runs the jobs their queues hand
 * it. It heartbeats every 2 s with its devices; the controller places only on workers that do.
 *
 * Declared lost (it stopped heartbeating for longer than the timeout, e.g. cut off from the
 * network), it has already been replaced: its running predictions were failed as interrupted,
 * its waiting ones handed to others, its devices given up. When it hears of it (its heartbeat
 * finds its row stopped) it stops everything it runs and rejoins under a new id with free
 * devices, so nothing it still ran can overlap with what the controller placed meanwhile.
 *
 * Its heartbeat says what it holds (held-artifacts.ts: weights in its artifact cache by tier and
 * size, Cog images in its local image store) and how its cache is doing; the prefetcher warms the
 * cache for deployments that would land here.
 */
import { hostname } from 'node:os';
import { Listener } from '../store/listen';
import { PREDICTION_CHANNEL } from '../store/predictions';
import { PLACEMENT_CHANNEL, placementsOf } from '../store/placements';
import { heartbeat, registerWorker, stopWorker, type Membership } from '../store/workers';
import { stopInstancesOf } from '../store/instances';
import { newId } from '../core/ids';
import { Ledger, place, type Cluster } from '../scheduler';
import { SKUS } from '../core/hardware';
import { Lifecycle } from '../lifecycle';
import { InstanceBook } from './instance-book';
import type { WorkerBasics } from './worker';
import { RunIo } from './run-io';
import { RunExecutor } from './run-executor';
import { PlacedInstances, type Placed } from './placed-instances';
import type { FleetWorkerDevices } from '../controller/snapshot';
import { HeldArtifacts } from './held-artifacts';
import { Prefetcher } from './prefetcher';

/** The fleet's dispatcher must route by instance key (`routing: 'key'`). */
export type FleetWorkerOptions = WorkerBasics;

const HEARTBEAT_MS = 2000;
/** Placements are re-read this often even without a notification. */
const RECONCILE_MS = 1000;
/** How often deployments are checked for artifacts to prefetch. */
const PREFETCH_MS = 2000;

export class FleetWorker {
  id = newId();
  readonly name: string;
  membership: Membership = 'live';
  private readonly executor: RunExecutor;
  private readonly instances: PlacedInstances;
  private book: InstanceBook;
  private listener?: Listener;
  private timers: NodeJS.Timeout[] = [];
  private stopping = false;
  private rejoining?: Promise<void>;
  private reconciling = false;
  private again = false;
  private readonly hardware: string[];
  private readonly held: HeldArtifacts;
  private readonly prefetcher?: Prefetcher;
  private readonly io?: RunIo;

  constructor(private readonly opts: FleetWorkerOptions) {
    this.name = opts.name ?? `${hostname()}-${process.pid}`;
    const cluster: Cluster = { workers: [{ id: 'self', alive: true, gpus: opts.gpus, cpuSlots: opts.cpuSlots }] };
    this.hardware = SKUS.filter((s) => place({ versionId: 'probe', hardware: s.sku }, cluster, new Ledger()).ok).map((s) => s.sku);
    const io = opts.files && opts.dataDir ? new RunIo({ db: opts.db, files: opts.files, dataDir: opts.dataDir, artifactCache: opts.artifactCache }) : undefined;
    this.io = io;
    this.held = new HeldArtifacts(io?.weights);
    // Every version this worker boots is remembered: the heartbeat reports what of it is held.
    const versionOf = async (id: string) => {
      const v = await this.executor.versionOf(id);
      if (v) this.held.note(v);
      return v;
    };
    this.executor = new RunExecutor({
      db: opts.db,
      prices: opts.prices,
      lifecycle: opts.lifecycle ?? new Lifecycle(opts.db, { publicUrl: () => '' }),
      io,
      workerId: () => this.id,
      stopping: () => this.stopping,
    });
    this.book = new InstanceBook(opts.db, this.id, opts.prices, opts.log);
    this.instances = new PlacedInstances(
      {
        dispatcher: opts.dispatcher,
        limits: { maxFileBytes: opts.files?.maxBytes, weights: io?.weights },
        versionOf,
        execute: (id, placed) => this.execute(id, placed),
        log: opts.log,
      },
      this.book,
    );
    if (io) {
      this.prefetcher = new Prefetcher({
        db: opts.db,
        weights: io.weights,
        held: this.held,
        selfId: () => this.id,
        versionOf: (id) => this.executor.versionOf(id),
        booting: () => this.instances.list().some((i) => i.state === 'booting'),
        log: opts.log,
      });
    }
  }

  private devices(): FleetWorkerDevices {
    return {
      managed: true,
      hardware: this.hardware,
      cpu_slots: this.opts.cpuSlots,
      gpus: this.opts.gpus.map((g) => ({ index: g.index, name: g.name, sku: g.sku, memory_gb: g.memoryGb })),
      ...this.held.report(),
      cache: this.io ? { ...this.io.weights.cache.summary() } : undefined,
    };
  }

  get running(): number {
    return this.executor.runningIds().length;
  }

  get instanceCount(): number {
    return this.instances.list().length;
  }

  async start(): Promise<void> {
    await this.register();
    this.listener = new Listener(this.opts.databaseUrl, [PREDICTION_CHANNEL, PLACEMENT_CHANNEL]);
    this.listener.on(PREDICTION_CHANNEL, (payload: string) => {
      const [id, event] = payload.split(':');
      if (event === 'cancel') this.executor.cancel(id);
    });
    this.listener.on(PLACEMENT_CHANNEL, (workerId: string) => workerId === this.id && void this.reconcile());
    this.listener.on('reconnected', () => void this.reconcile());
    await this.listener.start();
    this.timers.push(
      setInterval(() => void this.beat(), HEARTBEAT_MS),
      setInterval(() => void this.reconcile(), RECONCILE_MS),
      setInterval(() => {
        if (this.membership === 'live' && !this.stopping) void this.prefetcher?.tick();
      }, PREFETCH_MS),
    );
    for (const t of this.timers) t.unref();
    await this.reconcile();
  }

  private async register(): Promise<void> {
    const predecessors = await registerWorker(this.opts.db, this.id, this.name, this.devices());
    if (predecessors.length) {
      // An earlier process of this name crashed: what it ran was interrupted.
      await stopInstancesOf(this.opts.db, predecessors);
      await this.executor.failInterrupted(predecessors, 'interrupted: the worker running this prediction stopped (restart or crash)');
    }
    this.membership = 'live';
  }

  private beating = false;
  private async beat(): Promise<void> {
    if (this.beating || this.stopping) return;
    this.beating = true;
    try {
      await this.held.refresh();
      const membership = await heartbeat(this.opts.db, this.id, this.devices());
      if (membership === 'lost') void this.rejoin();
      else if (membership === 'stopped' && this.membership !== 'stopped') {
        this.membership = 'stopped';
        this.opts.log(`worker ${this.name}: replaced by a newer process of the same name; stopping its instances`);
        await this.instances.stopAll(true);
      }
    } catch {
      // Unreachable database: keep beating; the controller decides when this worker is lost.
    } finally {
      this.beating = false;
    }
  }

  /** Declared lost: stop everything, then come back as a new worker with free devices. */
  private rejoin(): Promise<void> {
    this.rejoining ??= (async () => {
      this.membership = 'lost';
      const old = this.id;
      this.opts.log(`worker ${this.name}: declared lost by the controller (was ${old}); stopping its instances and rejoining`);
      await this.instances.stopAll(true);
      // What the book could not write while cut off is moot now: the controller stopped those rows.
      await Promise.race([this.book.flush(), new Promise((r) => setTimeout(r, 5000).unref())]);
      this.id = newId();
      this.book = new InstanceBook(this.opts.db, this.id, this.opts.prices, this.opts.log);
      this.instances.useBook(this.book);
      await this.register();
      this.opts.log(`worker ${this.name}: rejoined as ${this.id}`);
    })()
      .catch((err: Error) => this.opts.log(`worker ${this.name}: rejoin failed (${err.message}); retrying on the next heartbeat`))
      .finally(() => (this.rejoining = undefined));
    return this.rejoining;
  }

  /** Reads this worker's placements and boots or drains instances to match. */
  private async reconcile(): Promise<void> {
    if (this.stopping || this.membership !== 'live' || this.rejoining) return;
    if (this.reconciling) {
      this.again = true;
      return;
    }
    this.reconciling = true;
    try {
      do {
        this.again = false;
        const id = this.id;
        const rows = await placementsOf(this.opts.db, id);
        if (id === this.id && !this.rejoining && !this.stopping) await this.instances.reconcile(rows);
      } while (this.again);
    } catch {
      // The next timer (or notification) tries again.
    } finally {
      this.reconciling = false;
    }
  }

  private execute(id: string, placed: Placed): Promise<void> {
    return this.executor.execute(id, async (row) => this.instances.slot(placed, row));
  }

  /**
   * Stops taking jobs and gives running predictions `graceMs` to finish; what still runs then is
   * failed as interrupted, and waiting predictions stay queued for the other workers.
   */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.instances.stopAll(false), new Promise((r) => (timer = setTimeout(r, graceMs)))]);
    if (timer) clearTimeout(timer);
    await this.executor.interruptRunning('interrupted: the worker shut down while this prediction was running');
    await this.instances.stopAll(true);
    await this.io?.weights.cache.close();
    await this.book.flush();
    await this.listener?.close();
    await stopWorker(this.opts.db, this.id).catch(() => undefined);
  }
}
