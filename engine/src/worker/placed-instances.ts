/**
 * The instances a fleet worker runs because the controller placed them here. For each placement
 * it boots an instance on the placement's devices; once ready, the instance consumes its key's
 * queue with as many jobs at once as it has slots, so a job is only ever taken by an instance
 * with room. A placement that is gone or asked to stop is drained (no new jobs, running ones
 * finish) and stopped; its devices are free once the worker reports it stopped. Every state
 * change is reported through the instance book (`instances` rows, deployment billing).
 */
import { keyQueueName, type Consumer, type Dispatcher } from '../queue';
import type { PlacementRow } from '../store/placements';
import { startInstance, specFor, type InstanceLimits } from '../runners/instance';
import { createInstance, transition, beginPrediction, endPrediction, type PlacementOk } from '../scheduler';
import type { PredictionRow } from '../core/prediction';
import type { VersionRow } from '../store/catalog';
import type { InstanceBook } from './instance-book';
import { markBooted, type PoolInstance, type Slot } from './instance-pool';

/** How long a forced drain waits for the queue connection to close. */
const FORCED_CLOSE_MS = 5000;

/** Waits for `work` (errors ignored), at most `ms` when given. */
function bounded(work: Promise<void> | undefined, ms?: number): Promise<void> {
  const done = (work ?? Promise.resolve()).catch(() => undefined);
  if (ms === undefined) return done;
  return Promise.race([done, new Promise<void>((r) => setTimeout(r, ms).unref())]);
}

export interface Placed {
  inst: PoolInstance;
  /** When it became ready (ms); predictions created before that waited for its boot. */
  readyAt?: number;
  consumer?: Consumer;
  stopping?: Promise<void>;
  /** The drain does not wait for running jobs (shutdown, rejoin). */
  forced?: boolean;
}

export interface PlacedOptions {
  dispatcher: Dispatcher;
  limits: InstanceLimits;
  versionOf(id: string): Promise<VersionRow | undefined>;
  /** Runs one job's prediction on a slot of `placed`. */
  execute(id: string, placed: Placed): Promise<void>;
  log: (msg: string) => void;
}

export class PlacedInstances {
  private readonly placed = new Map<string, Placed>();

  constructor(
    private readonly opts: PlacedOptions,
    private book: InstanceBook,
  ) {}

  /** The book of the current incarnation (a rejoin starts a new one). */
  useBook(book: InstanceBook): void {
    this.book = book;
  }

  list(): PoolInstance[] {
    return [...this.placed.values()].map((p) => p.inst);
  }

  /** Makes what runs here match `rows` (this worker's placements). */
  async reconcile(rows: readonly PlacementRow[]): Promise<void> {
    const wanted = new Map(rows.filter((r) => !r.stop_requested_at).map((r) => [r.id, r]));
    for (const [id, p] of this.placed) if (!wanted.has(id)) void this.drain(p);
    for (const row of wanted.values()) if (!this.placed.has(row.id)) await this.boot(row);
  }

  private setState(inst: PoolInstance, state: PoolInstance['state']): void {
    inst.state = state;
    this.book.record(inst);
  }

  private async boot(row: PlacementRow): Promise<void> {
    const version = await this.opts.versionOf(row.version);
    const spec = version ? specFor(version) : `version ${row.version} no longer exists`;
    const placement: PlacementOk = {
      ok: true,
      worker: row.worker_id,
      devices: row.devices,
      memoryClaimGb: row.memory_claim_gb,
      cudaVisibleDevices: row.devices.join(','),
      cpuSlots: row.cpu_slots,
      score: 0,
    };
    const needs = {
      key: row.key,
      versionId: row.version,
      deployment: row.deployment ?? undefined,
      hardware: row.hardware,
      spec: typeof spec === 'string' ? { type: 'node' as const, module: '' } : spec,
      maxConcurrency: version?.max_concurrency ?? 1,
    };
    const inst: PoolInstance = { id: row.id, key: row.key, needs, state: 'booting', runner: undefined as never, placement, record: createInstance(row.id, row.key, Date.now()), inUse: 0 };
    const placed: Placed = { inst };
    this.placed.set(row.id, placed);
    if (typeof spec === 'string') {
      inst.error = spec;
      this.fail(placed);
      return;
    }
    const bootStartedAt = Date.now();
    inst.runner = startInstance(spec, placement.cudaVisibleDevices, this.opts.limits);
    this.book.record(inst);
    inst.runner.onExit = (reason) => {
      if (inst.state === 'stopping' || inst.state === 'failed') return;
      inst.error = `instance ${reason}`;
      this.fail(placed);
    };
    inst.runner.start().then(
      (setupTime) => {
        if (inst.state !== 'booting') return;
        markBooted(inst, bootStartedAt, setupTime);
        inst.record = transition(inst.record, 'ready', Date.now());
        placed.readyAt = Date.now();
        this.setState(inst, 'ready');
        placed.consumer = this.opts.dispatcher.consume(keyQueueName(inst.key), Math.max(1, needs.maxConcurrency), (job) => this.opts.execute(job.id, placed));
      },
      (err: Error) => {
        if (inst.state !== 'booting') return;
        const logs = inst.runner.setupLogs.slice(-20).join('\n');
        inst.error = `${err.message}${logs ? `\n${logs}` : ''}`;
        this.fail(placed);
      },
    );
  }

  /**
   * A slot for `row` on `placed`. The consumer never hands more jobs than the instance has slots;
   * `phases` are set when the prediction was waiting before the instance was ready (a cold start).
   */
  slot(placed: Placed, row: PredictionRow): Slot | Error {
    const { inst } = placed;
    // A job taken just before a drain began still runs: the drain waits for it before stopping.
    if (inst.state === 'stopping' && !placed.forced) {
      inst.inUse++;
      return { instance: inst, release: () => void inst.inUse-- };
    }
    if (inst.state !== 'ready' && inst.state !== 'busy') return new Error(`interrupted: instance ${inst.id} is ${inst.state}`);
    inst.inUse++;
    inst.record = beginPrediction(inst.record, Date.now());
    if (inst.state === 'ready') this.setState(inst, 'busy');
    const cold = placed.readyAt !== undefined && row.created_at.getTime() < placed.readyAt;
    let released = false;
    return {
      instance: inst,
      phases: cold ? inst.phases : undefined,
      release: () => {
        if (released) return;
        released = true;
        inst.inUse--;
        if (inst.state === 'busy' || inst.state === 'ready') inst.record = endPrediction(inst.record, Date.now());
        if (inst.state === 'busy' && inst.inUse === 0) this.setState(inst, 'ready');
      },
    };
  }

  private fail(placed: Placed): void {
    const { inst } = placed;
    inst.record = { ...inst.record, state: 'failed' };
    this.setState(inst, 'failed');
    this.placed.delete(inst.id);
    void placed.consumer?.close(true).catch(() => undefined);
  }

  /**
   * Stops taking jobs, lets running ones finish, stops the instance and reports it stopped.
   * `force` (shutting down, or rejoining after being declared lost): the instance is stopped at
   * once, its runs fail, and the queue connection gets a few seconds to close (a queue server
   * that is still reconnecting must not keep this worker from rejoining).
   */
  drain(placed: Placed, force = false): Promise<void> {
    if (force) placed.forced = true;
    if (placed.stopping && force) {
      // Already draining: stop waiting for its runs (they fail; the instance goes now).
      void placed.inst.runner?.stop().catch(() => undefined);
    }
    placed.stopping ??= (async () => {
      const { inst } = placed;
      if (inst.state !== 'failed') {
        if (inst.state !== 'stopping') inst.record = transition(inst.record, 'stopping', Date.now());
        this.setState(inst, 'stopping');
      }
      const closing = bounded(placed.consumer?.close(force), force ? FORCED_CLOSE_MS : undefined);
      if (force) await Promise.all([closing, inst.runner?.stop().catch(() => undefined)]);
      else {
        await closing;
        await inst.runner?.stop().catch(() => undefined);
      }
      this.placed.delete(inst.id);
      // Reported stopped only now: the controller frees the devices when it reads this.
      if (inst.state !== 'failed') this.setState(inst, 'stopped');
    })();
    return placed.stopping;
  }

  /** Drains every instance (`force`: without waiting for running jobs). */
  async stopAll(force: boolean): Promise<void> {
    await Promise.all([...this.placed.values()].map((p) => this.drain(p, force)));
  }
}
