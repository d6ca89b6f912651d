/** Drops workers that own fewer matching GPUs than the request needs, free or not. */
import type { Filter } from '../types';

export const gpuCount: Filter = {
  name: 'gpu-count',
  filter({ need }, candidates) {
    if (need.kind === 'cpu') return { kept: candidates, reasons: [] };
    const kept = candidates.filter((c) => c.devices.length >= need.count);
    const reasons = candidates
      .filter((c) => c.devices.length < need.count)
      .map((c) => `worker ${c.worker.id}: has ${c.devices.length} ${need.gpu ?? 'GPU'}, needs ${need.count}`);
    return { kept, reasons };
  },
};
