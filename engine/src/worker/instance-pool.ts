/**
 * The instances this worker runs. `acquire` hands out a slot on a ready instance of the
 * requested key (a version, or a version served by a deployment), booting one when none has room
 * (scale from zero). Where an instance goes is decided by the scheduler's placement pipeline
 * (filter → score → select → reserve) over this worker's inventory; when capacity is short, idle
 * instances of other keys are evicted least recently used first. Boot failures fail the waiting
 * runs with the setup error, then back off before the next boot.
 */
import { NodeInstance, type InstanceSpec } from '../runners/node-instance';
import { Ledger, place, reserve, unreserve, type Cluster, type HardwareRequest, type PlacementOk } from '../scheduler';

export type InstanceState = 'booting' | 'ready' | 'busy' | 'stopping' | 'failed';

export interface PoolInstance {
  id: string;
  key: string;
  needs: InstanceNeeds;
  state: InstanceState;
  runner: NodeInstance;
  placement: PlacementOk;
  since: number;
  lastUsed: number;
  /** Slots handed out and not yet released. */
  inUse: number;
  setupTime?: number;
  error?: string;
}

export interface InstanceNeeds {
  /** Instances are shared by runs with the same key: `<version>` or `<version>@<deployment>`. */
  key: string;
  versionId: string;
  deployment?: string;
  hardware: HardwareRequest;
  spec: Omit<InstanceSpec, 'gpus'>;
  maxConcurrency: number;
  /** Upper bound on instances of this key (a deployment's max_instances). */
  maxInstances?: number;
}

export interface Slot {
  instance: PoolInstance;
  /** Set when this run had to wait for the instance to boot (a cold start). */
  setupTime?: number;
  release(): void;
}

interface Waiter {
  needs: InstanceNeeds;
  resolve(slot: Slot): void;
  reject(err: Error): void;
  onPending?(reasons: string[]): void;
}

export interface PoolEvents {
  /** An instance changed state (for the instances table and deployment billing). */
  onInstance?(instance: PoolInstance, previous: InstanceState | 'new'): void;
}

export interface PoolOptions extends PoolEvents {
  /** This worker as the placement pipeline sees it (a one-worker cluster). */
  cluster: Cluster;
  /** How long an idle instance stays warm; per key (deployments may differ). */
  idleWindowMs: (key: string) => number;
  /** How many instances of a key to keep even when idle (a deployment's min_instances). */
  minWarm?: (key: string) => number;
}

let seq = 0;

export class InstancePool {
  private readonly instances: PoolInstance[] = [];
  private readonly waiters: Waiter[] = [];
  private readonly backoff = new Map<string, { until: number; error: string; failures: number }>();
  readonly ledger = new Ledger();
  private readonly idleTimer: NodeJS.Timeout;

  constructor(private readonly opts: PoolOptions) {
    this.idleTimer = setInterval(() => this.stopIdle(), 500).unref();
  }

  list(): readonly PoolInstance[] {
    return this.instances;
  }

  /** A slot on a ready instance of `needs.key`, booting one if needed. */
  acquire(needs: InstanceNeeds, onPending?: (reasons: string[]) => void): Promise<Slot> {
    const ready = this.instances.find((i) => i.key === needs.key && (i.state === 'ready' || i.state === 'busy') && i.inUse < needs.maxConcurrency);
    if (ready) return Promise.resolve(this.slot(ready));
    const failed = this.backoff.get(needs.key);
    if (failed && failed.until > Date.now()) {
      return Promise.reject(new Error(`${failed.error} (retrying setup after ${Math.ceil((failed.until - Date.now()) / 1000)}s)`));
    }
    return new Promise((resolve, reject) => {
      this.waiters.push({ needs, resolve, reject, onPending });
      this.scaleUp(needs.key);
    });
  }

  /** Boots instances of a key until `count` are live (deployments' min_instances). */
  ensureWarm(needs: InstanceNeeds, count: number): void {
    const failed = this.backoff.get(needs.key);
    if (failed && failed.until > Date.now()) return;
    const live = this.instances.filter((i) => i.key === needs.key && i.state !== 'failed' && i.state !== 'stopping').length;
    for (let n = live; n < count; n++) if (!this.tryBoot(needs).ok) break;
  }

  private setState(inst: PoolInstance, state: InstanceState): void {
    const previous = inst.state;
    inst.state = state;
    this.opts.onInstance?.(inst, previous);
  }

  private slot(instance: PoolInstance, setupTime?: number): Slot {
    if (instance.state === 'ready') this.setState(instance, 'busy');
    instance.lastUsed = Date.now();
    instance.inUse++;
    let released = false;
    return {
      instance,
      setupTime,
      release: () => {
        if (released) return;
        released = true;
        instance.lastUsed = Date.now();
        instance.inUse--;
        if (instance.state === 'busy' && instance.inUse === 0) this.setState(instance, 'ready');
        this.serveWaiters(instance.key);
      },
    };
  }

  private scaleUp(key: string): void {
    const waiting = this.waiters.filter((w) => w.needs.key === key);
    if (waiting.length === 0) return;
    const needs = waiting[0].needs;
    const booting = this.instances.filter((i) => i.key === key && i.state === 'booting').length;
    // One booting instance will serve up to maxConcurrency waiters.
    if (booting * needs.maxConcurrency >= waiting.length) return;
    const live = this.instances.filter((i) => i.key === key && i.state !== 'failed' && i.state !== 'stopping').length;
    if (needs.maxInstances !== undefined && live >= needs.maxInstances) return; // waits for a slot on an existing one
    let result = this.tryBoot(needs);
    while (!result.ok && result.code === 'busy' && this.evictIdle(key)) result = this.tryBoot(needs);
    if (result.ok) return;
    if (result.code === 'impossible') {
      const err = new Error(`no capacity can ever hold this version on this worker: ${result.reasons.join('; ')}`);
      for (const w of waiting) this.dropWaiter(w).reject(err);
    } else if (booting === 0 && live === 0) {
      for (const w of waiting) w.onPending?.(result.reasons);
    }
  }

  private dropWaiter(w: Waiter): Waiter {
    const idx = this.waiters.indexOf(w);
    if (idx >= 0) this.waiters.splice(idx, 1);
    return w;
  }

  /** Places and reserves devices, then boots. */
  private tryBoot(needs: InstanceNeeds): { ok: true } | { ok: false; code: 'busy' | 'impossible'; reasons: string[] } {
    const placed = place({ versionId: needs.versionId, hardware: needs.hardware }, this.opts.cluster, this.ledger);
    if (!placed.ok) return placed;
    const id = `i${process.pid.toString(36)}${(++seq).toString(36)}${Date.now().toString(36)}`;
    const reserved = reserve(this.ledger, this.opts.cluster, id, placed);
    if (!reserved.ok) return { ok: false, code: 'busy', reasons: [reserved.reason] };
    void this.boot(id, needs, placed);
    return { ok: true };
  }

  /** Stops the least recently used idle instance of another key, never below its min warm. */
  private evictIdle(forKey: string): boolean {
    const victim = this.instances
      .filter((i) => i.state === 'ready' && i.key !== forKey && i.inUse === 0 && this.liveCount(i.key) > (this.opts.minWarm?.(i.key) ?? 0))
      .sort((a, b) => a.lastUsed - b.lastUsed)[0];
    if (!victim) return false;
    void this.stopInstance(victim);
    return true;
  }

  private liveCount(key: string): number {
    return this.instances.filter((i) => i.key === key && (i.state === 'ready' || i.state === 'busy' || i.state === 'booting')).length;
  }

  private async boot(id: string, needs: InstanceNeeds, placement: PlacementOk): Promise<void> {
    const runner = new NodeInstance({ ...needs.spec, gpus: placement.cudaVisibleDevices });
    const inst: PoolInstance = { id, key: needs.key, needs, state: 'booting', runner, placement, since: Date.now(), lastUsed: Date.now(), inUse: 0 };
    this.instances.push(inst);
    this.opts.onInstance?.(inst, 'new');
    runner.onExit = (reason) => {
      if (inst.state !== 'stopping') {
        inst.error = `instance ${reason}`;
        this.setState(inst, 'failed');
      }
      this.remove(inst);
      // A crashed instance is replaced on demand: waiting runs trigger a new boot.
      this.scaleUp(inst.key);
    };
    try {
      inst.setupTime = await runner.start();
      inst.since = Date.now();
      inst.lastUsed = Date.now();
      this.backoff.delete(needs.key);
      this.setState(inst, 'ready');
      this.serveWaiters(needs.key, inst.setupTime);
    } catch (err) {
      inst.error = (err as Error).message;
      this.setState(inst, 'failed');
      const failures = (this.backoff.get(needs.key)?.failures ?? 0) + 1;
      const delay = Math.min(60_000, 1000 * 2 ** (failures - 1));
      this.backoff.set(needs.key, { until: Date.now() + delay, error: inst.error, failures });
      const logs = runner.setupLogs.slice(-20).join('\n');
      const failure = new Error(`${inst.error}${logs ? `\n${logs}` : ''}`);
      for (const w of this.waiters.filter((x) => x.needs.key === needs.key)) this.dropWaiter(w).reject(failure);
      this.remove(inst);
    }
  }

  private serveWaiters(key: string, setupTime?: number): void {
    for (const inst of this.instances.filter((i) => i.key === key && (i.state === 'ready' || i.state === 'busy'))) {
      for (let w = this.waiters.find((x) => x.needs.key === key); w && inst.inUse < w.needs.maxConcurrency; w = this.waiters.find((x) => x.needs.key === key)) {
        this.dropWaiter(w).resolve(this.slot(inst, setupTime));
      }
    }
    // Still waiting and nothing has room: boot more if allowed.
    this.scaleUp(key);
    // Freed capacity may let another key boot.
    for (const other of new Set(this.waiters.map((w) => w.needs.key))) if (other !== key) this.scaleUp(other);
  }

  private remove(inst: PoolInstance): void {
    const idx = this.instances.indexOf(inst);
    if (idx >= 0) this.instances.splice(idx, 1);
    unreserve(this.ledger, inst.id);
  }

  private async stopInstance(inst: PoolInstance): Promise<void> {
    this.setState(inst, 'stopping');
    await inst.runner.stop();
    this.remove(inst);
    for (const key of new Set(this.waiters.map((w) => w.needs.key))) this.scaleUp(key);
  }

  /** Stops instances idle longer than their window, keeping each key's min warm. */
  private stopIdle(): void {
    const now = Date.now();
    for (const inst of [...this.instances]) {
      if (inst.state !== 'ready' || inst.inUse > 0) continue;
      if (now - inst.lastUsed <= this.opts.idleWindowMs(inst.key)) continue;
      if (this.liveCount(inst.key) <= (this.opts.minWarm?.(inst.key) ?? 0)) continue;
      void this.stopInstance(inst);
    }
  }

  /** Stops instances of a key above `keep` (a deployment scaled down or deleted). */
  trim(key: string, keep: number): void {
    const idle = this.instances.filter((i) => i.key === key && i.state === 'ready' && i.inUse === 0).sort((a, b) => a.lastUsed - b.lastUsed);
    let excess = this.liveCount(key) - keep;
    for (const inst of idle) {
      if (excess-- <= 0) break;
      void this.stopInstance(inst);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.idleTimer);
    for (const w of this.waiters.splice(0)) w.reject(new Error('the worker is shutting down'));
    await Promise.all(this.instances.map((i) => this.stopInstance(i)));
  }
}
