/** Turns a surviving candidate into a concrete option: which devices, how much memory. */
import { claimOn } from './need';
import type { PlacementStrategy } from './scorers';
import type { Candidate, Option, PlacementContext } from './types';

/**
 * Picks `count` devices on the worker. Binpack takes the tightest fit (least free memory
 * first) to keep roomy devices for bigger claims; spread takes the emptiest. Ties go to the
 * lower index. The chosen indexes are returned ascending.
 */
export function buildOption({ need }: PlacementContext, candidate: Candidate, strategy: PlacementStrategy): Option {
  if (need.kind === 'cpu') return { candidate, devices: [], memoryClaimGb: 0 };
  const sign = strategy === 'spread' ? -1 : 1;
  const ordered = [...candidate.devices].sort(
    (a, b) => sign * (a.freeMemoryGb - b.freeMemoryGb) || a.device.index - b.device.index,
  );
  const chosen = ordered.slice(0, need.count);
  const memoryClaimGb = Math.min(...chosen.map((d) => claimOn(need, d.device.memoryGb)));
  return { candidate, devices: chosen.map((d) => d.device.index).sort((a, b) => a - b), memoryClaimGb };
}
