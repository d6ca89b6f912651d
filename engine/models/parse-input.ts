/**
 * Parsing a predictor's input with its own zod definition inside predict(). Through the API the
 * input was already validated against the version's schema (with defaults filled in); parsing
 * again applies the same defaults and rules for direct callers, and turns a violation into an
 * error that names the field, like the API's 422 does.
 */
import type { z } from 'zod';

export function parseInput<S extends z.ZodType>(schema: S, raw: unknown): z.infer<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  throw new Error(result.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; '));
}
