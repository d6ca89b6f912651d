/** Cursor pagination with absolute `next` URLs (the official client follows them verbatim). */
import { badRequest, invalid } from '../core/errors';

export const PAGE_SIZE = 100;

export function encodeCursor(position: Record<string, string>): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function decodeCursor<T extends Record<string, string>>(cursor: string | undefined, keys: Array<keyof T>): T | undefined {
  if (cursor === undefined) return undefined;
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as T;
    if (keys.every((k) => typeof value[k] === 'string')) return value;
  } catch {
    // fall through
  }
  throw badRequest('The cursor is malformed; use the `next` URL of a previous page.', [{ pointer: '/cursor', detail: 'is malformed' }]);
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
