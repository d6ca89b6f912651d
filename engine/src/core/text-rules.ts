/**
 * What text the engine accepts, decided once. The API applies these rules at its edge (path
 * parameters, query parameters, parsed bodies, multipart fields) before any route sees a value.
 *
 * - No U+0000 (NUL) anywhere: Postgres text and jsonb cannot store it, and silently dropping or
 *   replacing it would change what the caller sent. Refused, naming the field.
 * - No unpaired UTF-16 surrogates (a `\ud800` escape in JSON with no partner): they are not
 *   Unicode text, Postgres refuses them, and they cannot be written back as UTF-8. Refused.
 * - Identifiers in paths (ids, owners, names, slugs, keys) are 1 to MAX_IDENTIFIER_LENGTH
 *   characters of letters, digits and `.`, `_`, `-`, `~`, `:`: every id the engine hands out
 *   fits, and anything else cannot name something that exists.
 */
import type { FieldError } from './errors';

export const MAX_IDENTIFIER_LENGTH = 200;
/** At most this many field errors are reported for one request (a huge body could hold millions). */
export const MAX_REPORTED_PROBLEMS = 20;

const IDENTIFIER = /^[A-Za-z0-9._~:-]+$/;
// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `text` is not acceptable text, or undefined when it is. */
export function textProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain U+0000 (NUL)';
  if (LONE_SURROGATE.test(text)) return 'must not contain an unpaired UTF-16 surrogate';
  return undefined;
}

/** Why `text` is not an acceptable path identifier, or undefined when it is. */
export function identifierProblem(text: string): string | undefined {
  const bad = textProblem(text);
  if (bad) return bad;
  if (text.length === 0 || text.length > MAX_IDENTIFIER_LENGTH || !IDENTIFIER.test(text)) {
    return `must be 1 to ${MAX_IDENTIFIER_LENGTH} letters, digits, ".", "_", "-", "~" or ":"`;
  }
  return undefined;
}

/** One segment of a JSON pointer (RFC 6901: `~` → `~0`, `/` → `~1`). */
export const pointerSegment = (key: string | number): string => String(key).replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * The text problems anywhere in a parsed JSON value, keys and strings alike, each with the JSON
 * pointer of the field at fault (under `base`). Walks with an explicit stack, so depth is no
 * danger; stops after MAX_REPORTED_PROBLEMS. Binary bodies (buffers) are not text and are skipped.
 */
export function findTextProblems(value: unknown, base = ''): FieldError[] {
  const found: FieldError[] = [];
  const stack: Array<[unknown, string]> = [[value, base]];
  while (stack.length && found.length < MAX_REPORTED_PROBLEMS) {
    const [v, pointer] = stack.pop()!;
    if (typeof v === 'string') {
      const bad = textProblem(v);
      if (bad) found.push({ pointer, detail: bad });
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${pointer}/${i}`]);
    } else if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v)) {
      const entries = Object.entries(v as Record<string, unknown>);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i];
        const at = `${pointer}/${pointerSegment(key)}`;
        const bad = textProblem(key);
        if (bad) found.push({ pointer: at, detail: `its name ${bad}` });
        else stack.push([child, at]);
      }
    }
  }
  return found.slice(0, MAX_REPORTED_PROBLEMS);
}
