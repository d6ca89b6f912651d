/**
 * Weights locality, boot-time-aware: the share of the remote fetch time that the worker's tier
 * (host memory, then local disk) saves, 0–100; 0 when the artifacts must come from remote.
 */
import { fetchMs, tierOn } from '../../artifacts';
import type { Scorer } from '../types';

export const weightsCached: Scorer = {
  name: 'weights-cached',
  score({ request }, option) {
    const tier = tierOn(option.candidate.worker.artifacts, request.versionId);
    if (tier === 'remote') return 0;
    const bytes = request.artifactBytes && request.artifactBytes > 0 ? request.artifactBytes : 1e9;
    const remote = fetchMs(bytes, 'remote');
    return (100 * (remote - fetchMs(bytes, tier))) / remote;
  },
};
