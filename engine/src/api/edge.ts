/**
 * The API's edge: the checks every request passes before a route sees it, in one place so that
 * a new route is covered without anyone remembering.
 *
 * - JSON bodies: an empty body is no body (the official client sends `Content-Type:
 *   application/json` on body-less GETs and cancels); nesting deeper than MAX_JSON_DEPTH is a
 *   400, checked on the text before JSON.parse; malformed JSON is a 400.
 * - Query parameters: each may be given once (400 naming it otherwise, unless the route lists it
 *   in `config.repeatableQuery`); names and values follow the text rules (422).
 * - Path parameters follow the identifier rules (a wildcard, the text rules), 422 naming
 *   `/params/<name>`.
 * - Parsed bodies (JSON and text) follow the text rules, 422 naming each field by JSON pointer.
 *   Multipart fields are read by their route (POST /v1/files), which applies the same rules.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest, invalid, type FieldError } from '../core/errors';
import { excessNestingAt, MAX_JSON_DEPTH } from '../core/json-limits';
import { findTextProblems, identifierProblem, pointerSegment, textProblem } from '../core/text-rules';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Query parameters this route accepts more than once (the edge refuses repeats otherwise). */
    repeatableQuery?: string[];
  }
}

/** Parses a JSON body's text, or throws the 400 that says why it cannot be. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  const at = excessNestingAt(text);
  if (at >= 0) {
    throw badRequest(`The request body nests deeper than ${MAX_JSON_DEPTH} levels (at byte ${at}).`, [
      { pointer: '', detail: `nests deeper than ${MAX_JSON_DEPTH} levels` },
    ]);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw badRequest(`The request body is not valid JSON: ${(err as Error).message}`);
  }
}

function repeatedParameters(req: FastifyRequest): FieldError[] {
  const allowed = req.routeOptions.config?.repeatableQuery ?? [];
  return Object.entries((req.query ?? {}) as Record<string, unknown>)
    .filter(([name, value]) => Array.isArray(value) && !allowed.includes(name))
    .map(([name]) => ({ pointer: `/${pointerSegment(name)}`, detail: 'must be given at most once' }));
}

function queryProblems(req: FastifyRequest): FieldError[] {
  const found: FieldError[] = [];
  for (const [name, value] of Object.entries((req.query ?? {}) as Record<string, unknown>)) {
    const pointer = `/${pointerSegment(name)}`;
    const bad = textProblem(name);
    if (bad) found.push({ pointer, detail: `its name ${bad}` });
    else found.push(...findTextProblems(value, pointer));
  }
  return found;
}

function paramProblems(req: FastifyRequest): FieldError[] {
  const found: FieldError[] = [];
  for (const [name, value] of Object.entries((req.params ?? {}) as Record<string, string>)) {
    const bad = name === '*' ? textProblem(value) : identifierProblem(value);
    if (bad) found.push({ pointer: `/params/${pointerSegment(name)}`, detail: bad });
  }
  return found;
}

export function edgeRules(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(String(body)));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  app.addHook('preValidation', async (req) => {
    // An unknown route answers 404 whatever its parameters hold.
    if (req.is404) return;
    const repeated = repeatedParameters(req);
    if (repeated.length) throw badRequest('A query parameter was given more than once.', repeated);
    const problems = [...paramProblems(req), ...queryProblems(req), ...findTextProblems(req.body)];
    if (problems.length) throw invalid(problems);
  });
}
