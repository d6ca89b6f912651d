/**
 * The nesting limit of JSON the engine accepts. Deeply nested input (5,000 levels fit in 10 KB)
 * overflows the stack of whatever walks it recursively later (validation, cloning, the database
 * driver's serialiser), so depth is checked on the text, before JSON.parse builds anything.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * The offset in `text` of the bracket that opens level `max + 1`, or -1 when the text nests no
 * deeper than `max`. Brackets inside strings do not count. The text need not be valid JSON:
 * JSON.parse judges that afterwards.
 */
export function excessNestingAt(text: string, max = MAX_JSON_DEPTH): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return i;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return -1;
}
