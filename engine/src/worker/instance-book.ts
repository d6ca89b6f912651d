/**
 * Keeps the instances table in step with this worker's pool, and bills deployment instances for
 * their warmth: setup seconds when an instance becomes ready, idle seconds for every stretch it
 * spends ready without work (private-deployment billing). Writes are queued in order and never
 * block the run path.
 *
 * A serving instance flips busy ⇄ ready with every prediction; writing each flip would cost two
 * statements per prediction. So flips are coalesced: the row's latest state and the idle seconds
 * accumulated since the last write are written at most once per FLIP_FLUSH_MS, while the changes
 * that matter at once (booting, the first ready, stopping, failed) are written immediately.
 */
import type { Db } from '../store/db';
import { insertInstanceUsage, upsertInstance, type InstanceRecordRow, type InstanceUsage } from '../store/instances';
import { instanceTimeCost } from '../core/pricing';
import type { PriceTable } from '../core/hardware';
import type { PoolInstance } from './instance-pool';
import { observeUsage } from '../observe/metrics';

const FLIP_FLUSH_MS = 1000;

interface Pending {
  row: InstanceRecordRow;
  /** Idle seconds billed since the last write (deployment instances). */
  idleSeconds: number;
  deployment?: string;
  version: string;
  hardware: string;
}

export class InstanceBook {
  private chain: Promise<void> = Promise.resolve();
  private readonly idleSince = new Map<string, number>();
  private readonly setupBilled = new Set<string>();
  /** What is to be written, by instance id. */
  private readonly pending = new Map<string, Pending>();
  /** Setup records, written with the next flush (always immediate: they come with the first ready). */
  private readonly setups: InstanceUsage[] = [];
  /** The state last handed to the database, by instance id. */
  private readonly written = new Map<string, string>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly db: Db,
    private readonly workerId: string,
    private readonly prices: PriceTable,
    private readonly log: (m: string) => void,
  ) {}

  record(inst: PoolInstance): void {
    const hardware = typeof inst.needs.hardware === 'string' ? inst.needs.hardware : `gpu x${inst.placement.devices.length}`;
    const row: InstanceRecordRow = {
      id: inst.id,
      workerId: this.workerId,
      version: inst.needs.versionId,
      deployment: inst.needs.deployment ?? null,
      hardware,
      devices: inst.placement.devices,
      memoryGb: inst.placement.memoryClaimGb * Math.max(1, inst.placement.devices.length),
      state: inst.state,
      setupTime: inst.setupTime ?? null,
      bootPhases: inst.phases ? { ...inst.phases } : null,
      error: inst.error ?? null,
      // Not at `stopping`: the devices stay taken until the process is gone.
      stopped: inst.state === 'stopped' || inst.state === 'failed',
    };
    const entry = this.pending.get(inst.id) ?? { row, idleSeconds: 0, deployment: inst.needs.deployment, version: inst.needs.versionId, hardware };
    entry.row = row;
    entry.idleSeconds += this.billIdle(inst);
    this.pending.set(inst.id, entry);
    this.billSetup(inst, hardware);

    const before = this.written.get(inst.id);
    const flip = (before === 'ready' || before === 'busy') && (inst.state === 'ready' || inst.state === 'busy');
    if (!flip) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FLIP_FLUSH_MS);
  }

  /** Idle seconds that ended with this state change (for deployment instances only). */
  private billIdle(inst: PoolInstance): number {
    const now = Date.now();
    const idleStart = this.idleSince.get(inst.id);
    let seconds = 0;
    if (inst.state !== 'ready' && idleStart !== undefined) {
      this.idleSince.delete(inst.id);
      if (inst.needs.deployment) seconds = (now - idleStart) / 1000;
    }
    if (inst.state === 'ready' && !this.idleSince.has(inst.id)) this.idleSince.set(inst.id, now);
    return seconds;
  }

  private billSetup(inst: PoolInstance, hardware: string): void {
    const deployment = inst.needs.deployment;
    if (inst.state === 'ready' && deployment && inst.setupTime !== undefined && !this.setupBilled.has(inst.id)) {
      this.setupBilled.add(inst.id);
      this.setups.push(this.usage('setup', deployment, inst.needs.versionId, hardware, inst.setupTime));
    }
    if (inst.state === 'stopping' || inst.state === 'stopped' || inst.state === 'failed') this.setupBilled.delete(inst.id);
  }

  private usage(kind: 'setup' | 'idle', deployment: string, version: string, hardware: string, seconds: number): InstanceUsage {
    const line = instanceTimeCost(seconds, hardware, this.prices);
    return { kind, deployment, model: deployment, version, hardware, seconds, unitPriceUsd: line.unit_price_usd, totalUsd: line.total_usd };
  }

  /** Queues a write of everything pending; returns when all writes so far are done. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const entries = [...this.pending.values()];
    const setups = this.setups.splice(0);
    this.pending.clear();
    for (const e of entries) {
      if (e.row.stopped) this.written.delete(e.row.id);
      else this.written.set(e.row.id, e.row.state);
    }
    if (entries.length || setups.length) {
      this.chain = this.chain
        .then(async () => {
          for (const e of entries) {
            await upsertInstance(this.db, e.row);
            if (e.deployment && e.idleSeconds > 0) setups.push(this.usage('idle', e.deployment, e.version, e.hardware, e.idleSeconds));
          }
          for (const u of setups) {
            await insertInstanceUsage(this.db, u);
            observeUsage(u);
          }
        })
        .catch((err) => this.log(`instance book: ${(err as Error).message}`));
    }
    return this.chain;
  }
}
