/**
 * Extension: `GET /v1/usage?group_by=…&since=&until=` aggregates usage records: predictions and
 * trainings, plus the setup and idle time of deployment instances.
 */
import type { FastifyInstance } from 'fastify';
import { invalid } from '../core/errors';
import { usageByGroup, type UsageGroup, type UsageGroupRow } from '../store/usage';
import type { ApiContext } from './context';
import { listTokens } from '../store/tokens';
import { visibleOwner } from './access';
import { tokenWire } from './tokens';

const GROUPS = ['model', 'version', 'deployment', 'token', 'day', 'kind', 'hardware', 'rule'] as const;

/** The unit each pricing rule counts. Instance setup and idle time are seconds whatever the rule. */
const UNIT_OF_RULE: Record<string, string> = {
  hardware_time: 'seconds',
  per_prediction: 'predictions',
  per_image: 'images',
  per_input_token: 'input_tokens',
  per_output_token: 'output_tokens',
  per_audio_second: 'audio_seconds',
  per_video_second: 'video_seconds',
};

export function unitOf(kind: string, rule: string): string {
  if (kind === 'setup' || kind === 'idle') return 'seconds';
  return UNIT_OF_RULE[rule] ?? rule;
}

function parseGroup(value: unknown): UsageGroup {
  const text = value === undefined ? 'model' : value;
  if (typeof text === 'string') {
    if ((GROUPS as readonly string[]).includes(text)) return { by: text as (typeof GROUPS)[number] };
    const m = /^tag:(.{1,100})$/.exec(text);
    if (m) return { by: 'tag', tag: m[1] };
  }
  throw invalid([{ pointer: '/group_by', detail: `must be one of ${GROUPS.join(', ')} or tag:<key>` }]);
}

function parseInstant(value: unknown, field: string): Date | undefined {
  if (value === undefined || value === '') return undefined;
  // A date (2025-01-31) or a date-time with an offset; anything Date cannot read is refused.
  const ok = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value);
  const d = ok ? new Date(value as string) : new Date(NaN);
  if (Number.isNaN(d.getTime())) throw invalid([{ pointer: `/${field}`, detail: 'must be an ISO 8601 date or date-time' }]);
  return d;
}

interface Bucket {
  key: string | null;
  count: number;
  total_usd: number;
  quantities: Record<string, number>;
  by_kind: Record<string, { count: number; total_usd: number }>;
}

const round = (x: number) => Math.round(x * 1e9) / 1e9;

/** Folds (key, kind, rule) sums into one row per key; quantity is per unit. */
export function foldUsage(rows: UsageGroupRow[]) {
  const buckets = new Map<string | null, Bucket>();
  for (const r of rows) {
    let b = buckets.get(r.key);
    if (!b) buckets.set(r.key, (b = { key: r.key, count: 0, total_usd: 0, quantities: {}, by_kind: {} }));
    b.count += r.count;
    b.total_usd += r.total_usd;
    const unit = unitOf(r.kind, r.rule);
    // Zero-quantity records (e.g. a prediction that failed before running) carry no unit.
    if (r.rule !== 'none') b.quantities[unit] = (b.quantities[unit] ?? 0) + r.quantity;
    const k = (b.by_kind[r.kind] ??= { count: 0, total_usd: 0 });
    k.count += r.count;
    k.total_usd += r.total_usd;
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
      };
    })
    .sort((a, b) => b.total_usd - a.total_usd || String(a.key).localeCompare(String(b.key)));
}

export function usageRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Querystring: Record<string, unknown> }>('/v1/usage', async (req) => {
    const q = req.query ?? {};
    const known = ['group_by', 'since', 'until'];
    const unknown = Object.keys(q).filter((k) => !known.includes(k));
    if (unknown.length) throw invalid(unknown.map((k) => ({ pointer: `/${k}`, detail: 'is not a recognised parameter' })));
    const group = parseGroup(q.group_by);
    const since = parseInstant(q.since, 'since');
    const until = parseInstant(q.until, 'until');
    if (since && until && since >= until) throw invalid([{ pointer: '/until', detail: 'must be after since' }]);
    // A non-admin token sees only its own usage.
    const rows = await usageByGroup(ctx.db, group, { since, until, tokenId: visibleOwner(req) });
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
      results,
    };
  });
}
