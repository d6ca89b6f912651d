/**
 * What every answer to a hostile request must be, whatever the request was:
 *
 * - an answer (no reset, no hang past the bound);
 * - never a 5xx (a 503 while the engine shuts down is not seen here: it runs throughout);
 * - every 4xx is `application/problem+json` `{ type, title, status, detail, errors? }` with the
 *   answer's status, and each error names a JSON pointer (`""` or starting with `/`);
 * - every 422 names at least one field (a validation failure is always about a field);
 * - a request carrying text the engine refuses (U+0000, a lone surrogate) in its path, query or
 *   parsed body is never a 2xx: such text is never stored.
 */
import type { RequestSpec } from './requests';
import type { Outcome } from './send';

export function judge(spec: RequestSpec, outcome: Outcome): string[] {
  if (outcome.answered === 'waiting') return [];
  if (!outcome.answered) return [`no answer: ${outcome.error}`];
  const { status, headers, body } = outcome;
  const failures: string[] = [];
  if (status >= 500) failures.push(`status ${status}`);
  const isHead = spec.mode === 'http' && spec.method === 'HEAD';
  if (status >= 400 && status < 600 && !isHead) {
    const type = String(headers['content-type'] ?? '');
    if (!/^application\/problem\+json/.test(type)) failures.push(`${status} with content-type "${type}"`);
    let p: Record<string, unknown> | undefined;
    try {
      p = JSON.parse(body) as Record<string, unknown>;
    } catch {
      failures.push(`${status} with a body that is not JSON: ${body.slice(0, 120)}`);
    }
    if (p) {
      for (const key of ['type', 'title', 'detail'] as const) if (typeof p[key] !== 'string') failures.push(`${status} problem without a string "${key}"`);
      if (p.status !== status) failures.push(`${status} problem whose status is ${JSON.stringify(p.status)}`);
      if (p.errors !== undefined) {
        const errors = p.errors as Array<{ pointer?: unknown; detail?: unknown }>;
        if (!Array.isArray(errors) || errors.some((e) => typeof e?.pointer !== 'string' || !/^(\/|$)/.test(e.pointer) || typeof e.detail !== 'string')) {
          failures.push(`${status} problem with malformed errors: ${JSON.stringify(p.errors).slice(0, 160)}`);
        }
      }
      if (status === 422 && (!Array.isArray(p.errors) || p.errors.length === 0)) failures.push('422 that names no field');
    }
  }
  if (spec.mode === 'http' && spec.forbiddenText && status >= 200 && status < 300) failures.push(`${status} for a request carrying NUL or a lone surrogate`);
  return failures;
}
