/**
 * Keeps devices with room for the claim: a whole-device claim needs an unclaimed device; a
 * memory claim needs that many GB free. For CPU, keeps workers with a free CPU slot.
 */
import { claimOn } from '../need';
import type { Candidate, Filter } from '../types';

export const freeMemory: Filter = {
  name: 'free-memory',
  filter({ need }, candidates) {
    const kept: Candidate[] = [];
    const reasons: string[] = [];
    for (const c of candidates) {
      if (need.kind === 'cpu') {
        if (c.freeCpuSlots >= 1) kept.push(c);
        else reasons.push(`worker ${c.worker.id}: all ${c.worker.cpuSlots} CPU slots in use`);
        continue;
      }
      const devices = c.devices.filter((d) => {
        if (need.memoryGbPerDevice === 'whole') return d.unclaimed;
        return d.freeMemoryGb + 1e-9 >= claimOn(need, d.device.memoryGb);
      });
      for (const d of c.devices) {
        if (devices.includes(d)) continue;
        const detail =
          need.memoryGbPerDevice === 'whole'
            ? 'in use'
            : `${round(d.freeMemoryGb)} GB free of ${d.device.memoryGb}, needs ${need.memoryGbPerDevice}`;
        reasons.push(`worker ${c.worker.id}: device ${d.device.index}: ${detail}`);
      }
      if (devices.length > 0) kept.push({ ...c, devices });
    }
    return { kept, reasons };
  },
};

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
