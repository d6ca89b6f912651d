/**
 * The query of `GET /v1/predictions`: Replicate's `cursor`, `created_after` and `created_before`,
 * plus Gantry's filters `model`, `deployment`, `status`, `tag` and `limit`. Every problem is
 * reported at once, each naming its parameter; the parsed filters also write themselves back into
 * the `next` URL, so every page of a filtered list stays filtered.
 */
import { isStorableInstant } from '../core/instants';
import { invalid, type FieldError } from '../core/errors';
import { parseVersionRef, type Status } from '../core/prediction';
import type { PredictionFilter } from '../store/predictions';
import { PAGE_SIZE } from './paginate';

const STATUSES: readonly Status[] = ['starting', 'processing', 'succeeded', 'failed', 'canceled', 'aborted'];
const KNOWN = ['cursor', 'created_after', 'created_before', 'model', 'deployment', 'status', 'tag', 'limit'];
const MAX_TAGS = 10;

export interface ListQuery {
  cursor?: string;
  limit: number;
  filter: PredictionFilter;
  /** `&key=value…` carrying the filters into the next page's URL (empty when unfiltered). */
  nextQuery: string;
}

/** Repeated parameters arrive as arrays; a comma list counts as several values (`status=failed,canceled`). */
function values(raw: unknown): string[] {
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return list.flatMap((v) => String(v).split(',')).map((v) => v.trim()).filter((v) => v !== '');
}

function single(raw: unknown, field: string, errors: FieldError[]): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (Array.isArray(raw)) {
    errors.push({ pointer: `/${field}`, detail: 'may be given once' });
    return undefined;
  }
  return String(raw);
}

function instant(raw: unknown, field: string, errors: FieldError[]): Date | undefined {
  const text = single(raw, field, errors);
  if (text === undefined) return undefined;
  const d = new Date(text);
  // Postgres stores years 1 to 9999 (past them a query fails): refuse the rest here.
  if (!isStorableInstant(d)) {
    errors.push({ pointer: `/${field}`, detail: 'must be an ISO 8601 date-time from year 0001 to 9999' });
    return undefined;
  }
  return d;
}

function modelName(raw: unknown, field: string, errors: FieldError[]): string | undefined {
  const text = single(raw, field, errors);
  if (text === undefined) return undefined;
  const ref = parseVersionRef(text);
  if (!ref || !('owner' in ref) || ref.id) {
    errors.push({ pointer: `/${field}`, detail: 'must be "owner/name"' });
    return undefined;
  }
  return text;
}

function statuses(raw: unknown, errors: FieldError[]): Status[] | undefined {
  const list = values(raw);
  const bad = list.filter((s) => !(STATUSES as readonly string[]).includes(s));
  if (bad.length) errors.push({ pointer: '/status', detail: `must be one or more of ${STATUSES.join(', ')} (got ${bad.join(', ')})` });
  return list.length && !bad.length ? (list as Status[]) : undefined;
}

/** `tag=key:value`, repeatable; a prediction must carry every tag given. */
function tags(raw: unknown, errors: FieldError[]): Record<string, string> | undefined {
  const list = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).map(String).filter((t) => t !== '');
  if (list.length > MAX_TAGS) {
    errors.push({ pointer: '/tag', detail: `may be given at most ${MAX_TAGS} times` });
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const t of list) {
    const colon = t.indexOf(':');
    if (colon < 1 || colon > 100) {
      errors.push({ pointer: '/tag', detail: `must be key:value with a key of 1 to 100 characters (got ${JSON.stringify(t)})` });
      continue;
    }
    const key = t.slice(0, colon);
    if (key in out) errors.push({ pointer: '/tag', detail: `names the key ${JSON.stringify(key)} twice` });
    out[key] = t.slice(colon + 1);
  }
  return Object.keys(out).length ? out : undefined;
}

function limit(raw: unknown, errors: FieldError[]): number {
  const text = single(raw, 'limit', errors);
  if (text === undefined) return PAGE_SIZE;
  const n = Number(text);
  if (Number.isInteger(n) && n >= 1 && n <= PAGE_SIZE) return n;
  errors.push({ pointer: '/limit', detail: `must be an integer from 1 to ${PAGE_SIZE}` });
  return PAGE_SIZE;
}

/** Parses the list query; throws 422 naming every bad or unknown parameter. */
export function parseListQuery(query: Record<string, unknown>): ListQuery {
  const errors: FieldError[] = Object.keys(query)
    .filter((k) => !KNOWN.includes(k))
    .map((k) => ({ pointer: `/${k}`, detail: 'is not a recognised parameter' }));
  const filter: PredictionFilter = {
    createdAfter: instant(query.created_after, 'created_after', errors),
    createdBefore: instant(query.created_before, 'created_before', errors),
    model: modelName(query.model, 'model', errors),
    deployment: modelName(query.deployment, 'deployment', errors),
    statuses: statuses(query.status, errors),
    tags: tags(query.tag, errors),
  };
  if (filter.createdAfter && filter.createdBefore && filter.createdAfter >= filter.createdBefore) {
    errors.push({ pointer: '/created_before', detail: 'must be after created_after' });
  }
  const size = limit(query.limit, errors);
  const cursor = single(query.cursor, 'cursor', errors);
  if (errors.length) throw invalid(errors);

  const params: Array<[string, string]> = [];
  // The caller's own text for dates, so a next URL reads like the request.
  if (filter.createdAfter) params.push(['created_after', String(query.created_after)]);
  if (filter.createdBefore) params.push(['created_before', String(query.created_before)]);
  if (filter.model) params.push(['model', filter.model]);
  if (filter.deployment) params.push(['deployment', filter.deployment]);
  if (filter.statuses) params.push(['status', filter.statuses.join(',')]);
  for (const [k, v] of Object.entries(filter.tags ?? {})) params.push(['tag', `${k}:${v}`]);
  if (size !== PAGE_SIZE) params.push(['limit', String(size)]);
  const nextQuery = params.map(([k, v]) => `&${k}=${encodeURIComponent(v)}`).join('');
  return { cursor, limit: size, filter, nextQuery };
}
