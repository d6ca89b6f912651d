/**
 * Keeps the instances table in step with this worker's pool, and bills deployment instances for
 * their warmth: setup seconds when an instance becomes ready, idle seconds for every stretch it
 * spends ready without work (private-deployment billing). Writes are queued in order and never
 * block the run path.
 */
import type { Db } from '../store/db';
import { insertInstanceUsage, upsertInstance } from '../store/instances';
import { instanceTimeCost } from '../core/pricing';
import type { PriceTable } from '../core/hardware';
import type { PoolInstance } from './instance-pool';

export class InstanceBook {
  private chain: Promise<void> = Promise.resolve();
  private readonly idleSince = new Map<string, number>();

  constructor(
    private readonly db: Db,
    private readonly workerId: string,
    private readonly prices: PriceTable,
    private readonly log: (m: string) => void,
  ) {}

  private enqueue(work: () => Promise<void>): void {
    this.chain = this.chain.then(work).catch((err) => this.log(`instance book: ${(err as Error).message}`));
  }

  record(inst: PoolInstance): void {
    const hardware = typeof inst.needs.hardware === 'string' ? inst.needs.hardware : `gpu x${inst.placement.devices.length}`;
    const row = {
      id: inst.id,
      workerId: this.workerId,
      version: inst.needs.versionId,
      deployment: inst.needs.deployment ?? null,
      hardware,
      devices: inst.placement.devices,
      memoryGb: inst.placement.memoryClaimGb * Math.max(1, inst.placement.devices.length),
      state: inst.state,
      setupTime: inst.setupTime ?? null,
      error: inst.error ?? null,
      // Not at `stopping`: the devices stay taken until the process is gone.
      stopped: inst.state === 'stopped' || inst.state === 'failed',
    };
    const bill = this.billing(inst, hardware);
    this.enqueue(async () => {
      await upsertInstance(this.db, row);
      for (const usage of bill) await insertInstanceUsage(this.db, usage);
    });
  }

  /** Usage records this state change closes, for deployment instances only. */
  private billing(inst: PoolInstance, hardware: string) {
    const deployment = inst.needs.deployment;
    const now = Date.now();
    const records = [];
    const charge = (kind: 'setup' | 'idle', seconds: number) => {
      const line = instanceTimeCost(seconds, hardware, this.prices);
      return { kind, deployment: deployment!, model: deployment!, version: inst.needs.versionId, hardware, seconds, unitPriceUsd: line.unit_price_usd, totalUsd: line.total_usd };
    };
    const idleStart = this.idleSince.get(inst.id);
    if (inst.state !== 'ready' && idleStart !== undefined) {
      this.idleSince.delete(inst.id);
      if (deployment) records.push(charge('idle', (now - idleStart) / 1000));
    }
    if (inst.state === 'ready') {
      if (!this.idleSince.has(inst.id)) this.idleSince.set(inst.id, now);
      if (deployment && inst.setupTime !== undefined && !this.setupBilled.has(inst.id)) {
        this.setupBilled.add(inst.id);
        records.push(charge('setup', inst.setupTime));
      }
    }
    if (inst.state === 'stopping' || inst.state === 'stopped' || inst.state === 'failed') this.setupBilled.delete(inst.id);
    return records;
  }

  private readonly setupBilled = new Set<string>();

  flush(): Promise<void> {
    return this.chain;
  }
}
