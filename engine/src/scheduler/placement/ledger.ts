/**
 * The GPU ledger: which instance holds which devices. Placement reads it; `reserve` and
 * `unreserve` are the only writers. Plain data, no I/O; `clone` gives a scratch copy for
 * what-if planning.
 */
import type { Cluster, PlacementOk } from './types';

export interface Claim {
  instanceId: string;
  worker: string;
  devices: readonly number[];
  memoryClaimGb: number;
  cpuSlots: number;
}

export class Ledger {
  private readonly claims = new Map<string, Claim>();
  /** Totals per `worker#device`, kept in step with `claims` so queries are O(1). */
  private readonly deviceUse = new Map<string, { gb: number; n: number }>();
  private readonly cpuUse = new Map<string, number>();
  private changes = 0;

  /** Grows with every reserve and unreserve: equal versions mean the same claims (a cheap "nothing changed"). */
  get version(): number {
    return this.changes;
  }

  /** The claim an instance holds, if any. */
  get(instanceId: string): Claim | undefined {
    return this.claims.get(instanceId);
  }

  all(): Claim[] {
    return [...this.claims.values()];
  }

  /** GB claimed on one device by all instances. */
  usedMemoryGb(worker: string, device: number): number {
    return this.deviceUse.get(`${worker}#${device}`)?.gb ?? 0;
  }

  /** Number of claims touching one device. */
  claimsOn(worker: string, device: number): number {
    return this.deviceUse.get(`${worker}#${device}`)?.n ?? 0;
  }

  usedCpuSlots(worker: string): number {
    return this.cpuUse.get(worker) ?? 0;
  }

  clone(): Ledger {
    const copy = new Ledger();
    for (const c of this.claims.values()) copy._set(c);
    return copy;
  }

  /** @internal used by reserve/unreserve only. */
  _set(claim: Claim): void {
    this.claims.set(claim.instanceId, claim);
    this.adjust(claim, 1);
  }

  /** @internal */
  _delete(instanceId: string): boolean {
    const claim = this.claims.get(instanceId);
    if (!claim) return false;
    this.claims.delete(instanceId);
    this.adjust(claim, -1);
    return true;
  }

  private adjust(claim: Claim, sign: 1 | -1): void {
    this.changes++;
    for (const d of claim.devices) {
      const key = `${claim.worker}#${d}`;
      const use = this.deviceUse.get(key) ?? { gb: 0, n: 0 };
      const next = { gb: use.gb + sign * claim.memoryClaimGb, n: use.n + sign };
      if (next.n === 0) this.deviceUse.delete(key);
      else this.deviceUse.set(key, next);
    }
    if (claim.cpuSlots) this.cpuUse.set(claim.worker, (this.cpuUse.get(claim.worker) ?? 0) + sign * claim.cpuSlots);
  }
}

export type ReserveResult = { ok: true; claim: Claim } | { ok: false; reason: string };

/**
 * Records a placement as the instance's claim, before the runner starts. Re-checks capacity
 * against the cluster so a stale placement can never overcommit a device; returns a reason
 * (never throws) when the instance already holds a claim or the devices are no longer free.
 */
export function reserve(ledger: Ledger, cluster: Cluster, instanceId: string, placement: PlacementOk): ReserveResult {
  if (ledger.get(instanceId)) return { ok: false, reason: `instance ${instanceId} already holds a claim` };
  const worker = cluster.workers.find((w) => w.id === placement.worker);
  if (!worker) return { ok: false, reason: `worker ${placement.worker} is not in the cluster` };
  if (placement.cpuSlots > 0 && ledger.usedCpuSlots(worker.id) + placement.cpuSlots > worker.cpuSlots) {
    return { ok: false, reason: `worker ${worker.id}: no free CPU slot` };
  }
  for (const index of placement.devices) {
    const device = worker.gpus.find((g) => g.index === index);
    if (!device) return { ok: false, reason: `worker ${worker.id}: no device ${index}` };
    const used = ledger.usedMemoryGb(worker.id, index);
    if (used + placement.memoryClaimGb > device.memoryGb + 1e-9) {
      return { ok: false, reason: `worker ${worker.id}: device ${index}: ${round(device.memoryGb - used)} GB free, needs ${placement.memoryClaimGb}` };
    }
  }
  const claim: Claim = {
    instanceId,
    worker: worker.id,
    devices: [...placement.devices],
    memoryClaimGb: placement.memoryClaimGb,
    cpuSlots: placement.cpuSlots,
  };
  ledger._set(claim);
  return { ok: true, claim };
}

/**
 * Releases an instance's claim. Idempotent: safe to call when the instance holds nothing
 * (never reserved, or already released). Returns whether a claim was released.
 */
export function unreserve(ledger: Ledger, instanceId: string): boolean {
  return ledger._delete(instanceId);
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
