/**
 * Parsers for the two timing headers of the create-prediction endpoints. A value that cannot be
 * read throws an Error (the API answers 400); one that reads but is out of range throws a
 * RangeError (422), as body fields do.
 */

/** The longest Cancel-After: a week, beyond any prediction or training this engine runs. */
export const MAX_CANCEL_AFTER_SECONDS = 7 * 24 * 3600;

/**
 * `Prefer: wait` or `Prefer: wait=N` (1–60). Returns the seconds to hold the request, or
 * undefined when the client did not ask to wait. Throws a message for malformed values.
 */
export function parsePreferWait(header: string | undefined): number | undefined {
  if (!header) return undefined;
  const prefs = header.split(',').map((p) => p.trim());
  for (const pref of prefs) {
    const m = /^wait(?:=(\d+))?$/i.exec(pref);
    if (!m) continue;
    if (m[1] === undefined) return 60;
    const n = Number(m[1]);
    if (n < 1 || n > 60) throw new RangeError(`Prefer: wait=${m[1]} is out of range; use 1 to 60 seconds`);
    return n;
  }
  return undefined;
}

/** `Cancel-After`: `30s`, `5m`, `1h30m45s`, or bare seconds; 5 s to MAX_CANCEL_AFTER_SECONDS. Returns seconds. */
export function parseCancelAfter(header: string | undefined): number | undefined {
  if (header === undefined || header === '') return undefined;
  const text = header.trim();
  let seconds: number;
  if (/^\d+(\.\d+)?$/.test(text)) {
    seconds = Number(text);
  } else {
    const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(text);
    if (!m || text === '') throw new Error(`Cancel-After "${header}" is not a duration like 30s, 5m or 1h30m`);
    seconds = Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
  }
  if (seconds < 5) throw new RangeError(`Cancel-After must be at least 5 seconds (got "${header}")`);
  if (!(seconds <= MAX_CANCEL_AFTER_SECONDS)) throw new RangeError(`Cancel-After must be at most ${MAX_CANCEL_AFTER_SECONDS} seconds (7 days)`);
  return seconds;
}
