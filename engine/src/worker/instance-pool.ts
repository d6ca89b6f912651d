/**
 * The instances this worker runs, per version. `acquire` hands out a slot on a ready instance,
 * booting one when none has room (scale from zero) and capacity allows; idle instances stop after
 * the idle window. Boot failures fail the waiting runs with the setup error and back off.
 */
import { NodeInstance, type InstanceSpec } from '../runners/node-instance';

export type InstanceState = 'booting' | 'ready' | 'busy' | 'stopping' | 'failed';

export interface PoolInstance {
  id: number;
  versionId: string;
  state: InstanceState;
  runner: NodeInstance;
  since: number;
  lastUsed: number;
  /** Slots handed out and not yet released (counted here, not on the runner, so that a slot
   * reserved before its run is registered is still counted). */
  inUse: number;
  setupTime?: number;
  error?: string;
}

export interface Slot {
  instance: PoolInstance;
  /** Set when this run had to wait for the instance to boot (a cold start). */
  setupTime?: number;
  release(): void;
}

interface VersionNeeds {
  versionId: string;
  spec: InstanceSpec;
  maxConcurrency: number;
}

interface Waiter {
  needs: VersionNeeds;
  resolve(slot: Slot): void;
  reject(err: Error): void;
}

export interface PoolOptions {
  /** How many instances may run at once on this worker's CPU slots. */
  capacity: number;
  idleWindowMs: number;
  onChange?: () => void;
}

export class InstancePool {
  private readonly instances: PoolInstance[] = [];
  private readonly waiters: Waiter[] = [];
  private readonly backoffUntil = new Map<string, { until: number; error: string; failures: number }>();
  private nextId = 1;
  private readonly idleTimer: NodeJS.Timeout;

  constructor(private readonly opts: PoolOptions) {
    this.idleTimer = setInterval(() => this.stopIdle(), Math.min(1000, opts.idleWindowMs)).unref();
  }

  list(): readonly PoolInstance[] {
    return this.instances;
  }

  acquire(needs: VersionNeeds): Promise<Slot> {
    const ready = this.instances.find(
      (i) => i.versionId === needs.versionId && (i.state === 'ready' || i.state === 'busy') && i.inUse < needs.maxConcurrency,
    );
    if (ready) return Promise.resolve(this.slot(ready, needs));
    const backoff = this.backoffUntil.get(needs.versionId);
    if (backoff && backoff.until > Date.now()) {
      return Promise.reject(new Error(`${backoff.error} (retrying setup after ${Math.ceil((backoff.until - Date.now()) / 1000)}s)`));
    }
    return new Promise((resolve, reject) => {
      this.waiters.push({ needs, resolve, reject });
      this.scaleUp(needs);
    });
  }

  private slot(instance: PoolInstance, needs: VersionNeeds, setupTime?: number): Slot {
    instance.state = 'busy';
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
        if (instance.state === 'busy' && instance.inUse === 0) instance.state = 'ready';
        this.serveWaiters(needs.versionId);
        this.opts.onChange?.();
      },
    };
  }

  private booting(versionId: string): number {
    return this.instances.filter((i) => i.versionId === versionId && i.state === 'booting').length;
  }

  private scaleUp(needs: VersionNeeds): void {
    const waiting = this.waiters.filter((w) => w.needs.versionId === needs.versionId).length;
    // One booting instance serves up to maxConcurrency waiters.
    if (this.booting(needs.versionId) * needs.maxConcurrency >= waiting) return;
    if (this.active() >= this.opts.capacity && !this.evictIdle(needs.versionId)) return;
    void this.boot(needs);
  }

  private active(): number {
    return this.instances.filter((i) => i.state !== 'failed').length;
  }

  /** Makes room by stopping the least recently used idle instance of another version. */
  private evictIdle(forVersion: string): boolean {
    const idle = this.instances
      .filter((i) => i.state === 'ready' && i.versionId !== forVersion && i.inUse === 0)
      .sort((a, b) => a.lastUsed - b.lastUsed)[0];
    if (!idle) return false;
    void this.stopInstance(idle);
    return true;
  }

  private async boot(needs: VersionNeeds): Promise<void> {
    const runner = new NodeInstance(needs.spec);
    const inst: PoolInstance = { id: this.nextId++, versionId: needs.versionId, state: 'booting', runner, since: Date.now(), lastUsed: Date.now(), inUse: 0 };
    this.instances.push(inst);
    this.opts.onChange?.();
    runner.onExit = () => {
      if (inst.state !== 'stopping') inst.state = 'failed';
      this.remove(inst);
      // A crashed instance is replaced on demand: waiting runs trigger a new boot.
      const next = this.waiters.find((w) => w.needs.versionId === inst.versionId);
      if (next) this.scaleUp(next.needs);
    };
    try {
      inst.setupTime = await runner.start();
      inst.state = 'ready';
      inst.since = Date.now();
      this.backoffUntil.delete(needs.versionId);
      this.serveWaiters(needs.versionId, inst.setupTime);
    } catch (err) {
      inst.state = 'failed';
      inst.error = (err as Error).message;
      const prev = this.backoffUntil.get(needs.versionId);
      const failures = (prev?.failures ?? 0) + 1;
      const delay = Math.min(60_000, 1000 * 2 ** (failures - 1));
      this.backoffUntil.set(needs.versionId, { until: Date.now() + delay, error: inst.error, failures });
      const logs = runner.setupLogs.slice(-20).join('\n');
      const failure = new Error(`${inst.error}${logs ? `\n${logs}` : ''}`);
      for (const w of this.waiters.filter((x) => x.needs.versionId === needs.versionId)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.reject(failure);
      }
      this.remove(inst);
    }
    this.opts.onChange?.();
  }

  private serveWaiters(versionId: string, setupTime?: number): void {
    for (const inst of this.instances.filter((i) => i.versionId === versionId && (i.state === 'ready' || i.state === 'busy'))) {
      while (true) {
        const idx = this.waiters.findIndex((w) => w.needs.versionId === versionId);
        if (idx < 0) return;
        const w = this.waiters[idx];
        if (inst.inUse >= w.needs.maxConcurrency) break;
        this.waiters.splice(idx, 1);
        w.resolve(this.slot(inst, w.needs, setupTime));
      }
    }
    // Still waiting and nothing has room: boot more if allowed.
    const next = this.waiters.find((w) => w.needs.versionId === versionId);
    if (next) this.scaleUp(next.needs);
  }

  private remove(inst: PoolInstance): void {
    const idx = this.instances.indexOf(inst);
    if (idx >= 0) this.instances.splice(idx, 1);
    this.opts.onChange?.();
  }

  private async stopInstance(inst: PoolInstance): Promise<void> {
    inst.state = 'stopping';
    this.opts.onChange?.();
    await inst.runner.stop();
    this.remove(inst);
  }

  private stopIdle(): void {
    const now = Date.now();
    for (const inst of [...this.instances]) {
      if (inst.state === 'ready' && inst.inUse === 0 && now - inst.lastUsed > this.opts.idleWindowMs) void this.stopInstance(inst);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.idleTimer);
    for (const w of this.waiters.splice(0)) w.reject(new Error('the worker is shutting down'));
    await Promise.all(this.instances.map((i) => this.stopInstance(i)));
  }
}
