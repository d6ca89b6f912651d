/** Spread: prefer the emptiest worker (fewer instances per worker, less contention). */
import type { Scorer } from '../types';
import { utilisationAfter } from './utilisation';

export const spread: Scorer = {
  name: 'spread',
  score(ctx, option) {
    return 100 * (1 - utilisationAfter(ctx, option));
  },
};
