/**
 * Extension: the cost decision. `GET /v1/decide?since=&until=&group_by=model|deployment` and
 * `POST /v1/decide { since?, until?, group_by?, prices? }` (prices override the shipped tables
 * and GANTRY_PRICES for this request).
 */
import { coldStartSeconds } from '../core/boot-phases';
import type { FastifyInstance } from 'fastify';
import { invalid, type FieldError } from '../core/errors';
import { decide } from '../checks/decide/decide';
import { parsePeriod } from '../checks/decide/period';
import { parsePriceOverrides, resolvePrices, type PriceOverrides } from '../checks/decide/prices';
import type { UsageFact } from '../checks/decide/options';
import { decideDeployments, decideRecords } from '../store/decide';
import type { ApiContext } from './context';
import { visibleOwner } from './access';

const GROUPS = ['model', 'deployment'] as const;
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

async function decision(ctx: ApiContext, raw: Record<string, unknown>, allowed: string[], owner: string | undefined) {
  const errors: FieldError[] = [];
  for (const key of Object.keys(raw)) if (!allowed.includes(key)) errors.push({ pointer: `/${key}`, detail: 'is not a recognised field' });
  const groupBy = raw.group_by ?? 'model';
  if (!(GROUPS as readonly unknown[]).includes(groupBy)) errors.push({ pointer: '/group_by', detail: `must be one of ${GROUPS.join(', ')}` });
  const { since, until } = parsePeriod({ since: raw.since, until: raw.until }, new Date(), errors);
  let body: PriceOverrides = {};
  if (raw.prices !== undefined) {
    const parsed = parsePriceOverrides(raw.prices, '/prices');
    errors.push(...parsed.errors);
    body = parsed.overrides;
  }
  if (errors.length) throw invalid(errors);
  const prices = resolvePrices([
    { by: 'GANTRY_PRICES', overrides: ctx.priceOverrides ?? {} },
    { by: 'the request', overrides: body },
  ]);
  const by = groupBy as (typeof GROUPS)[number];
  // A non-admin token decides on its own usage only (as GET /v1/usage shows it); deployments are shared.
  const [records, deployments] = await Promise.all([decideRecords(ctx.db, by, since, until, owner), decideDeployments(ctx.db)]);
  const facts: UsageFact[] = records.map((r) => {
    const m = r.metrics ?? {};
    return {
      key: r.key,
      kind: r.kind,
      model: r.model,
      deployment: r.deployment,
      hardware: r.hardware,
      quantity: r.quantity,
      total_usd: r.total_usd,
      predict_time: num(m.predict_time),
      // The whole cold start (fetch + boot + setup): what an on-demand run waited for.
      setup_time: coldStartSeconds(m),
      metrics: m,
      started: r.started,
      completed: r.completed,
    };
  });
  return decide({ since: since.getTime() / 1000, until: until.getTime() / 1000, groupBy: by, facts, deployments, prices });
}

export function decideRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Querystring: Record<string, unknown> }>('/v1/decide', async (req) => decision(ctx, req.query ?? {}, ['since', 'until', 'group_by'], visibleOwner(req)));
  app.post('/v1/decide', async (req) => {
    const body = req.body ?? {};
    if (typeof body !== 'object' || Array.isArray(body)) throw invalid([{ pointer: '', detail: 'the body must be a JSON object' }]);
    return decision(ctx, body as Record<string, unknown>, ['since', 'until', 'group_by', 'prices'], visibleOwner(req));
  });
}
