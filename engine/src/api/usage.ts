/**
 * Extension: `GET /v1/usage?group_by=…&since=&until=&tag=key:value` aggregates usage records:
 * predictions and trainings, plus the setup and idle time of deployment instances.
 * `GET /v1/usage/daily` gives the same records per UTC day stacked by a dimension,
 * `GET /v1/usage/projection` the month-end projection at the current rate.
 */
import type { FastifyInstance } from 'fastify';
import { invalid } from '../core/errors';
import { UNIT_OF_RULE } from '../core/pricing';
import { spendBetween, usageByDay, usageByGroup, type UsageGroup, type UsageGroupRow } from '../store/usage';
import { monthEndProjection, rateWindowStart, stackByDay, startOfUtcDay, utcDays, utcMonth } from '../core/usage-series';
import { isStorableInstant } from '../core/instants';
import type { ApiContext } from './context';
import { listTokens } from '../store/tokens';
import { visibleOwner } from './access';
import { tokenWire } from './tokens';

const GROUPS = ['model', 'version', 'deployment', 'token', 'day', 'kind', 'hardware', 'rule'] as const;
/** What the daily series can be stacked by (every grouping but the day itself). */
const STACKS = GROUPS.filter((g) => g !== 'day');
const DAY_MS = 86_400_000;
/** The daily series covers the last 30 days (today included) unless told otherwise, and at most a year. */
const DEFAULT_DAYS = 30;
const MAX_DAYS = 366;

/** Instance setup and idle time are seconds whatever the rule. */
export function unitOf(kind: string, rule: string): string {
  if (kind === 'setup' || kind === 'idle') return 'seconds';
  return UNIT_OF_RULE[rule] ?? rule;
}

/** A grouping (`group_by`, or `stack_by` of the daily series, which is per day already). */
function parseGroup(value: unknown, field = 'group_by', groups: readonly string[] = GROUPS): UsageGroup {
  const text = value === undefined || value === '' ? 'model' : value;
  if (typeof text === 'string') {
    if (groups.includes(text)) return { by: text as (typeof GROUPS)[number] };
    const m = /^tag:(.{1,100})$/.exec(text);
    if (m) return { by: 'tag', tag: m[1] };
  }
  throw invalid([{ pointer: `/${field}`, detail: `must be one of ${groups.join(', ')} or tag:<key>` }]);
}

/** Rejects query parameters the endpoint does not know, naming each. */
function onlyKnown(q: Record<string, unknown>, known: string[]): void {
  const unknown = Object.keys(q).filter((k) => !known.includes(k));
  if (unknown.length) throw invalid(unknown.map((k) => ({ pointer: `/${k}`, detail: 'is not a recognised parameter' })));
}

/** `tag=<key>:<value>`: only the records carrying that tag (e.g. `n8n_execution_id:42`). */
function parseTagFilter(value: unknown): { key: string; value: string } | undefined {
  if (value === undefined || value === '') return undefined;
  const m = typeof value === 'string' ? /^([^:]{1,100}):(.{1,500})$/s.exec(value) : null;
  if (!m) throw invalid([{ pointer: '/tag', detail: 'must be <key>:<value>, e.g. n8n_execution_id:42' }]);
  return { key: m[1], value: m[2] };
}

function parseInstant(value: unknown, field: string): Date | undefined {
  if (value === undefined || value === '') return undefined;
  // A date (2025-01-31) or a date-time with an offset; anything Date cannot read is refused.
  const ok = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value);
  const d = ok ? new Date(value as string) : new Date(NaN);
  if (!isStorableInstant(d)) throw invalid([{ pointer: `/${field}`, detail: 'must be an ISO 8601 date or date-time from year 0001 to 9999' }]);
  return d;
}

interface Bucket {
  key: string | null;
  count: number;
  total_usd: number;
  quantities: Record<string, number>;
  by_kind: Record<string, { count: number; total_usd: number }>;
  cold: { count: number; fetch_time: number; boot_time: number; setup_time: number };
}

const round = (x: number) => Math.round(x * 1e9) / 1e9;

/** Folds (key, kind, rule) sums into one row per key; quantity is per unit. */
export function foldUsage(rows: UsageGroupRow[]) {
  const buckets = new Map<string | null, Bucket>();
  for (const r of rows) {
    let b = buckets.get(r.key);
    if (!b) buckets.set(r.key, (b = { key: r.key, count: 0, total_usd: 0, quantities: {}, by_kind: {}, cold: { count: 0, fetch_time: 0, boot_time: 0, setup_time: 0 } }));
    b.count += r.count;
    b.total_usd += r.total_usd;
    const unit = unitOf(r.kind, r.rule);
    // Zero-quantity records (e.g. a prediction that failed before running) carry no unit.
    if (r.rule !== 'none') b.quantities[unit] = (b.quantities[unit] ?? 0) + r.quantity;
    const k = (b.by_kind[r.kind] ??= { count: 0, total_usd: 0 });
    k.count += r.count;
    k.total_usd += r.total_usd;
    // Rows built by hand (tests, older callers) may lack the cold-start sums.
    b.cold.count += r.cold_starts ?? 0;
    b.cold.fetch_time += r.fetch_time ?? 0;
    b.cold.boot_time += r.boot_time ?? 0;
    b.cold.setup_time += r.setup_time ?? 0;
  }
  return [...buckets.values()]
    .map((b) => {
      const units = Object.keys(b.quantities);
      // One unit: its quantity. Mixed units: seconds of hardware time (all units are in `quantities`).
      const unit = units.length === 1 ? units[0] : 'seconds';
      return {
        key: b.key,
        count: b.count,
        total_usd: round(b.total_usd),
        quantity: round(b.quantities[unit] ?? 0),
        unit,
        quantities: Object.fromEntries(Object.entries(b.quantities).map(([u, q]) => [u, round(q)])),
        by_kind: Object.fromEntries(Object.entries(b.by_kind).map(([k, v]) => [k, { count: v.count, total_usd: round(v.total_usd) }])),
        // The runs that waited for an instance to boot, and the seconds they waited in each phase.
        cold_starts: { count: b.cold.count, fetch_time: round(b.cold.fetch_time), boot_time: round(b.cold.boot_time), setup_time: round(b.cold.setup_time) },
      };
    })
    .sort((a, b) => b.total_usd - a.total_usd || String(a.key).localeCompare(String(b.key)));
}

export function usageRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Querystring: Record<string, unknown> }>('/v1/usage', async (req) => {
    const q = req.query ?? {};
    onlyKnown(q, ['group_by', 'since', 'until', 'tag']);
    const group = parseGroup(q.group_by);
    const since = parseInstant(q.since, 'since');
    const until = parseInstant(q.until, 'until');
    if (since && until && since >= until) throw invalid([{ pointer: '/until', detail: 'must be after since' }]);
    const tag = parseTagFilter(q.tag);
    // A non-admin token sees only its own usage.
    const rows = await usageByGroup(ctx.db, group, { since, until, tag, tokenId: visibleOwner(req) });
    let results: Array<ReturnType<typeof foldUsage>[number] & { token?: unknown }> = foldUsage(rows);
    if (group.by === 'token') {
      // Per token: who it is and its limits, beside the sums (admins see every token).
      const tokens = new Map((await listTokens(ctx.db)).map((t) => [t.id, t]));
      results = results.map((r) => {
        const t = r.key ? tokens.get(r.key) : undefined;
        return { ...r, token: t ? { name: t.name, scope: t.scope, limits: tokenWire(t).limits } : null };
      });
    }
    return {
      group_by: group.by === 'tag' ? `tag:${group.tag}` : group.by,
      since: since?.toISOString() ?? null,
      until: until?.toISOString() ?? null,
      ...(tag ? { tag: `${tag.key}:${tag.value}` } : {}),
      results,
    };
  });

  // Extension: cost per UTC day stacked by a dimension, every day of the range present (zero or not).
  app.get<{ Querystring: Record<string, unknown> }>('/v1/usage/daily', async (req) => {
    const q = req.query ?? {};
    onlyKnown(q, ['stack_by', 'since', 'until']);
    const stack = parseGroup(q.stack_by, 'stack_by', STACKS);
    const until = parseInstant(q.until, 'until') ?? new Date(startOfUtcDay(new Date()).getTime() + DAY_MS);
    const since = parseInstant(q.since, 'since') ?? new Date(until.getTime() - DEFAULT_DAYS * DAY_MS);
    if (since >= until) throw invalid([{ pointer: '/until', detail: 'must be after since' }]);
    if (until.getTime() - since.getTime() > MAX_DAYS * DAY_MS) throw invalid([{ pointer: '/since', detail: `the range may span at most ${MAX_DAYS} days` }]);
    const days = utcDays(since, until);
    // Like GET /v1/usage, a non-admin token sees only its own records.
    const { series, totals } = stackByDay(days, await usageByDay(ctx.db, stack, { since, until, tokenId: visibleOwner(req) }));
    return {
      stack_by: stack.by === 'tag' ? `tag:${stack.tag}` : stack.by,
      since: since.toISOString(),
      until: until.toISOString(),
      days,
      series,
      totals,
    };
  });

  // Extension: this month's spend and where it ends at the current rate (see core/usage-series).
  app.get<{ Querystring: Record<string, unknown> }>('/v1/usage/projection', async (req) => {
    onlyKnown(req.query ?? {}, []);
    const now = new Date();
    const month = utcMonth(now);
    const owner = visibleOwner(req);
    const spent = await spendBetween(ctx.db, month.start, now, owner);
    const windowStart = rateWindowStart(now, spent.first_at);
    const recent = await spendBetween(ctx.db, windowStart, now, owner);
    return monthEndProjection({ now, monthToDateUsd: spent.total_usd, windowUsd: recent.total_usd, windowStart });
  });
}
