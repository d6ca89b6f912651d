/** The period a decision covers: `since`/`until` as ISO dates or as "that long ago" (30d, 12h, 90m). Pure. */
import type { FieldError } from '../../core/errors';

export const DEFAULT_PERIOD_DAYS = 30;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** `30d` → seconds; undefined when it is not a relative duration. */
export function relativeSeconds(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([smhdw])$/.exec(text.trim());
  return m ? Number(m[1]) * UNIT_SECONDS[m[2]] : undefined;
}

function instant(value: unknown, field: string, now: Date, errors: FieldError[]): Date | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') {
    const ago = relativeSeconds(value);
    if (ago !== undefined) return new Date(now.getTime() - ago * 1000);
    if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value)) {
      const d = new Date(value);
      if (!Number.isNaN(d.getTime())) return d;
    }
  }
  errors.push({ pointer: `/${field}`, detail: 'must be an ISO 8601 date or date-time, or a time ago like 30d, 12h or 90m' });
  return undefined;
}

export function parsePeriod(raw: { since?: unknown; until?: unknown }, now: Date, errors: FieldError[]): { since: Date; until: Date } {
  const until = instant(raw.until, 'until', now, errors) ?? now;
  const since = instant(raw.since, 'since', now, errors) ?? new Date(until.getTime() - DEFAULT_PERIOD_DAYS * 86400_000);
  if (since >= until) errors.push({ pointer: '/until', detail: 'must be after since' });
  return { since, until };
}
