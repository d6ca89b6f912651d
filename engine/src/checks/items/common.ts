/** What every checklist item reads, and small helpers over the runs. */
import type { CheckPlan, CheckRequest, ItemKey, ItemStatus, ModelFacts, ReportItem, RunFacts, RunPurpose } from '../types';

export interface Observations {
  /** Warm instances of the checked version when the first run was made (null: not looked). */
  warm_instances_before: number | null;
  /** The deployment's min_instances, when the check runs on a deployment. */
  deployment_min_instances?: number | null;
}

export interface ReportInput {
  request: CheckRequest;
  plan: CheckPlan;
  /** One per planned run, in plan order (the latest attempt of each). */
  runs: RunFacts[];
  model: ModelFacts;
  observations: Observations;
  checked: { model: string; version: string; hardware: string };
  compare: { model: string; version: string } | null;
  /** Why runs are missing when the check did not run to the end. */
  stopped?: string;
  /** Earlier attempts that an engine restart interrupted (made again); they cost what they ran. */
  superseded?: RunFacts[];
}

export const TITLES: Record<ItemKey, string> = {
  consistency: 'Consistency',
  cold_start: 'Cold start',
  runtime: 'Runtime',
  worst_case: 'Worst-case input',
  compare: 'Comparison',
  hardware: 'Hardware',
  timeout_retry: 'Timeout and retry',
  cost_per_action: 'Cost per action',
  license: 'Licence',
  version_stability: 'Version stability',
};

export const DESCRIPTIONS: Record<ItemKey, string> = {
  consistency: 'The same input run several times: how often the output is identical, how similar texts are, whether a seed is used.',
  cold_start: 'A run on a freshly booted instance: setup time, queue time and time to the first output.',
  runtime: 'predict_time and total_time over the warm runs (nearest-rank percentiles), and time to the first output for streaming models.',
  worst_case: 'Inputs at the limits the schema declares, and inputs the request marks: outcome, runtime and cost against the typical run.',
  compare: 'The same runs on compare_with: runtime, cost and consistency side by side.',
  hardware: 'The runs repeated on each listed SKU a worker serves: runtime and cost per run, and the cheapest SKU within 20 % of the fastest.',
  timeout_retry: 'One run under the deadline (Cancel-After) and, when it does not succeed, one retry as a client would make it.',
  cost_per_action: 'Mean, p95 and worst-case cost of one run, cost per 1,000 runs, and the pricing rule that produced it.',
  license: 'The model\'s licence, and whether it clearly allows commercial use.',
  version_stability: 'Pinned or latest, how many versions exist, when the latest changed, and the input-schema changes to the latest.',
};

export function item(key: ItemKey, status: ItemStatus, summary: string, figures: Record<string, unknown>, runs: RunFacts[] = []): ReportItem {
  return { key, title: TITLES[key], status, summary, figures, predictions: runs.map((r) => r.prediction_id).filter((id): id is string => !!id) };
}

export function skipped(key: ItemKey, why: string, figures: Record<string, unknown> = {}): ReportItem {
  return item(key, 'skipped', why, figures);
}

/** Runs made for `purpose` (on `target`), in plan order, that exist (made or refused). */
export function runsFor(input: ReportInput, purpose: RunPurpose, target: 'checked' | 'compare' = 'checked'): RunFacts[] {
  return input.runs.filter((r) => r.purpose === purpose && r.target === target && !['pending', 'skipped', 'stopped'].includes(r.status));
}

export const succeeded = (runs: RunFacts[]) => runs.filter((r) => r.status === 'succeeded');
export const notSucceeded = (runs: RunFacts[]) => runs.filter((r) => r.status !== 'succeeded');

/** Typical runs that did not wait for a boot: what production traffic on a warm instance sees. */
export function warmRuns(runs: RunFacts[]): RunFacts[] {
  return succeeded(runs).filter((r) => !r.cold_start);
}

export const numbers = (values: Array<number | null>): number[] => values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));

/** Every prediction the check made: the runs and the attempts they replaced. */
export const allMade = (input: ReportInput): RunFacts[] => [...input.runs, ...(input.superseded ?? [])].filter((r) => r.prediction_id);

/** "failed: echo asked to fail" style text for a run that did not succeed. */
export function outcome(run: RunFacts): string {
  return run.error ? `${run.status}: ${run.error}` : run.status;
}

/** Why an item has no runs: the check stopped first, or nothing was planned. */
export function missingReason(input: ReportInput, fallback: string): string {
  return input.stopped ? `not run: ${input.stopped}` : fallback;
}

export const seconds = (s: number | null | undefined) => (s === null || s === undefined ? 'n/a' : `${s.toFixed(3)} s`);
/** Dollars with three significant digits for small amounts ($0.000000167), cents-and-more otherwise. */
export function dollars(usd: number | null | undefined): string {
  if (usd === null || usd === undefined) return 'n/a';
  if (usd === 0 || Math.abs(usd) >= 0.01) return `$${usd.toFixed(4)}`;
  return `$${usd.toFixed(Math.min(12, 2 - Math.floor(Math.log10(Math.abs(usd)))))}`;
}
