/**
 * What this worker holds of each version it has booted or prefetched, for its heartbeat: weights
 * in the artifact cache (by tier, with their size) and Cog images in the local image store (on
 * disk, with their size). The controller fills placement's `artifactBytes` from the sizes and the
 * weights-cached scorer prefers workers that hold a version.
 */
import { fetchedWeightsDelivery, specFor } from '../runners/instance';
import type { CacheTier } from '../storage/artifact-cache';
import type { WeightsStore } from '../storage/weights';
import type { VersionRow } from '../store/catalog';
import { dockerImageOf, inspectImage } from './image-store';

/** How often a known image is inspected again (an operator may `docker rmi` it). */
const IMAGE_RECHECK_MS = 30_000;

interface Known {
  /** Weights a boot of the version fetches to this worker (none when it uses them where they are). */
  weights?: string;
  image?: string;
}

export interface HeldReport {
  /** Version id → the fastest tier holding its artifacts. */
  artifacts: Record<string, CacheTier>;
  /** Version id → bytes of what is held. */
  artifact_bytes: Record<string, number>;
}

export class HeldArtifacts {
  private readonly known = new Map<string, Known>();
  private readonly images = new Map<string, { bytes?: number; at: number; checking?: Promise<void> }>();

  constructor(private readonly weights?: WeightsStore) {}

  /** Remembers a version booted or prefetched here (what to look for in the cache). */
  note(version: Pick<VersionRow, 'id' | 'weights' | 'runner' | 'openapi_schema'>): void {
    const image = dockerImageOf(version.runner);
    const spec = specFor(version);
    const fetched = this.weights && typeof spec !== 'string' && fetchedWeightsDelivery(spec, this.weights) !== undefined;
    this.known.set(version.id, { weights: fetched ? (version.weights ?? undefined) : undefined, image });
    if (image) void this.checkImage(image);
  }

  /** Bytes of `image` in the local image store (inspected again when the last look is old, or
   * `fresh`); undefined when absent. */
  async imageBytes(image: string, fresh = false): Promise<number | undefined> {
    const seen = this.images.get(image);
    if (fresh || !seen || Date.now() - seen.at > IMAGE_RECHECK_MS) await this.checkImage(image);
    return this.images.get(image)?.bytes;
  }

  private checkImage(image: string): Promise<void> {
    let seen = this.images.get(image);
    if (!seen) this.images.set(image, (seen = { at: 0 }));
    if (seen.checking) return seen.checking;
    const entry = seen;
    entry.checking = inspectImage(image)
      .then((bytes) => {
        entry.bytes = bytes;
        entry.at = Date.now();
      })
      .finally(() => (entry.checking = undefined));
    return entry.checking;
  }

  /** Inspects images again when their last look is old; resolves once done. */
  async refresh(): Promise<void> {
    const now = Date.now();
    await Promise.all([...this.images.entries()].filter(([, s]) => now - s.at > IMAGE_RECHECK_MS).map(([image]) => this.checkImage(image)));
  }

  /** Versions whose every artifact is held here (weights from a remote store, a docker image). */
  report(): HeldReport {
    const out: HeldReport = { artifacts: {}, artifact_bytes: {} };
    for (const [version, k] of this.known) {
      const remoteWeights = k.weights !== undefined && this.weights !== undefined;
      const tier = remoteWeights ? this.weights!.heldTier(k.weights!) : undefined;
      const image = k.image !== undefined ? this.images.get(k.image)?.bytes : undefined;
      if ((remoteWeights && !tier) || (k.image !== undefined && image === undefined)) continue;
      if (!remoteWeights && k.image === undefined) continue; // nothing that a boot would fetch
      out.artifacts[version] = tier ?? 'disk';
      out.artifact_bytes[version] = (remoteWeights ? (this.weights!.heldBytes(k.weights!) ?? 0) : 0) + (image ?? 0);
    }
    return out;
  }
}
