/**
 * Whether a create may queue more work: the token's spend limits (402) and the queue limits
 * (429 with Retry-After): a deployment's `max_queue`, GANTRY_MAX_QUEUE_PER_VERSION for on-demand
 * runs of one version and GANTRY_MAX_QUEUE for the whole engine. Called by every create just
 * before the prediction is stored.
 *
 * Both are checked against committed rows, so creates racing each other can overshoot a limit by
 * the number in flight; a spend limit can be passed by the cost of the runs under way when it is
 * reached (a run's cost is known only when it ends).
 */
import { paymentRequired, tooManyRequests } from '../core/errors';
import { queuedCounts } from '../store/queue-depth';
import { tokenSpend, type TokenRow } from '../store/tokens';
import type { ApiContext } from './context';

export interface AdmissionLimits {
  /** Most queued predictions in the whole engine (GANTRY_MAX_QUEUE). */
  maxQueue?: number;
  /** Most queued on-demand predictions of one version (GANTRY_MAX_QUEUE_PER_VERSION). */
  maxQueuePerVersion?: number;
  /** Seconds a refused client is told to wait (Retry-After). */
  retryAfterSeconds: number;
}

export interface CreateTarget {
  version: string;
  model: string;
  deployment: string | null;
  /** The deployment's own limit, when it runs on one. */
  deploymentMaxQueue?: number | null;
}

const usd = (x: number) => `$${x.toFixed(6).replace(/0+$/, '').replace(/\.$/, '.00')}`;

function startOfNext(unit: 'day' | 'month', now = new Date()): Date {
  return unit === 'day'
    ? new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1))
    : new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
}

/** Throws the 402 problem when the token has reached a spend limit (a model check asks before it plans). */
export async function checkSpend(ctx: Pick<ApiContext, 'db'>, t: TokenRow | undefined): Promise<void> {
  if (!t || (t.usd_per_day === null && t.usd_per_month === null)) return;
  const spend = await tokenSpend(ctx.db, t.id);
  const limits = [
    { name: 'usd_per_day', limit: t.usd_per_day, spent: spend.day_usd, period: 'today (UTC)', resets: startOfNext('day') },
    { name: 'usd_per_month', limit: t.usd_per_month, spent: spend.month_usd, period: 'this month (UTC)', resets: startOfNext('month') },
  ];
  for (const l of limits) {
    // Any run costs something, so a token that has reached its limit may not start another.
    if (l.limit === null || l.spent < l.limit) continue;
    const detail = `Token "${t.name}" has spent ${usd(l.spent)} ${l.period}, which reaches its ${l.name} limit of ${usd(l.limit)}; it resets at ${l.resets.toISOString()}.`;
    throw paymentRequired(detail, [{ pointer: `/limits/${l.name}`, detail: `limit ${usd(l.limit)} reached: ${usd(l.spent)} spent ${l.period}` }], {
      limit: { name: l.name, usd: l.limit, spent_usd: Math.round(l.spent * 1e9) / 1e9, resets_at: l.resets.toISOString() },
    });
  }
}

async function checkQueue(ctx: ApiContext, target: CreateTarget): Promise<void> {
  const limits = ctx.admission;
  const own = target.deploymentMaxQueue ?? undefined;
  const perVersion = target.deployment ? undefined : limits?.maxQueuePerVersion;
  const global = limits?.maxQueue;
  if (own === undefined && perVersion === undefined && global === undefined) return;
  const counts = await queuedCounts(ctx.db, target.version, target.deployment);
  const after = limits?.retryAfterSeconds ?? 5;
  const refuse = (scope: string, name: string | null, limit: number, queued: number, what: string) =>
    tooManyRequests('Too many queued predictions', `${what} already has ${queued} queued prediction(s), its limit is ${limit}; retry after ${after} s.`, after, {
      queue: { scope, name, limit, queued },
    });
  if (own !== undefined && counts.deployment >= own) throw refuse('deployment', target.deployment, own, counts.deployment, `Deployment ${target.deployment} (max_queue)`);
  if (perVersion !== undefined && counts.version >= perVersion) {
    throw refuse('version', target.version, perVersion, counts.version, `Version ${target.model}:${target.version} (GANTRY_MAX_QUEUE_PER_VERSION)`);
  }
  if (global !== undefined && counts.total >= global) throw refuse('engine', null, global, counts.total, 'The engine (GANTRY_MAX_QUEUE)');
}

/** Throws the 402 or 429 problem when the create may not queue more work. */
export async function admitCreate(ctx: ApiContext, token: TokenRow | undefined, target: CreateTarget): Promise<void> {
  await checkSpend(ctx, token);
  await checkQueue(ctx, target);
}
