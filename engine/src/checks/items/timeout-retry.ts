/** timeout_retry: one run under the deadline, one retry when it does not succeed, and what a client sees. */
import { roundSeconds } from '../stats';
import type { ReportItem, RunFacts } from '../types';
import { item, missingReason, outcome, runsFor, seconds, skipped, type ReportInput } from './common';

/**
 * What the callers a Gantry user has would see for a run that ended so. The official JavaScript
 * client (`replicate.run`) throws only for `failed`: a canceled or aborted prediction resolves
 * with its (usually null) output, which a caller easily mistakes for a result.
 */
export function clientView(run: RunFacts): Record<string, string> {
  switch (run.status) {
    case 'succeeded':
      return { api: 'status "succeeded" with the output', replicate_js: 'replicate.run() resolves with the output', n8n_run_model: 'outputs the prediction' };
    case 'failed':
      return { api: `status "failed", error "${run.error ?? ''}"`, replicate_js: `replicate.run() throws "Prediction failed: ${run.error ?? ''}"`, n8n_run_model: 'fails the item (or retries, when retries are set)' };
    case 'canceled':
      return { api: 'status "canceled" (the deadline stopped it while running), no output', replicate_js: 'replicate.run() resolves with null: no error is thrown', n8n_run_model: 'fails the item with "canceled" (or retries)' };
    case 'aborted':
      return { api: 'status "aborted" (the deadline passed before it started)', replicate_js: 'replicate.run() resolves with null: no error is thrown', n8n_run_model: 'fails the item with "aborted" (or retries)' };
    default:
      return { api: `the create request was refused: ${run.error ?? ''}`, replicate_js: 'replicate.run() throws the API error', n8n_run_model: 'fails the item with the API error' };
  }
}

function runFigures(run: RunFacts | undefined) {
  if (!run) return null;
  return {
    prediction_id: run.prediction_id,
    status: run.status,
    error: run.error,
    total_time_s: run.total_time_s,
    predict_time_s: run.predict_time_s,
    client_sees: clientView(run),
  };
}

export function timeoutRetryItem(input: ReportInput): ReportItem {
  const runs = runsFor(input, 'timeout_retry');
  const first = runs.find((r) => r.key === 'timeout_retry.first');
  if (!first) return skipped('timeout_retry', missingReason(input, 'no run was made'));
  const retry = runs.find((r) => r.key === 'timeout_retry.retry');
  const deadline = input.plan.deadline_s;
  const figures = {
    deadline_s: deadline,
    first: runFigures(first),
    retry: runFigures(retry),
    margin_s: first.status === 'succeeded' && first.total_time_s !== null ? roundSeconds(deadline - first.total_time_s) : null,
    until_result_s: retry?.status === 'succeeded' && first.total_time_s !== null && retry.total_time_s !== null ? roundSeconds(first.total_time_s + retry.total_time_s) : null,
  };
  if (first.status === 'succeeded') {
    return item('timeout_retry', 'pass', `The run finished in ${seconds(first.total_time_s)}, ${seconds(figures.margin_s)} inside the ${deadline} s deadline; no retry was needed.`, figures, runs);
  }
  const how = `${outcome(first)} after ${seconds(first.total_time_s)}`;
  if (retry?.status === 'succeeded') {
    return item('timeout_retry', 'warn', `The run under the ${deadline} s deadline ended ${how}; the retry succeeded (result after ${seconds(figures.until_result_s)} in all).`, figures, runs);
  }
  const retried = retry ? `; the retry ended ${outcome(retry)}` : '';
  return item('timeout_retry', 'fail', `The run under the ${deadline} s deadline ended ${how}${retried}. ${clientView(first).replicate_js}.`, figures, runs);
}
