/**
 * Data retention for checks (GANTRY_DATA_RETENTION, as for predictions): some time after a check
 * ends, the data it holds of its own — the input, the planned runs' inputs, the worst-case
 * changes' values and the runs' output texts — is removed; figures, costs, hashes and statuses
 * stay, and the check says `data_removed`. Pure: the store applies it.
 */
import type { CheckRow } from '../store/checks';

const REMOVED = '(removed)';

type Json = Record<string, unknown>;

function withoutChangeValues(changes: unknown): unknown {
  return Array.isArray(changes) ? changes.map((c) => ({ ...(c as Json), from: REMOVED, to: REMOVED })) : changes;
}

export function checkWithoutData(row: Pick<CheckRow, 'request' | 'plan' | 'report'>): Pick<CheckRow, 'request' | 'plan' | 'report'> {
  const plan = row.plan as Json & { runs?: Json[]; worst_case?: { inputs?: Json[] } };
  const report = row.report as (Json & { items?: Array<Json & { key?: string; figures?: Json }> }) | null;
  return {
    request: { ...row.request, input: {}, worst_case: row.request.worst_case && typeof row.request.worst_case === 'object' ? { ...(row.request.worst_case as Json), inputs: [] } : row.request.worst_case },
    plan: {
      ...plan,
      runs: (plan.runs ?? []).map((r) => ({ ...r, input: {} })),
      worst_case: { ...plan.worst_case, inputs: (plan.worst_case?.inputs ?? []).map((w) => ({ ...w, input: {}, changes: withoutChangeValues(w.changes) })) },
    },
    report: report && {
      ...report,
      items: (report.items ?? []).map((i) =>
        i.key === 'worst_case' && Array.isArray(i.figures?.cases)
          ? { ...i, figures: { ...i.figures, cases: (i.figures!.cases as Json[]).map((c) => ({ ...c, changes: withoutChangeValues(c.changes) })) } }
          : i,
      ),
    },
  };
}
