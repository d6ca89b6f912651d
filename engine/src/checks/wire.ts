/** The check object as the API returns it (and webhooks send it). Pure. */
import type { CheckRow } from '../store/checks';
import type { CheckPlan, CheckRequest } from './types';

export interface CheckProgress {
  /** Runs in the plan (a retry that was not needed counts as finished at the end). */
  planned: number;
  /** Runs that have ended (their prediction is final, or it was refused, or not needed). */
  finished: number;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function checkWire(row: CheckRow, progress: CheckProgress, publicUrl: string): Record<string, unknown> {
  const request = row.request as unknown as CheckRequest;
  const plan = row.plan as unknown as CheckPlan;
  const base = `${publicUrl}/v1/checks/${row.id}`;
  return {
    id: row.id,
    status: row.status,
    model: row.model,
    version: row.version,
    deployment: row.deployment,
    input: request.input,
    runs: request.runs,
    hardware: request.hardware,
    compare_with: request.compare_with,
    worst_case: request.worst_case !== false,
    timeout: `${request.timeout_s}s`,
    planned_runs: plan.runs.map((r) => ({ key: r.key, purpose: r.purpose, model: r.model, hardware: r.hardware, cancel_after_s: r.cancel_after_s, ...(r.label ? { label: r.label } : {}) })),
    progress,
    created_at: iso(row.created_at),
    started_at: iso(row.started_at),
    completed_at: iso(row.completed_at),
    error: row.error,
    logs: row.logs,
    data_removed: row.data_removed ?? false,
    report: row.report,
    webhook: row.webhook,
    webhook_events_filter: row.webhook_events_filter,
    urls: { get: base, cancel: `${base}/cancel`, markdown: `${base}?format=markdown` },
  };
}
