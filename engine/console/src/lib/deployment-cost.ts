/**
 * The idle-cost warnings of a deployment — the surprise Replicate users meet: an instance kept
 * warm bills every second, predictions or not. Pure.
 */
import type { Deployment } from '../api/types';
import { usd } from './format';

export interface CostWarning {
  kind: 'always-on' | 'idle-share';
  message: string;
}

const HOURS_A_MONTH = 730;
/** Idle time above this share of a deployment's cost so far is worth a warning. */
export const IDLE_SHARE_WARNING = 0.5;

export function idleCostWarnings(d: Deployment, pricePerSecondUsd: number | undefined): CostWarning[] {
  const out: CostWarning[] = [];
  const { min_instances: min, hardware } = d.current_release.configuration;
  if (min > 0 && pricePerSecondUsd !== undefined) {
    const hourly = pricePerSecondUsd * 3600 * min;
    out.push({
      kind: 'always-on',
      message:
        `min_instances ${min} keeps ${min === 1 ? 'an instance' : `${min} instances`} of ${hardware} running all the time: ` +
        `about ${usd(hourly)} an hour (${usd(hourly * HOURS_A_MONTH)} a month) whether or not predictions arrive. ` +
        'Set min_instances to 0 to pay only while it works (the first prediction after a quiet spell then waits for a cold boot).',
    });
  }
  const idle = d.cost_breakdown.idle?.total_usd ?? 0;
  const total = d.cost_so_far_usd;
  if (total > 0 && idle / total >= IDLE_SHARE_WARNING) {
    out.push({
      kind: 'idle-share',
      message: `${Math.round((idle / total) * 100)} % of this deployment's cost so far is idle time (${usd(idle)} of ${usd(total)}): instances waited for work.`,
    });
  }
  return out;
}
