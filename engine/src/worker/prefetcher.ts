/**
 * Warms this worker's artifact cache before an instance needs it. For every deployment that may
 * still add an instance, and every on-demand version being called more often (its calls in the
 * last minute at least doubled), it asks the placement pipeline (the same `place` the controller
 * uses, over the live fleet, the devices its placements hold, and what each worker reports
 * holding) where the next instance would land; when that is this worker and the version's weights are in a remote store and not here, it fetches them.
 * Every worker computes the same answer from the same rows, so one worker fetches; once it holds
 * them, the weights-cached scorer keeps choosing it. A Cog image the version starts through
 * docker is pulled the same way when the local image store lacks it.
 *
 * It yields to real boots: nothing is prefetched while an instance boots here, one artifact at a
 * time, and a boot that needs the same weights joins the download in flight. A prefetch never
 * exceeds the cache budget (WeightsStore.prefetch evicts only what it may and gives up otherwise).
 */
import { fleetCluster, hardwareRequestOf, Ledger, place, reserve, type Cluster } from '../scheduler';
import { observeArtifactFetch } from '../observe/metrics';
import { fleetWorkersOf } from '../controller/snapshot';
import { deploymentBounds, risingVersions } from '../store/fleet';
import { placementViews, type PlacementView } from '../store/placements';
import { WORKER_STALE_SECONDS, liveWorkers } from '../store/workers';
import type { Db } from '../store/db';
import type { VersionRow } from '../store/catalog';
import type { WeightsStore } from '../storage/weights';
import { fetchedWeightsDelivery, specFor } from '../runners/instance';
import { describeWeights } from '../storage/weights-url';
import type { HeldArtifacts } from './held-artifacts';
import { dockerImageOf, pullImage } from './image-store';

/** A pull that failed is not tried again for this long. */
const PULL_RETRY_MS = 60_000;
/**
 * A deployment's version is acted on only once it has been known this long: every worker has
 * then looked at what it holds of it and said so in a heartbeat (every 2 s), so the placement
 * sees who holds it instead of sending a second worker to fetch it again.
 */
const SETTLE_MS = 5000;
/** "Called more often": this many calls in the last minute, at least twice the minute before. */
const RISING_WINDOW_S = 60;
const RISING_MIN_CALLS = 3;

/** What may need an instance soon: a deployment's version, or a version called more often. */
interface Target {
  versionId: string;
  hardware?: string;
  /** For the log. */
  why: string;
}

/** The devices the fleet's placements hold now (as the controller's ledger has them). */
function ledgerOf(cluster: Cluster, placements: readonly PlacementView[]): Ledger {
  const ledger = new Ledger();
  for (const p of placements) {
    if (p.stopped_at) continue;
    reserve(ledger, cluster, p.id, { ok: true, worker: p.worker_id, devices: p.devices, memoryClaimGb: p.memory_claim_gb, cudaVisibleDevices: p.devices.join(','), cpuSlots: p.cpu_slots, score: 0 });
  }
  return ledger;
}

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
  /** Images whose pull failed, with when. */
  private readonly pullFailed = new Map<string, number>();
  /** When each target version (deployment or called more often) was first seen here. */
  private readonly firstSeen = new Map<string, number>();

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
    const [deployments, workers, placements, rising] = await Promise.all([
      deploymentBounds(db),
      liveWorkers(db, WORKER_STALE_SECONDS),
      placementViews(db),
      risingVersions(db, RISING_WINDOW_S, RISING_MIN_CALLS),
    ]);
    const cluster = fleetCluster(fleetWorkersOf(workers));
    const ledger = ledgerOf(cluster, placements);
    const self = this.opts.selfId();
    const live = (version: string, deployment: string | null) => placements.filter((p) => !p.stopped_at && p.version === version && p.deployment === deployment).length;
    const targets: Target[] = [
      ...deployments
        .sort((a, b) => `${a.owner}/${a.name}`.localeCompare(`${b.owner}/${b.name}`))
        .filter((d) => live(d.version, `${d.owner}/${d.name}`) < d.max_instances) // room for another instance
        .map((d) => ({ versionId: d.version, hardware: d.hardware, why: `for deployment ${d.owner}/${d.name}` })),
      ...rising.map((v) => ({ versionId: v, why: 'called more often' })),
    ];
    for (const t of targets) {
      const version = await this.opts.versionOf(t.versionId);
      if (!version) continue;
      // Only weights a boot would fetch here (not a URL that a server reached by URL reads itself).
      const spec = specFor(version);
      const remote = typeof spec !== 'string' && fetchedWeightsDelivery(spec, weights) !== undefined;
      const needsWeights = remote && !weights.heldTier(version.weights!) && !this.noRoom.has(version.id);
      const image = dockerImageOf(version.runner);
      const failedAt = image ? this.pullFailed.get(image) : undefined;
      const needsImage = image !== undefined && (failedAt === undefined || Date.now() - failedAt > PULL_RETRY_MS) && (await this.opts.held.imageBytes(image)) === undefined;
      // What this worker already holds of it is reported from now on.
      if (remote || image) this.opts.held.note(version);
      if (!needsWeights && !needsImage) continue;
      const seen = this.firstSeen.get(version.id) ?? Date.now();
      this.firstSeen.set(version.id, seen);
      if (Date.now() - seen < SETTLE_MS) continue;
      const where = place({ versionId: version.id, hardware: hardwareRequestOf(version, t.hardware ?? version.hardware) }, cluster, ledger);
      if (!where.ok || where.worker !== self) continue;
      if (this.opts.booting()) return;
      const began = Date.now();
      const what = t.why;
      if (needsWeights && (await this.fetchWeights(version.weights!, version.id, what, began))) return;
      if (needsImage) {
        try {
          await pullImage(image);
          const bytes = (await this.opts.held.imageBytes(image, true)) ?? 0;
          observeArtifactFetch({ outcome: 'miss', purpose: 'prefetch', fetchedBytes: bytes });
          this.opts.log(`prefetch: pulled image ${image} (${bytes} bytes) ${what} (${((Date.now() - began) / 1000).toFixed(2)}s)`);
        } catch (err) {
          this.pullFailed.set(image, Date.now());
          this.opts.log(`prefetch: ${(err as Error).message}`);
        }
        return;
      }
    }
  }

  /** Prefetches weights; true when something was fetched (this pass is done). */
  private async fetchWeights(location: string, versionId: string, what: string, began: number): Promise<boolean> {
    const { weights } = this.opts;
    const outcome = await weights.prefetch(location).catch((err: Error) => {
      throw new Error(`cannot fetch the weights ${describeWeights(location)}: ${err.message}`);
    });
    if (outcome === 'no-room') {
      this.noRoom.add(versionId);
      return false;
    }
    if (outcome !== 'fetched') return false;
    const bytes = weights.heldBytes(location) ?? 0;
    observeArtifactFetch({ outcome: 'miss', purpose: 'prefetch', fetchedBytes: bytes });
    this.opts.log(`prefetch: ${bytes} bytes of ${describeWeights(location)} ${what} (${((Date.now() - began) / 1000).toFixed(2)}s)`);
    return true;
  }
}
