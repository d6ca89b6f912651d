/**
 * List cursors position on (created_at, key). A JS Date keeps only milliseconds, so rows created
 * in the same millisecond would be skipped between pages: lists select created_at to the
 * microsecond as text, and cursors carry that.
 */
export const CURSOR_AT = `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at`;
