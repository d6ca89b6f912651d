import { freeMemory } from './free-memory';
import { gpuCount } from './gpu-count';
import { gpuType } from './gpu-type';
import { sameWorker } from './same-worker';
import { workerAlive } from './worker-alive';
import type { Filter } from '../types';

export { freeMemory, gpuCount, gpuType, sameWorker, workerAlive };

/** The default chain, in order: static checks first, then what depends on current usage. */
export const DEFAULT_FILTERS: readonly Filter[] = [workerAlive, gpuType, gpuCount, freeMemory, sameWorker];
