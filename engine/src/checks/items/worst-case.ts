/** worst_case: inputs at the schema's limits and inputs the request marks, against the typical run. */
import { mean, ratio, roundSeconds, roundUsd } from '../stats';
import type { ReportItem } from '../types';
import { item, missingReason, notSucceeded, numbers, outcome, runsFor, skipped, succeeded, warmRuns, type ReportInput } from './common';

/** A worst case this many times slower or dearer than the typical run is worth a warning. */
const WARN_RATIO = 10;

export function worstCaseItem(input: ReportInput): ReportItem {
  const plan = input.plan.worst_case;
  if (plan.inputs.length === 0) return skipped('worst_case', plan.skipped ?? 'no worst-case input');
  const runs = runsFor(input, 'worst_case');
  if (runs.length === 0) return skipped('worst_case', missingReason(input, 'no runs were made'));
  const typical = warmRuns(runsFor(input, 'consistency'));
  const typicalRuns = typical.length ? typical : succeeded(runsFor(input, 'consistency'));
  const typicalPredict = numbers(typicalRuns.map((r) => r.predict_time_s));
  const typicalCost = numbers(typicalRuns.map((r) => r.cost_usd));
  const baseline = {
    runs: typicalRuns.length,
    predict_time_mean_s: typicalPredict.length ? roundSeconds(mean(typicalPredict)) : null,
    cost_mean_usd: typicalCost.length ? roundUsd(mean(typicalCost)) : null,
  };
  const cases = runs.map((run) => {
    const planned = plan.inputs.find((w) => w.label === run.label);
    return {
      label: run.label,
      changes: planned?.changes ?? [],
      prediction_id: run.prediction_id,
      status: run.status,
      error: run.error,
      predict_time_s: run.predict_time_s,
      total_time_s: run.total_time_s,
      cost_usd: run.cost_usd,
      runtime_ratio: ratio(run.predict_time_s, baseline.predict_time_mean_s),
      cost_ratio: ratio(run.cost_usd, baseline.cost_mean_usd),
    };
  });
  const figures = { deadline_s: input.plan.deadline_s, typical: baseline, cases, fields_without_limit: plan.unlimited ?? [] };
  const bad = notSucceeded(runs);
  if (bad.length) {
    const names = bad.map((r) => `${r.label} (${outcome(r)})`).join('; ');
    return item('worst_case', 'fail', `${bad.length} of ${runs.length} worst-case input(s) did not succeed under the ${input.plan.deadline_s} s deadline: ${names}.`, figures, runs);
  }
  const heavy = cases.filter((c) => (c.runtime_ratio ?? 0) > WARN_RATIO || (c.cost_ratio ?? 0) > WARN_RATIO);
  if (heavy.length) {
    const worst = heavy.map((c) => `${c.label}: ${c.runtime_ratio ?? 'n/a'}× the time, ${c.cost_ratio ?? 'n/a'}× the cost`).join('; ');
    return item('worst_case', 'warn', `Every worst-case input succeeded, but ${worst} of a typical run.`, figures, runs);
  }
  return item('worst_case', 'pass', `All ${runs.length} worst-case input(s) succeeded within ${WARN_RATIO}× the typical time and cost.`, figures, runs);
}
