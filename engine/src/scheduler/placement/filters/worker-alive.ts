/** Drops workers that missed their heartbeats. */
import type { Filter } from '../types';

export const workerAlive: Filter = {
  name: 'worker-alive',
  filter(_ctx, candidates) {
    const kept = candidates.filter((c) => c.worker.alive);
    const reasons = candidates.filter((c) => !c.worker.alive).map((c) => `worker ${c.worker.id}: not alive`);
    return { kept, reasons };
  },
};
