import type { Option, PlacementContext } from '../types';

/**
 * Fraction (0–1) of the worker's capacity in use once the option is placed: GPU memory for GPU
 * requests, CPU slots for CPU ones. Devices the option does not touch count at their current use.
 */
export function utilisationAfter({ need }: PlacementContext, option: Option): number {
  const { worker } = option.candidate;
  if (need.kind === 'cpu') {
    if (worker.cpuSlots === 0) return 1;
    return (worker.cpuSlots - option.candidate.freeCpuSlots + 1) / worker.cpuSlots;
  }
  let total = 0;
  let used = 0;
  for (const g of worker.gpus) {
    total += g.memoryGb;
    used += g.memoryGb - (option.candidate.freeMemoryByDevice.get(g.index) ?? 0);
  }
  used += option.memoryClaimGb * option.devices.length;
  return total === 0 ? 1 : Math.min(1, used / total);
}
