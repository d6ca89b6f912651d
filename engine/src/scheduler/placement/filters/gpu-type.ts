/**
 * Keeps only devices of the requested GPU type (any GPU for memory requests); for CPU
 * requests keeps workers with CPU slots. Drops workers left with nothing.
 */
import type { Candidate, Filter } from '../types';

export const gpuType: Filter = {
  name: 'gpu-type',
  filter({ need }, candidates) {
    const kept: Candidate[] = [];
    const reasons: string[] = [];
    for (const c of candidates) {
      if (need.kind === 'cpu') {
        if (c.worker.cpuSlots > 0) kept.push({ ...c, devices: [] });
        else reasons.push(`worker ${c.worker.id}: has no CPU slots`);
        continue;
      }
      const devices = need.gpu === null ? c.devices : c.devices.filter((d) => d.device.sku === need.gpu);
      if (devices.length > 0) kept.push({ ...c, devices });
      else reasons.push(`worker ${c.worker.id}: no ${need.gpu ?? 'GPU'} (has ${describeGpus(c)})`);
    }
    return { kept, reasons };
  },
};

function describeGpus(c: Candidate): string {
  if (c.devices.length === 0) return 'no GPUs';
  const counts = new Map<string, number>();
  for (const d of c.devices) {
    const key = d.device.sku ?? d.device.name;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${n}x ${k}`).join(', ');
}
