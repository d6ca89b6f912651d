/**
 * Warms this worker's artifact cache before an instance needs it. For every deployment it asks
 * the placement pipeline (the same `place` the controller uses, over the live fleet and what each
 * worker reports holding) where an instance of the deployment's version would land; when that is
 * this worker and the version's weights are in a remote store and not here, it fetches them.
 * Every worker computes the same answer from the same rows, so one worker fetches; once it holds
 * them, the weights-cached scorer keeps choosing it.
 *
 * It yields to real boots: nothing is prefetched while an instance boots here, one artifact at a
 * time, and a boot that needs the same weights joins the download in flight. A prefetch never
 * exceeds the cache budget (WeightsStore.prefetch evicts only what it may and gives up otherwise).
 */
import { fleetCluster, hardwareRequestOf, Ledger, place } from '../scheduler';
import { observeArtifactFetch } from '../observe/metrics';
import { fleetWorkersOf } from '../controller/snapshot';
import { deploymentBounds } from '../store/fleet';
import { WORKER_STALE_SECONDS, liveWorkers } from '../store/workers';
import type { Db } from '../store/db';
import type { VersionRow } from '../store/catalog';
import type { WeightsStore } from '../storage/weights';
import type { HeldArtifacts } from './held-artifacts';

export interface PrefetcherOptions {
  db: Db;
  weights: WeightsStore;
  held: HeldArtifacts;
  /** This worker's id now (a rejoin changes it). */
  selfId(): string;
  versionOf(id: string): Promise<VersionRow | undefined>;
  /** True while an instance boots here: prefetching waits. */
  booting(): boolean;
  log(msg: string): void;
}

export class Prefetcher {
  private running = false;
  /** Versions a prefetch found no room for: not tried again until the cache changes. */
  private readonly noRoom = new Set<string>();

  constructor(private readonly opts: PrefetcherOptions) {
    opts.weights.cache.onChange = () => this.noRoom.clear();
  }

  /** One pass: fetches at most one artifact. Errors are logged; the next pass tries again. */
  async tick(): Promise<void> {
    if (this.running || this.opts.booting()) return;
    this.running = true;
    try {
      await this.pass();
    } catch (err) {
      this.opts.log(`prefetch: ${(err as Error).message}`);
    } finally {
      this.running = false;
    }
  }

  private async pass(): Promise<void> {
    const { db, weights } = this.opts;
    const [deployments, workers] = await Promise.all([deploymentBounds(db), liveWorkers(db, WORKER_STALE_SECONDS)]);
    const cluster = fleetCluster(fleetWorkersOf(workers));
    const self = this.opts.selfId();
    for (const d of deployments.sort((a, b) => `${a.owner}/${a.name}`.localeCompare(`${b.owner}/${b.name}`))) {
      const version = await this.opts.versionOf(d.version);
      if (!version?.weights || !weights.needsFetch(version.weights) || this.noRoom.has(version.id)) continue;
      if (weights.heldTier(version.weights)) {
        this.opts.held.note(version);
        continue;
      }
      const where = place({ versionId: version.id, hardware: hardwareRequestOf(version, d.hardware) }, cluster, new Ledger());
      if (!where.ok || where.worker !== self) continue;
      if (this.opts.booting()) return;
      const began = Date.now();
      const outcome = await weights.prefetch(version.weights);
      if (outcome === 'no-room') {
        this.noRoom.add(version.id);
        continue;
      }
      this.opts.held.note(version);
      if (outcome === 'fetched') {
        const bytes = weights.heldBytes(version.weights) ?? 0;
        observeArtifactFetch({ outcome: 'miss', purpose: 'prefetch', fetchedBytes: bytes });
        this.opts.log(`prefetch: ${bytes} bytes of ${version.weights} for deployment ${d.owner}/${d.name} (${((Date.now() - began) / 1000).toFixed(2)}s)`);
      }
      return;
    }
  }
}
