/**
 * The artifact cache of one simulated worker: after a boot there, a model's artifacts are on its
 * disk; the hottest of those on disk are also in host memory. Both tiers hold a bounded number of
 * bytes; when a new artifact does not fit on disk, those with the lowest expected reuse (arrival
 * rate of their model) go first. The tiers it holds are what placement sees
 * (`WorkerState.artifacts`), so the real weights-cached scorer prefers workers that hold them.
 */
import type { ArtifactTier, WorkerState } from '../../engine/src/scheduler';

export interface CacheBudget {
  diskBytes: number;
  memoryBytes: number;
}

export class ArtifactCache {
  private readonly held = new Map<string, number>();

  constructor(
    private readonly worker: WorkerState,
    private readonly budget: CacheBudget,
  ) {
    worker.artifacts = {};
  }

  tier(versionId: string): ArtifactTier {
    return this.worker.artifacts?.[versionId] ?? 'remote';
  }

  /** After a boot of `versionId` here; `reuse` gives every model's expected reuse (arrivals/s so far). */
  admit(versionId: string, bytes: number, reuse: (versionId: string) => number): void {
    if (bytes > this.budget.diskBytes) return;
    this.held.set(versionId, bytes);
    const ranked = [...this.held.keys()].sort((a, b) => reuse(b) - reuse(a) || (a < b ? -1 : 1));
    let disk = 0;
    for (const id of ranked) {
      const b = this.held.get(id)!;
      if (disk + b > this.budget.diskBytes && id !== versionId) this.held.delete(id);
      else disk += b;
    }
    const artifacts: Record<string, 'memory' | 'disk'> = {};
    let memory = 0;
    for (const id of ranked) {
      const b = this.held.get(id);
      if (b === undefined) continue;
      const inMemory = memory + b <= this.budget.memoryBytes;
      if (inMemory) memory += b;
      artifacts[id] = inMemory ? 'memory' : 'disk';
    }
    this.worker.artifacts = artifacts;
  }
}
