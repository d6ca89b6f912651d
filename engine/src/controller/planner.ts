/**
 * The controller's placement loop: read the cluster (`SnapshotReader`), decide (`decideFleet`, the
 * autoscaler and placement over every live worker's devices), write the decision through the
 * fenced database. Workers reconcile to the placements; what they report comes back in the next
 * snapshot. A write the database refuses (a stale epoch) ends the loop: the lease is gone.
 */
import { randomBytes } from 'node:crypto';
import type { Db } from '../store/db';
import type { FencedDb } from '../store/fenced-db';
import { deletePlacements, insertPlacement, requestStop } from '../store/placements';
import { tellWaiting, unclaimedWaitingOf } from '../store/fleet';
import type { Lifecycle } from '../lifecycle';
import { FleetMemory, decideFleet, type AutoscalerKnobs, type FleetDecision, type HardwareRequest } from '../scheduler';
import { SnapshotReader, splitKey } from './snapshot';

export interface PlannerOptions {
  /** Reads (not fenced). */
  readDb: Db;
  /** Writes, fenced by the lease. */
  db: FencedDb;
  /** Terminal transitions, writing through `db`. */
  lifecycle: Lifecycle;
  knobs: Partial<AutoscalerKnobs>;
  /** The epoch writes carry (stamped on every placement). */
  epoch(): number;
  log: (msg: string) => void;
}

/** A key no live worker can ever hold fails its waiting predictions only after this long. */
const UNPLACEABLE_GRACE_MS = 30_000;

export const newPlacementId = () => `p${Date.now().toString(36)}${randomBytes(5).toString('hex')}`;

export class FleetPlanner {
  private readonly reader: SnapshotReader;
  private readonly memory = new FleetMemory();
  /** The last decision (for /health and tests). */
  last?: Pick<FleetDecision, 'starts' | 'stops' | 'pending' | 'fails'>;

  constructor(private readonly opts: PlannerOptions) {
    this.reader = new SnapshotReader(opts.readDb);
  }

  async tick(): Promise<void> {
    const snap = await this.reader.read();
    const decision = decideFleet(snap, this.memory, { knobs: this.opts.knobs, newId: newPlacementId, unplaceableGraceMs: UNPLACEABLE_GRACE_MS });
    const hardware = new Map(snap.demand.map((dm) => [dm.key, dm.hardware]));
    await this.apply(decision, (key) => hardware.get(key) ?? 'cpu');
    this.last = { starts: decision.starts, stops: decision.stops, pending: decision.pending, fails: decision.fails };
  }

  private async apply(d: FleetDecision, hardwareOf: (key: string) => HardwareRequest): Promise<void> {
    const { db, lifecycle, log } = this.opts;
    if (d.releases.length) await deletePlacements(db, d.releases);
    if (d.starts.length || d.stops.length) {
      const epoch = this.opts.epoch();
      await db.tx(async (q) => {
        for (const s of d.starts) {
          const { version, deployment } = splitKey(s.key);
          await insertPlacement(q, {
            id: s.id,
            workerId: s.placement.worker,
            key: s.key,
            version,
            deployment,
            hardware: hardwareOf(s.key),
            devices: s.placement.devices,
            memoryClaimGb: s.placement.memoryClaimGb,
            cpuSlots: s.placement.cpuSlots,
            epoch,
          });
        }
        for (const s of d.stops) await requestStop(q, s.id);
      });
      for (const s of d.starts) log(`placed ${s.key} on ${s.placement.worker} [${s.placement.devices.join(',') || 'cpu'}] (${s.reason})`);
    }
    for (const f of d.fails) {
      const { version, deployment } = splitKey(f.key);
      for (const row of await unclaimedWaitingOf(this.opts.readDb, version, deployment)) {
        await lifecycle.endWithoutRun(row, { status: 'failed', error: f.error, logs: f.logs ? `${f.logs}\n` : undefined });
      }
    }
    for (const p of d.pending) {
      const { version, deployment } = splitKey(p.key);
      await tellWaiting(db, version, deployment, `waiting for capacity: ${p.reasons.join('; ')}\n`);
    }
  }
}
