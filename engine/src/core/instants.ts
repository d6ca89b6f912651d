/**
 * The instants the engine stores and compares: years 0001 to 9999 (UTC). JavaScript dates reach
 * ±275,760 years and Postgres timestamps 4713 BC to 294276 AD; inside both, and in the four-digit
 * years that ISO 8601 and every client expect, is this range. A date outside it is refused with a
 * 422 naming the field rather than sent to the database.
 */
// Date.UTC would read year 1 as 1901, so the bounds are parsed from their ISO text.
export const EARLIEST_INSTANT = Date.parse('0001-01-01T00:00:00.000Z');
export const LATEST_INSTANT = Date.parse('9999-12-31T23:59:59.999Z');

/** Whether `d` is a valid date inside the stored range. */
export function isStorableInstant(d: Date): boolean {
  const t = d.getTime();
  return !Number.isNaN(t) && t >= EARLIEST_INSTANT && t <= LATEST_INSTANT;
}

/**
 * A list cursor's position: created_at to the microsecond as the store writes it
 * (`2025-01-31T12:00:00.123456Z`), inside the stored range.
 */
export function isCursorInstant(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/.test(text) && isStorableInstant(new Date(text));
}
