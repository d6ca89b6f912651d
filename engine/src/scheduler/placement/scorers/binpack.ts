/**
 * Binpack: prefer the worker that will be fullest after placement, so whole workers stay free
 * for large multi-GPU requests. Score = % of the worker's GPU memory (or CPU slots) in use after.
 */
import type { Option, Scorer } from '../types';
import { utilisationAfter } from './utilisation';

export const binpack: Scorer = {
  name: 'binpack',
  score(ctx, option: Option) {
    return 100 * utilisationAfter(ctx, option);
  },
};
