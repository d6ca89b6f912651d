/**
 * A multi-GPU instance must get all its devices on one worker: drops workers with fewer
 * usable devices left than the request's count.
 */
import type { Filter } from '../types';

export const sameWorker: Filter = {
  name: 'same-worker',
  filter({ need }, candidates) {
    if (need.kind === 'cpu') return { kept: candidates, reasons: [] };
    const kept = candidates.filter((c) => c.devices.length >= need.count);
    const reasons = candidates
      .filter((c) => c.devices.length < need.count)
      .map((c) => `worker ${c.worker.id}: only ${c.devices.length} of ${need.count} needed ${need.gpu ?? 'GPU'} free`);
    return { kept, reasons };
  },
};
