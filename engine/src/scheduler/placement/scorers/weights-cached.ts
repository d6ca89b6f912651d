/** Weights locality: 100 when the version's weights are already on the worker's disk, else 0. */
import type { Scorer } from '../types';

export const weightsCached: Scorer = {
  name: 'weights-cached',
  score({ request }, option) {
    return option.candidate.worker.cachedVersions?.includes(request.versionId) ? 100 : 0;
  },
};
