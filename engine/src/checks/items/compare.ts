/** compare: the same runs on compare_with, side by side with the checked model. */
import { mode } from '../similarity';
import { mean, ratio, roundRatio, roundUsd, spread } from '../stats';
import type { ReportItem, RunFacts } from '../types';
import { item, missingReason, notSucceeded, numbers, runsFor, skipped, succeeded, warmRuns, type ReportInput } from './common';

/** The other model is worth a look when it is this much cheaper and not slower by more. */
const CHEAPER_BY = 0.2;
const SLOWER_BY = 0.2;

function side(model: string, version: string, runs: RunFacts[]) {
  const ok = succeeded(runs);
  const warm = warmRuns(runs).length ? warmRuns(runs) : ok;
  const digests = mode(ok.map((r) => r.output_digest ?? ''));
  const costs = numbers(ok.map((r) => r.cost_usd));
  return {
    model,
    version,
    runs: runs.length,
    succeeded: ok.length,
    identical_output_rate: ok.length ? roundRatio(digests.count / ok.length) : 0,
    modal_output_digest: digests.value ?? null,
    predict_time_s: spread(numbers(warm.map((r) => r.predict_time_s))),
    cost_mean_usd: costs.length ? roundUsd(mean(costs)) : null,
  };
}

export function compareItem(input: ReportInput): ReportItem {
  if (!input.compare) return skipped('compare', 'No compare_with was given.');
  const other = runsFor(input, 'compare', 'compare');
  if (other.length === 0) return skipped('compare', missingReason(input, 'no runs were made'));
  const mine = runsFor(input, 'consistency');
  const checked = side(input.checked.model, input.checked.version, mine);
  const compared = side(input.compare.model, input.compare.version, other);
  const runtimeRatio = ratio(compared.predict_time_s?.mean, checked.predict_time_s?.mean);
  const costRatio = ratio(compared.cost_mean_usd, checked.cost_mean_usd);
  const figures = {
    checked,
    compared,
    runtime_ratio: runtimeRatio,
    cost_ratio: costRatio,
    same_output: checked.modal_output_digest !== null && checked.modal_output_digest === compared.modal_output_digest,
  };
  const runs = [...mine, ...other];
  const label = `${input.compare.model}`;
  if (notSucceeded(mine).length && !notSucceeded(other).length) {
    return item('compare', 'fail', `The checked model failed runs that ${label} ran without failure.`, figures, runs);
  }
  if (costRatio !== null && costRatio <= 1 - CHEAPER_BY && (runtimeRatio ?? 1) <= 1 + SLOWER_BY) {
    return item('compare', 'warn', `${label} costs ${(costRatio * 100).toFixed(0)} % as much per run at ${runtimeRatio ?? 'n/a'}× the runtime: consider it.`, figures, runs);
  }
  return item('compare', 'pass', `${label}: ${runtimeRatio ?? 'n/a'}× the runtime, ${costRatio ?? 'n/a'}× the cost per run, identical-output rate ${compared.identical_output_rate} vs ${checked.identical_output_rate}.`, figures, runs);
}
