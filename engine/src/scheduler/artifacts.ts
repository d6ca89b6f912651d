/**
 * Where a version's artifacts (weights, trained weights, Cog image layers) are, and what that
 * costs a boot. A cold start is fetch + process start + setup; only the fetch depends on where
 * the bytes come from, so placement and the autoscaler price it from the tier a worker holds
 * them in (the multi-tier checkpoint cache of ServerlessLLM, OSDI '24). Pure.
 */

/** `memory`: host RAM of the worker; `disk`: its local disk; `remote`: object store or registry. */
export type ArtifactTier = 'memory' | 'disk' | 'remote';

/** Bytes per second read from each tier. */
export type TierBandwidths = Readonly<Record<ArtifactTier, number>>;

/**
 * Defaults an operator may override (GANTRY_TIER_BANDWIDTHS): host memory ~8 GB/s into a
 * process, NVMe ~2 GB/s, a registry or object store ~0.25 GB/s per worker.
 */
export const DEFAULT_TIER_BANDWIDTHS: TierBandwidths = { memory: 8e9, disk: 2e9, remote: 0.25e9 };

/** Seconds-as-ms to bring `bytes` of artifacts to a process from `tier`. */
export function fetchMs(bytes: number, tier: ArtifactTier, bandwidths: TierBandwidths = DEFAULT_TIER_BANDWIDTHS): number {
  if (!(bytes > 0)) return 0;
  return (1000 * bytes) / bandwidths[tier];
}

/** The tier a worker holds a version's artifacts in; `remote` when it holds none. */
export function tierOn(artifacts: Readonly<Record<string, ArtifactTier>> | undefined, versionId: string): ArtifactTier {
  return artifacts?.[versionId] ?? 'remote';
}

/** Expected cold start on a worker: fetch from the tier it is in, then start and setup. */
export function expectedBootMs(input: {
  artifactBytes: number;
  tier: ArtifactTier;
  startMs: number;
  setupMs: number;
  bandwidths?: TierBandwidths;
}): number {
  return fetchMs(input.artifactBytes, input.tier, input.bandwidths) + input.startMs + input.setupMs;
}
