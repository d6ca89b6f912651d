/** Cursor pagination with absolute `next` URLs (the official client follows them verbatim). */
import { badRequest, invalid } from '../core/errors';
import { isCursorInstant } from '../core/instants';
import { textProblem } from '../core/text-rules';

export const PAGE_SIZE = 100;

export function encodeCursor(position: Record<string, string>): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/** Longest text field a cursor may carry (positions are ids and owner/name keys). */
const MAX_CURSOR_FIELD = 512;

export const malformedCursor = () =>
  badRequest('The cursor is malformed; use the `next` URL of a previous page.', [{ pointer: '/cursor', detail: 'is malformed' }]);

/**
 * A list cursor back to its position. A cursor is only ever one the engine wrote, so anything
 * else is refused whole, however well-formed: every key must be a short string of acceptable
 * text, and `createdAt` a stored instant (a garbage date would otherwise reach the database).
 */
export function decodeCursor<T extends Record<string, string>>(cursor: string | undefined, keys: Array<keyof T>): T | undefined {
  if (cursor === undefined) return undefined;
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as Record<string, unknown>;
  } catch {
    throw malformedCursor();
  }
  const fits = (k: keyof T) => {
    const v = value?.[k as string];
    if (typeof v !== 'string' || v.length > MAX_CURSOR_FIELD || textProblem(v)) return false;
    return k !== 'createdAt' || isCursorInstant(v);
  };
  if (!value || typeof value !== 'object' || !keys.every(fits)) throw malformedCursor();
  return value as T;
}

export function page<T>(results: T[], publicUrl: string, path: string, nextPosition: Record<string, string> | undefined, extraQuery = '') {
  return {
    previous: null,
    next: nextPosition ? `${publicUrl}${path}?cursor=${encodeCursor(nextPosition)}${extraQuery}` : null,
    results,
  };
}

/** A `limit` query parameter: absent or empty gives `fallback`; otherwise an integer 1..max, or 422 naming `/limit`. */
export function parseLimit(raw: string | undefined, max: number, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > max) throw invalid([{ pointer: '/limit', detail: `must be an integer from 1 to ${max}` }]);
  return limit;
}
