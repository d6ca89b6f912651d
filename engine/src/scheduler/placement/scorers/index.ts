import { binpack } from './binpack';
import { spread } from './spread';
import { weightsCached } from './weights-cached';
import type { Scorer } from '../types';

export { binpack, spread, weightsCached };

/** A scorer and how much its 0–100 score counts in the total. */
export interface WeightedScorer {
  scorer: Scorer;
  weight: number;
}

export type PlacementStrategy = 'binpack' | 'spread';

/**
 * Default scoring: the strategy (binpack unless told) at weight 1, plus weights-cached at
 * weight 1 — a worker with the weights on disk beats a slightly fuller one without them.
 */
export function defaultScorers(strategy: PlacementStrategy = 'binpack'): WeightedScorer[] {
  return [
    { scorer: strategy === 'spread' ? spread : binpack, weight: 1 },
    { scorer: weightsCached, weight: 1 },
  ];
}
