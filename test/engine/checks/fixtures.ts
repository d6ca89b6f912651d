/** Builders for report inputs: runs as the report sees them, named after what they show. */
import type { ReportInput } from '../../../engine/src/checks/items/common';
import type { RunFacts } from '../../../engine/src/checks/types';

export function run(key: string, over: Partial<RunFacts> = {}): RunFacts {
  const purpose = key.split('.')[0] as RunFacts['purpose'];
  return {
    key, purpose, target: purpose === 'compare' ? 'compare' : 'checked', model: 'acme/m', version: 'v1', hardware: 'cpu', attempt: 1,
    prediction_id: `p-${key}`, status: 'succeeded', error: null, predict_time_s: 1, total_time_s: 1.1, queue_time_s: 0.1, setup_time_s: null,
    cold_start: false, time_to_first_output_s: null, cost_usd: 0.0001, cost_rule: 'hardware_time', cost_quantity: 1, unit_price_usd: 0.0001,
    output_digest: 'd1', output_text: 'same text', file_hashes: [], ...over,
  };
}

export function input(runs: RunFacts[], over: Partial<ReportInput> = {}): ReportInput {
  return {
    request: {
      model: 'acme/m', pinned_version: null, deployment: null, input: {}, runs: runs.length, hardware: [], compare_with: null,
      worst_case: false, timeout_s: 60, webhook: null, webhook_events_filter: null,
    },
    plan: { runs: [], hardware: [], worst_case: { inputs: [], skipped: 'worst_case is false in the request.' }, deadline_s: 60 },
    runs,
    model: { license_url: 'https://opensource.org/licenses/MIT', license_source: 'model', versions: [], latest_version: 'v1', checked_schema: { properties: {} }, prices_per_second: { cpu: 0.0001, 'gpu-t4': 0.000225 } },
    observations: { warm_instances_before: 0 },
    checked: { model: 'acme/m', version: 'v1', hardware: 'cpu' },
    compare: null,
    ...over,
  };
}

/** `n` typical runs, the first a cold start. */
export function typical(n: number, over: (i: number) => Partial<RunFacts> = () => ({})): RunFacts[] {
  return Array.from({ length: n }, (_, i) => run(`consistency.${i + 1}`, { ...(i === 0 ? { cold_start: true, setup_time_s: 2, queue_time_s: 2.1, total_time_s: 3.1 } : {}), ...over(i) }));
}
