/** Scoring and selection: sum weighted scores per option, keep the maximum. */
import type { WeightedScorer } from './scorers';
import type { Option, PlacementContext } from './types';

export interface ScoredOption {
  option: Option;
  score: number;
}

/** Sum of each scorer's score, clamped to [0, 100], times its weight. */
export function scoreOption(ctx: PlacementContext, option: Option, scorers: readonly WeightedScorer[]): number {
  let total = 0;
  for (const { scorer, weight } of scorers) {
    const raw = scorer.score(ctx, option);
    total += weight * Math.min(100, Math.max(0, Number.isFinite(raw) ? raw : 0));
  }
  return total;
}

/**
 * The highest-scoring option. Tie-break (deterministic, unlike kube-scheduler's random pick):
 * the lower worker id (string order), then the lower first device index.
 * Returns undefined for an empty list.
 */
export function select(scored: readonly ScoredOption[]): ScoredOption | undefined {
  let best: ScoredOption | undefined;
  for (const s of scored) {
    if (!best || s.score > best.score + 1e-9 || (Math.abs(s.score - best.score) <= 1e-9 && before(s.option, best.option))) {
      best = s;
    }
  }
  return best;
}

function before(a: Option, b: Option): boolean {
  const wa = a.candidate.worker.id;
  const wb = b.candidate.worker.id;
  if (wa !== wb) return wa < wb;
  return (a.devices[0] ?? -1) < (b.devices[0] ?? -1);
}
