/**
 * Reads what a report is built from (the check's runs, their predictions, the model's licence and
 * versions) and builds it. The only I/O on the report path; `report.ts` does the rest.
 */
import { inputSchemaOf } from '../core/validate';
import type { PredictionRow } from '../core/prediction';
import type { ApiContext } from '../api/context';
import type { Queryable } from '../store/db';
import { getModel, listVersions } from '../store/catalog';
import { listCheckRuns, type CheckRow } from '../store/checks';
import { findCatalogueModel } from '../public-catalogue';
import { latestAttempts, runFacts } from './facts';
import { buildReport, type Report } from './report';
import type { Observations, ReportInput } from './items/common';
import type { CheckPlan, CheckRequest, ModelFacts, RunFacts } from './types';
import type { CheckProgress } from './wire';

/** An input schema without the document's components (what a diff and the report show). */
function bareInputSchema(openapi: Record<string, unknown>): Record<string, unknown> {
  const { components: _c, ...schema } = inputSchemaOf(openapi);
  return schema;
}

async function predictionsById(ctx: Pick<ApiContext, 'db'>, ids: string[]): Promise<Map<string, PredictionRow>> {
  if (ids.length === 0) return new Map();
  const rows = await ctx.db.query<PredictionRow>(`SELECT * FROM predictions WHERE id = ANY($1)`, [ids]);
  return new Map(rows.map((r) => [r.id, r]));
}

async function modelFacts(ctx: Pick<ApiContext, 'db' | 'prices'>, check: CheckRow, plan: CheckPlan): Promise<ModelFacts> {
  const [owner, name] = check.model.split('/');
  const [model, versions] = await Promise.all([getModel(ctx.db, owner, name), listVersions(ctx.db, owner, name)]);
  let license = model?.license_url ?? null;
  let source: ModelFacts['license_source'] = license ? 'model' : null;
  if (!license) {
    const entry = await findCatalogueModel(owner, name).catch(() => undefined);
    if (entry?.license_url) [license, source] = [entry.license_url, 'public catalogue'];
  }
  const checked = versions.find((v) => v.id === check.version);
  const skus = new Set([...plan.hardware.map((h) => h.sku), ...plan.runs.map((r) => r.hardware)]);
  return {
    license_url: license,
    license_source: source,
    versions: versions.map((v) => ({ id: v.id, created_at: v.created_at.toISOString(), input_schema: bareInputSchema(v.openapi_schema) })),
    latest_version: model?.latest_version ?? null,
    checked_schema: checked ? bareInputSchema(checked.openapi_schema) : {},
    prices_per_second: Object.fromEntries([...skus].map((s) => [s, ctx.prices[s] ?? null]).filter(([, p]) => p !== null)),
  };
}

/** Per planned run: its latest attempt and prediction, or why it was not needed; and the attempts they replaced. */
async function runsOf(ctx: Pick<ApiContext, 'db'>, check: CheckRow, plan: CheckPlan, stopped: boolean) {
  const all = await listCheckRuns(ctx.db, check.id);
  const latest = latestAttempts(all);
  const predictions = await predictionsById(ctx, all.map((r) => r.prediction_id).filter((id): id is string => !!id));
  const facts: RunFacts[] = [];
  const superseded: RunFacts[] = [];
  for (const planned of plan.runs) {
    const run = latest.get(planned.key);
    const prediction = run?.prediction_id ? predictions.get(run.prediction_id) : undefined;
    // A retry is only made when the run it retries did not succeed.
    const ref = planned.only_if_failed ? facts.find((f) => f.key === planned.only_if_failed) : undefined;
    facts.push(runFacts(planned, run, prediction, !run && ref?.status === 'succeeded', stopped));
    for (const earlier of all.filter((r) => r.run_key === planned.key && r !== run)) {
      superseded.push(runFacts(planned, earlier, earlier.prediction_id ? predictions.get(earlier.prediction_id) : undefined, false, stopped));
    }
  }
  return { facts, superseded };
}

export async function reportInput(ctx: Pick<ApiContext, 'db' | 'prices'>, check: CheckRow, stopped?: string): Promise<ReportInput> {
  const plan = check.plan as unknown as CheckPlan;
  const request = check.request as unknown as CheckRequest;
  const { facts: runs, superseded } = await runsOf(ctx, check, plan, stopped !== undefined);
  const comparison = plan.runs.find((r) => r.target === 'compare');
  const first = plan.runs[0];
  return {
    request,
    plan,
    runs,
    model: await modelFacts(ctx, check, plan),
    observations: { warm_instances_before: null, ...(check.observations as Partial<Observations>) },
    checked: { model: check.model, version: check.version, hardware: first?.hardware ?? 'cpu' },
    compare: comparison ? { model: comparison.model, version: comparison.version } : null,
    superseded,
    ...(stopped ? { stopped } : {}),
  };
}

export async function checkReport(ctx: Pick<ApiContext, 'db' | 'prices'>, check: CheckRow, stopped?: string): Promise<Report> {
  return buildReport(await reportInput(ctx, check, stopped));
}

/** How far each check has come, for the check objects of a page (one query). */
export async function checkProgress(ctx: { db: Queryable }, checks: CheckRow[]): Promise<Map<string, CheckProgress>> {
  const ids = checks.map((c) => c.id);
  const rows = ids.length
    ? await ctx.db.query<{ check_id: string; finished: number }>(
        `SELECT r.check_id, count(DISTINCT r.run_key)::int AS finished FROM check_runs r
           LEFT JOIN predictions p ON p.id = r.prediction_id
          WHERE r.check_id = ANY($1)
            AND (r.refused IS NOT NULL OR p.status IN ('succeeded', 'failed', 'canceled', 'aborted'))
          GROUP BY r.check_id`,
        [ids],
      )
    : [];
  const finished = new Map(rows.map((r) => [r.check_id, r.finished]));
  return new Map(
    checks.map((c) => {
      const planned = (c.plan as unknown as CheckPlan).runs.length;
      const ended = c.status === 'succeeded';
      return [c.id, { planned, finished: ended ? planned : Math.min(planned, finished.get(c.id) ?? 0) }];
    }),
  );
}
