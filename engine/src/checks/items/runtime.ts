/** runtime: predict and total time over the warm runs. */
import { spread } from '../stats';
import type { ReportItem } from '../types';
import { item, missingReason, numbers, runsFor, seconds, skipped, succeeded, warmRuns, type ReportInput } from './common';

export function runtimeItem(input: ReportInput): ReportItem {
  const runs = runsFor(input, 'consistency');
  if (runs.length === 0) return skipped('runtime', missingReason(input, 'no runs were made'));
  let warm = warmRuns(runs);
  // Only cold runs succeeded (each run booted an instance): report them rather than nothing.
  const allCold = warm.length === 0 && succeeded(runs).length > 0;
  if (allCold) warm = succeeded(runs);
  if (warm.length === 0) return item('runtime', 'fail', 'No run succeeded, so there is no runtime to report.', { warm_runs: 0 }, runs);
  const ttfo = numbers(warm.map((r) => r.time_to_first_output_s));
  const predict = spread(numbers(warm.map((r) => r.predict_time_s)));
  const total = spread(numbers(warm.map((r) => r.total_time_s)));
  const figures = {
    warm_runs: warm.length,
    includes_cold_runs: allCold,
    predict_time_s: predict,
    total_time_s: total,
    queue_time_s: spread(numbers(warm.map((r) => r.queue_time_s))),
    streaming: ttfo.length > 0,
    time_to_first_output_s: spread(ttfo),
    deadline_s: input.plan.deadline_s,
  };
  const text = `Over ${warm.length} warm run(s): predict_time mean ${seconds(predict?.mean)}, p95 ${seconds(predict?.p95)}, max ${seconds(predict?.max)}; total_time p95 ${seconds(total?.p95)}.`;
  const deadline = input.plan.deadline_s;
  if ((total?.max ?? 0) > deadline) return item('runtime', 'fail', `${text} Some warm runs exceed the ${deadline} s deadline.`, figures, warm);
  if ((total?.p95 ?? 0) > deadline / 2) return item('runtime', 'warn', `${text} The p95 is over half the ${deadline} s deadline.`, figures, warm);
  return item('runtime', 'pass', text, figures, warm);
}
