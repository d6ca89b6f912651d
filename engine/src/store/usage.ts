/** Aggregates usage records (the source of every cost figure). */
import type { Queryable } from './db';

export type UsageGroup =
  | { by: 'model' | 'version' | 'deployment' | 'token' | 'day' | 'kind' | 'hardware' | 'rule' }
  | { by: 'tag'; tag: string };

export interface UsageGroupRow {
  key: string | null;
  rule: string;
  kind: string;
  count: number;
  quantity: number;
  total_usd: number;
  /** Runs among them that waited for a cold start, and the seconds of each boot phase they waited. */
  cold_starts: number;
  fetch_time: number;
  boot_time: number;
  setup_time: number;
}

/** A number in a run's metrics, null when absent or not a number (models may report their own). */
const metric = (name: string) => `CASE WHEN jsonb_typeof(run_metrics->'${name}') = 'number' AND run_metrics->>'cold_start' = 'true' THEN (run_metrics->>'${name}')::float8 END`;

/** Usage records with the metrics of the run each one bills (null for instance time, or once the run is deleted). */
const RECORDS = `(SELECT u.*, p.metrics AS run_metrics FROM usage_records u LEFT JOIN predictions p ON p.id = u.prediction_id) usage_records`;

const COLUMN: Record<string, string> = {
  model: 'model',
  version: 'version',
  deployment: 'deployment',
  token: 'token_id',
  kind: 'kind',
  hardware: 'hardware',
  rule: 'rule',
  day: `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')`,
};

/** The SQL expression of a group's key; a tag's key name becomes parameter `$n`. */
function keyExpression(group: UsageGroup, params: unknown[]): string {
  if (group.by !== 'tag') return COLUMN[group.by];
  params.push(group.tag);
  return `tags ->> $${params.length}`;
}

/**
 * Sums per (key, kind, rule); the API folds rules into units. Half-open range [since, until);
 * `tag` keeps only the records carrying that tag value (e.g. one n8n execution's), `tokenId`
 * only that token's records.
 */
export async function usageByGroup(
  db: Queryable,
  group: UsageGroup,
  range: { since?: Date; until?: Date; tag?: { key: string; value: string }; tokenId?: string },
): Promise<UsageGroupRow[]> {
  const params: unknown[] = [range.since ?? null, range.until ?? null, range.tag?.key ?? null, range.tag?.value ?? null, range.tokenId ?? null];
  const key = keyExpression(group, params);
  return db.query<UsageGroupRow>(
    `SELECT ${key} AS key, kind, rule, count(*)::int AS count,
       COALESCE(sum(quantity), 0)::float8 AS quantity, COALESCE(sum(total_usd), 0)::float8 AS total_usd,
       count(*) FILTER (WHERE run_metrics->>'cold_start' = 'true')::int AS cold_starts,
       COALESCE(sum(${metric('fetch_time')}), 0)::float8 AS fetch_time,
       COALESCE(sum(${metric('boot_time')}), 0)::float8 AS boot_time,
       COALESCE(sum(${metric('setup_time')}), 0)::float8 AS setup_time
     FROM ${RECORDS}
     WHERE ($1::timestamptz IS NULL OR created_at >= $1) AND ($2::timestamptz IS NULL OR created_at < $2)
       AND ($3::text IS NULL OR tags ->> $3 = $4) AND ($5::text IS NULL OR token_id = $5)
     GROUP BY 1, kind, rule`,
    params,
  );
}

export interface UsageDayRow {
  /** UTC day, `YYYY-MM-DD`. */
  day: string;
  key: string | null;
  count: number;
  total_usd: number;
}

/** Sums per (UTC day, key) over the half-open range [since, until) (`tokenId`: that token's records only). */
export async function usageByDay(db: Queryable, stack: UsageGroup, range: { since: Date; until: Date; tokenId?: string }): Promise<UsageDayRow[]> {
  const params: unknown[] = [range.since, range.until, range.tokenId ?? null];
  const key = keyExpression(stack, params);
  return db.query<UsageDayRow>(
    `SELECT ${COLUMN.day} AS day, ${key} AS key, count(*)::int AS count, COALESCE(sum(total_usd), 0)::float8 AS total_usd
     FROM usage_records WHERE created_at >= $1 AND created_at < $2 AND ($3::text IS NULL OR token_id = $3)
     GROUP BY 1, 2`,
    params,
  );
}

/**
 * Total cost over [since, until) and the time of the earliest usage record ever (null when none);
 * `tokenId`: that token's records only.
 */
export async function spendBetween(db: Queryable, since: Date, until: Date, tokenId?: string): Promise<{ total_usd: number; first_at: Date | null }> {
  const [row] = await db.query<{ total_usd: number; first_at: Date | null }>(
    `SELECT (SELECT COALESCE(sum(total_usd), 0)::float8 FROM usage_records
              WHERE created_at >= $1 AND created_at < $2 AND ($3::text IS NULL OR token_id = $3)) AS total_usd,
       (SELECT min(created_at) FROM usage_records WHERE $3::text IS NULL OR token_id = $3) AS first_at`,
    [since, until, tokenId ?? null],
  );
  return row;
}
