/**
 * Deployments as this worker's autoscaler sees them: min/max instances per deployment key, and
 * the keys it must keep warm without demand (min_instances, only on the deployment's keeper:
 * the oldest live worker serving its hardware, so a cluster keeps min warm once, not per worker).
 * Other workers serving the same hardware may still scale a deployment up under backlog, within
 * its max, and back to zero.
 */
import type { Db } from '../store/db';
import { deploymentAssignments, type DeploymentAssignment } from '../store/instances';
import { getVersion, type VersionRow } from '../store/catalog';
import type { DeploymentBounds, InstanceNeeds } from './instance-pool';
import { specFor } from '../runners/instance';

const REFRESH_MS = 1000;
const STALE_SECONDS = 15;

export class DeploymentKeeper {
  private timer?: NodeJS.Timeout;
  private byName = new Map<string, DeploymentAssignment>();
  private standingNeeds: InstanceNeeds[] = [];
  private served = new Set<string>();
  private running = false;
  private readonly versions = new Map<string, VersionRow>();

  constructor(
    private readonly db: Db,
    private readonly workerId: string,
    private readonly log: (m: string) => void,
  ) {}

  start(hardware: string[], onChange: () => void): void {
    this.served = new Set(hardware);
    const refresh = () => void this.refresh().then(onChange);
    this.timer = setInterval(refresh, REFRESH_MS);
    this.timer.unref();
    refresh();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** min/max of a deployment key (`<version>@<owner/name>`); min counts only on the keeper. */
  bounds(key: string): DeploymentBounds | undefined {
    const at = key.indexOf('@');
    if (at < 0) return undefined;
    const d = this.byName.get(key.slice(at + 1));
    if (!d) return { min: 0, max: 0 }; // deleted: its open predictions were canceled with it
    // Moved to another version: work accepted for the old one may still drain, then it scales to zero.
    if (d.version !== key.slice(0, at)) return { min: 0, max: Math.max(1, d.max_instances) };
    return { min: d.keeper === this.workerId ? d.min_instances : 0, max: d.max_instances };
  }

  standing(): InstanceNeeds[] {
    return this.standingNeeds;
  }

  private async refresh(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const all = await deploymentAssignments(this.db, STALE_SECONDS);
      this.byName = new Map(all.map((d) => [`${d.owner}/${d.name}`, d]));
      const standing: InstanceNeeds[] = [];
      for (const d of all) {
        if (d.keeper !== this.workerId || !this.served.has(d.hardware) || d.min_instances === 0) continue;
        let version = this.versions.get(d.version);
        if (!version) {
          version = await getVersion(this.db, d.version);
          if (version) this.versions.set(d.version, version);
        }
        const spec = version ? specFor(version) : 'no version';
        if (!version || typeof spec === 'string') continue;
        standing.push({
          key: `${version.id}@${d.owner}/${d.name}`,
          versionId: version.id,
          deployment: `${d.owner}/${d.name}`,
          hardware: d.hardware,
          spec,
          maxConcurrency: version.max_concurrency,
        });
      }
      this.standingNeeds = standing;
    } catch (err) {
      this.log(`deployments: ${(err as Error).message}`);
    } finally {
      this.running = false;
    }
  }
}
