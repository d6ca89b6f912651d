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
}

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

/**
 * Sums per (key, kind, rule); the API folds rules into units. Half-open range [since, until);
 * `tokenId` keeps only that token's records.
 */
export async function usageByGroup(db: Queryable, group: UsageGroup, range: { since?: Date; until?: Date; tokenId?: string }): Promise<UsageGroupRow[]> {
  const params: unknown[] = [range.since ?? null, range.until ?? null, range.tokenId ?? null];
  let key: string;
  if (group.by === 'tag') {
    params.push(group.tag);
    key = `tags ->> $4`;
  } else key = COLUMN[group.by];
  return db.query<UsageGroupRow>(
    `SELECT ${key} AS key, kind, rule, count(*)::int AS count,
       COALESCE(sum(quantity), 0)::float8 AS quantity, COALESCE(sum(total_usd), 0)::float8 AS total_usd
     FROM usage_records
     WHERE ($1::timestamptz IS NULL OR created_at >= $1) AND ($2::timestamptz IS NULL OR created_at < $2)
       AND ($3::text IS NULL OR token_id = $3)
     GROUP BY 1, kind, rule`,
    params,
  );
}
