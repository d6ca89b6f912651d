/**
 * Deployments on this worker: keeps `min_instances` warm for the deployments it is the keeper of
 * (the oldest live worker serving their hardware), caps instances at `max_instances`, and stops
 * instances of deployments that were deleted, scaled down or moved to another version.
 * Scaling up under backlog happens in the pool (one boot per `max_concurrency` waiting runs).
 */
import type { Db } from '../store/db';
import { deploymentAssignments, type DeploymentAssignment } from '../store/instances';
import { getVersion, type VersionRow } from '../store/catalog';
import type { InstancePool } from './instance-pool';
import { resolveModule } from './resolve-module';

const REFRESH_MS = 1000;
const STALE_SECONDS = 15;

export class DeploymentKeeper {
  private pool?: InstancePool;
  private timer?: NodeJS.Timeout;
  private byName = new Map<string, DeploymentAssignment>();
  private readonly keys = new Set<string>();
  private served = new Set<string>();
  private running = false;

  constructor(
    private readonly db: Db,
    private readonly workerId: string,
    private readonly idleWindow: number,
    private readonly log: (m: string) => void,
  ) {}

  attach(pool: InstancePool): void {
    this.pool = pool;
  }

  start(hardware: string[]): void {
    this.served = new Set(hardware);
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS);
    this.timer.unref();
    void this.refresh();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  maxInstances(deployment: string): number | undefined {
    return this.byName.get(deployment)?.max_instances;
  }

  /** Deployment instances stay warm down to min_instances on the keeper; elsewhere to zero. */
  minWarm(key: string): number {
    const d = this.deploymentOfKey(key);
    return d && d.keeper === this.workerId && `${d.version}@${d.owner}/${d.name}` === key ? d.min_instances : 0;
  }

  idleWindowMs(key: string): number | undefined {
    return this.deploymentOfKey(key) ? this.idleWindow : undefined;
  }

  private deploymentOfKey(key: string): DeploymentAssignment | undefined {
    const at = key.indexOf('@');
    return at < 0 ? undefined : this.byName.get(key.slice(at + 1));
  }

  private async refresh(): Promise<void> {
    if (this.running || !this.pool) return;
    this.running = true;
    try {
      const all = await deploymentAssignments(this.db, STALE_SECONDS);
      this.byName = new Map(all.map((d) => [`${d.owner}/${d.name}`, d]));
      const wanted = new Set<string>();
      for (const d of all) {
        const key = `${d.version}@${d.owner}/${d.name}`;
        wanted.add(key);
        this.keys.add(key);
        if (d.keeper !== this.workerId || !this.served.has(d.hardware) || d.min_instances === 0) continue;
        const version = await getVersion(this.db, d.version);
        const runner = version?.runner as { type?: string; module?: string } | undefined;
        if (!version || runner?.type !== 'node' || !runner.module) continue;
        this.pool.ensureWarm(this.needs(d, key, version, runner.module), d.min_instances);
      }
      for (const key of this.keys) {
        const d = this.deploymentOfKey(key);
        if (!wanted.has(key)) {
          this.pool.trim(key, 0);
          this.keys.delete(key);
        } else if (d) this.pool.trim(key, d.max_instances);
      }
    } catch (err) {
      this.log(`deployments: ${(err as Error).message}`);
    } finally {
      this.running = false;
    }
  }

  private needs(d: DeploymentAssignment, key: string, version: VersionRow, module: string) {
    return {
      key,
      versionId: version.id,
      deployment: `${d.owner}/${d.name}`,
      hardware: d.hardware,
      spec: { module: resolveModule(module), weights: version.weights ?? undefined },
      maxConcurrency: version.max_concurrency,
      maxInstances: d.max_instances,
    };
  }
}
