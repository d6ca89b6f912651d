/** A planned run and what happened to it → the facts the report reads. Pure. */
import { isTerminal, type PredictionRow } from '../core/prediction';
import type { CheckRunRow } from '../store/checks';
import type { PlannedRun, RunFacts, RunStatus } from './types';

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Predictions an engine restart cut short: the check makes such a run again. */
export function wasInterrupted(p: Pick<PredictionRow, 'status' | 'error'>): boolean {
  return p.status === 'failed' && /^interrupted\b/.test(p.error ?? '');
}

/** The latest attempt of each run key. */
export function latestAttempts(rows: CheckRunRow[]): Map<string, CheckRunRow> {
  const latest = new Map<string, CheckRunRow>();
  for (const r of rows) if ((latest.get(r.run_key)?.attempt ?? 0) < r.attempt) latest.set(r.run_key, r);
  return latest;
}

/**
 * `checkStopped`: the check itself was canceled, so a prediction canceled before its own deadline
 * was stopped with it (`stopped`), which says nothing about the model.
 */
export function runFacts(planned: PlannedRun, run: CheckRunRow | undefined, prediction: PredictionRow | undefined, skipped: boolean, checkStopped = false): RunFacts {
  const base: RunFacts = {
    key: planned.key,
    purpose: planned.purpose,
    target: planned.target,
    model: planned.model,
    version: planned.version,
    hardware: planned.hardware,
    ...(planned.label ? { label: planned.label } : {}),
    attempt: run?.attempt ?? 0,
    prediction_id: run?.prediction_id ?? null,
    status: skipped ? 'skipped' : 'pending',
    error: null,
    predict_time_s: null,
    total_time_s: null,
    queue_time_s: null,
    setup_time_s: null,
    cold_start: false,
    time_to_first_output_s: null,
    cost_usd: null,
    cost_rule: null,
    cost_quantity: null,
    unit_price_usd: null,
    output_digest: run?.output_digest ?? null,
    output_text: run?.output_text ?? null,
    file_hashes: run?.file_hashes ?? [],
  };
  if (!run || skipped) return base;
  if (run.refused) return { ...base, prediction_id: null, status: 'refused', error: run.refused };
  if (!prediction || !isTerminal(prediction.status)) return base;
  const m = prediction.metrics ?? {};
  const byDeadline = prediction.deadline !== null && prediction.completed_at !== null && prediction.completed_at >= prediction.deadline;
  const status: RunStatus = checkStopped && prediction.status === 'canceled' && !byDeadline ? 'stopped' : (prediction.status as RunStatus);
  const cost = (prediction.cost ?? {}) as Record<string, unknown>;
  return {
    ...base,
    status,
    error: prediction.error,
    predict_time_s: num(m.predict_time),
    total_time_s: num(m.total_time),
    queue_time_s: num(m.queue_time),
    setup_time_s: num(m.setup_time),
    cold_start: m.cold_start === true,
    time_to_first_output_s: num(m.time_to_first_output) ?? num(m.time_to_first_token),
    cost_usd: num(cost.total_usd),
    cost_rule: typeof cost.rule === 'string' ? cost.rule : null,
    cost_quantity: num(cost.quantity),
    unit_price_usd: num(cost.unit_price_usd),
  };
}
