/** cold_start: the run that waited for an instance to boot. */
import { mean, roundSeconds } from '../stats';
import type { ReportItem, RunFacts } from '../types';
import { item, missingReason, numbers, outcome, runsFor, seconds, skipped, warmRuns, type ReportInput } from './common';

/** What the user waits for until the first output: queue (which holds the boot) plus predict up to it. */
export function timeToFirstOutput(run: RunFacts): number | null {
  if (run.queue_time_s === null) return null;
  const inPredict = run.time_to_first_output_s ?? run.predict_time_s;
  return inPredict === null ? null : roundSeconds(run.queue_time_s + inPredict);
}

function whyNoColdStart(input: ReportInput): string {
  const warm = input.observations.warm_instances_before;
  if (input.request.deployment && (input.observations.deployment_min_instances ?? 0) > 0) {
    return `the deployment ${input.request.deployment} keeps ${input.observations.deployment_min_instances} instance(s) warm; the check does not stop instances that serve its traffic`;
  }
  if (warm && warm > 0) {
    return `${warm} warm instance(s) of the version were running when the check began; the check does not stop instances that others may be using`;
  }
  return 'no run waited for a boot (an instance became ready before the first run reached it)';
}

export function coldStartItem(input: ReportInput): ReportItem {
  const runs = runsFor(input, 'consistency');
  if (runs.length === 0) return skipped('cold_start', missingReason(input, 'no runs were made'));
  const cold = runs.find((r) => r.cold_start);
  if (!cold) return skipped('cold_start', `Not measured: ${whyNoColdStart(input)}.`, { observed: false, warm_instances_before: input.observations.warm_instances_before });
  const warm = warmRuns(runs);
  const warmTotal = numbers(warm.map((r) => r.total_time_s));
  const deadline = input.plan.deadline_s;
  const figures = {
    observed: true,
    prediction_id: cold.prediction_id,
    status: cold.status,
    setup_time_s: cold.setup_time_s,
    queue_time_s: cold.queue_time_s,
    predict_time_s: cold.predict_time_s,
    total_time_s: cold.total_time_s,
    time_to_first_output_s: timeToFirstOutput(cold),
    warm_total_time_mean_s: warmTotal.length ? roundSeconds(mean(warmTotal)) : null,
    deadline_s: deadline,
  };
  const text = `A cold start took ${seconds(cold.total_time_s)} in total (setup ${seconds(cold.setup_time_s)}, queue ${seconds(cold.queue_time_s)}); first output after ${seconds(figures.time_to_first_output_s)}.`;
  if (cold.status !== 'succeeded') {
    return item('cold_start', 'fail', `The run on a freshly booted instance ended ${outcome(cold)} after ${seconds(cold.total_time_s)} (setup ${seconds(cold.setup_time_s)}).`, figures, [cold]);
  }
  if ((cold.total_time_s ?? 0) > deadline) {
    return item('cold_start', 'warn', `${text} A client with a ${deadline} s deadline would give up on a cold start.`, figures, [cold]);
  }
  return item('cold_start', 'pass', text, figures, [cold]);
}
