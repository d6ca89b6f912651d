/** cost_per_action: what one run costs, from the runs' own cost records. */
import { UNIT_OF_RULE } from '../../core/pricing';
import { mean, percentile, roundUsd } from '../stats';
import type { ReportItem } from '../types';
import { allMade, dollars, item, missingReason, numbers, runsFor, skipped, succeeded, type ReportInput } from './common';

function ruleText(rule: string, unitPrice: number, hardware: string): string {
  if (rule === 'hardware_time') return `predict_time × $${unitPrice}/s (${hardware})`;
  return `${UNIT_OF_RULE[rule] ?? rule} × $${unitPrice} each`;
}

export function costPerActionItem(input: ReportInput): ReportItem {
  const runs = runsFor(input, 'consistency');
  if (runs.length === 0) return skipped('cost_per_action', missingReason(input, 'no runs were made'));
  const ok = succeeded(runs);
  const costs = numbers(ok.map((r) => r.cost_usd));
  if (costs.length === 0) return item('cost_per_action', 'fail', 'No run succeeded, so there is no cost per action to report.', { runs: runs.length }, runs);
  const worst = numbers(runsFor(input, 'worst_case').map((r) => r.cost_usd));
  const sample = ok[0];
  const rule = sample.cost_rule ?? 'hardware_time';
  const unitPrice = sample.unit_price_usd ?? 0;
  const all = allMade(input);
  const figures = {
    runs: costs.length,
    mean_usd: roundUsd(mean(costs)),
    p95_usd: roundUsd(percentile(costs, 95)),
    max_usd: roundUsd(Math.max(...costs)),
    worst_case_usd: roundUsd(Math.max(...costs, ...worst)),
    per_1000_runs_usd: roundUsd(mean(costs) * 1000),
    quantity_mean: roundUsd(mean(numbers(ok.map((r) => r.cost_quantity)))),
    unit: UNIT_OF_RULE[rule] ?? rule,
    rule,
    unit_price_usd: unitPrice,
    hardware: sample.hardware,
    price_rule: ruleText(rule, unitPrice, sample.hardware),
    check_total_usd: roundUsd(numbers(all.map((r) => r.cost_usd)).reduce((s, c) => s + c, 0)),
    check_predictions: all.length,
  };
  return item(
    'cost_per_action',
    'pass',
    `One run costs ${dollars(figures.mean_usd)} on average (p95 ${dollars(figures.p95_usd)}, worst case ${dollars(figures.worst_case_usd)}): ${dollars(figures.per_1000_runs_usd)} per 1,000 runs, priced ${figures.price_rule}.`,
    figures,
    ok,
  );
}
