/**
 * Holds requests and answers to the engine's own /openapi.json, so the document cannot drift
 * from the code. For each call:
 * - the operation must be in the document (an unknown route may only answer 404);
 * - a request the document calls invalid (undocumented query parameter, missing required one, a
 *   value against its parameter's schema, a repeat of a parameter that is not an array, body
 *   against its schema, undocumented body) must be refused with a 4xx;
 * - the answer's status must be documented for the operation, its content type among the
 *   documented ones, the headers the document marks required present, and a JSON answer must
 *   match the documented schema (closed objects: an undescribed field fails).
 * Used by the checking fetch of checked-client.ts.
 */
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

type Json = Record<string, any>;

export interface CheckedRequest {
  method: string;
  url: URL;
  contentType?: string;
  /** The body as text (JSON or text/plain); undefined when none; 'multipart' for form data. */
  body?: string | 'multipart';
}

export interface CheckedAnswer {
  status: number;
  contentType: string;
  body: string;
  /** Streams and downloads: the body is not read. */
  bodyUnread?: boolean;
  /** The answer's headers (to check the ones the document marks required). */
  headers?: Headers;
}

const pointer = (...parts: string[]) => '#' + parts.map((p) => `/${encodeURIComponent(p.replace(/~/g, '~0').replace(/\//g, '~1'))}`).join('');
const baseType = (ct: string | undefined) => (ct ?? '').split(';')[0].trim().toLowerCase();

interface Operation {
  path: string;
  key: string;
  literal: number;
  regex: RegExp;
  op: Json;
}

export class OpenApiChecker {
  private readonly ajv = new Ajv2020({ allErrors: true, strict: false });
  private readonly operations: Operation[] = [];
  private readonly validators = new Map<string, ReturnType<Ajv2020['compile']>>();

  constructor(readonly document: Json) {
    addFormats(this.ajv);
    this.ajv.addSchema(document, 'openapi');
    for (const [path, item] of Object.entries(document.paths as Json)) {
      // Split keeping empty segments, so /console and /console/ stay different paths.
      const segments = path.split('/');
      for (const [key, op] of Object.entries(item as Json)) {
        // A rest-of-path parameter (a route's trailing wildcard) may hold slashes.
        const rest = new Set(((op.parameters ?? []) as Json[]).filter((p) => p.in === 'path' && p['x-gantry-rest-of-path']).map((p) => `{${p.name}}`));
        const pattern = segments.map((s) => (rest.has(s) ? '.+' : s.startsWith('{') ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/');
        const literal = segments.filter((s) => s !== '' && !s.startsWith('{')).length;
        this.operations.push({ path, key, literal, regex: new RegExp(`^${pattern}$`), op });
      }
    }
  }

  static async load(engineUrl: string): Promise<OpenApiChecker> {
    const res = await fetch(`${engineUrl}/openapi.json`);
    if (res.status !== 200) throw new Error(`GET /openapi.json answered ${res.status}`);
    return new OpenApiChecker((await res.json()) as Json);
  }

  /** The operation for `method path`: the one with the most literal segments among those that match. */
  find(method: string, path: string): Operation | undefined {
    const key = ['GET', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE'].includes(method) ? method.toLowerCase() : `x-${method.toLowerCase()}`;
    return this.operations.filter((o) => o.key === key && o.regex.test(path)).sort((a, b) => b.literal - a.literal)[0];
  }

  private validate(at: string, value: unknown): string | undefined {
    let v = this.validators.get(at);
    if (!v) this.validators.set(at, (v = this.ajv.compile({ $ref: `openapi${at}` })));
    return v(value) ? undefined : this.ajv.errorsText(v.errors, { separator: '; ' });
  }

  /**
   * A query parameter's values as its schema reads them (form style, exploded: an array is the
   * parameter repeated; numbers and booleans are their text), or why they cannot be.
   */
  private queryValue(o: Operation, index: number, p: Json, values: string[]): string | undefined {
    const schema = (p.schema ?? {}) as Json;
    const types = [schema.type].flat();
    if (types.includes('array')) return this.validate(pointer('paths', o.path, o.key, 'parameters', String(index), 'schema'), values);
    if (values.length > 1) return `is given ${values.length} times, but is not an array`;
    const text = values[0];
    let value: unknown = text;
    if ((types.includes('integer') || types.includes('number')) && /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(text)) value = Number(text);
    else if (types.includes('boolean') && (text === 'true' || text === 'false')) value = text === 'true';
    return this.validate(pointer('paths', o.path, o.key, 'parameters', String(index), 'schema'), value);
  }

  /** What the document says is wrong with the request (empty: a valid request). */
  private requestProblems(o: Operation, req: CheckedRequest): string[] {
    const problems: string[] = [];
    const params = (o.op.parameters ?? []) as Json[];
    const query = params.filter((p) => p.in === 'query');
    // A free-form object parameter (form style, exploded) takes any names: they are its properties.
    const freeForm = query.some((p) => [p.schema?.type].flat().includes('object'));
    for (const name of new Set(req.url.searchParams.keys())) {
      if (!freeForm && !query.some((p) => p.name === name)) problems.push(`query parameter ${name} is not documented`);
    }
    for (const p of query) if (p.required && !req.url.searchParams.has(p.name)) problems.push(`query parameter ${p.name} is required`);
    params.forEach((p, i) => {
      if (p.in !== 'query' || !req.url.searchParams.has(p.name) || [p.schema?.type].flat().includes('object')) return;
      const wrong = this.queryValue(o, i, p, req.url.searchParams.getAll(p.name));
      if (wrong) problems.push(`query parameter ${p.name}: ${wrong}`);
    });
    const content = o.op.requestBody?.content as Json | undefined;
    const hasBody = req.body !== undefined && req.body !== '';
    if (!content) {
      if (hasBody) problems.push('the operation takes no body');
      return problems;
    }
    if (!hasBody) {
      if (o.op.requestBody.required) problems.push('a body is required');
      return problems;
    }
    const type = req.body === 'multipart' ? 'multipart/form-data' : baseType(req.contentType);
    if (!content[type]) return [...problems, `content type ${type || '(none)'} is not documented (${Object.keys(content).join(', ')})`];
    if (type === 'application/json') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(req.body as string);
      } catch {
        return [...problems, 'the body is not JSON'];
      }
      const wrong = this.validate(pointer('paths', o.path, o.key, 'requestBody', 'content', type, 'schema'), parsed);
      if (wrong) problems.push(`body: ${wrong}`);
    } else if (type === 'text/plain' && (req.body as string).trim() === '') problems.push('the body is empty');
    return problems;
  }

  /** Everything wrong with this exchange, as the document sees it. */
  check(req: CheckedRequest, res: CheckedAnswer): string[] {
    const o = this.find(req.method, req.url.pathname);
    if (!o) return res.status === 404 ? [] : [`${req.method} ${req.url.pathname} is not in /openapi.json (answered ${res.status})`];
    const problems: string[] = [];
    const invalid = this.requestProblems(o, req);
    if (invalid.length && res.status < 400) problems.push(`the engine accepted (${res.status}) a request the document calls invalid: ${invalid.join('; ')}`);
    const responses = o.op.responses as Json;
    const status = String(res.status);
    const documented = responses[status] ? status : responses[`${status[0]}XX`] ? `${status[0]}XX` : responses.default ? 'default' : undefined;
    if (!documented) return [...problems, `status ${status} is not documented (${Object.keys(responses).join(', ')})`];
    for (const [name, h] of Object.entries((responses[documented].headers ?? {}) as Json)) {
      if (h.required && res.headers && !res.headers.has(name)) problems.push(`status ${status} must carry the ${name} header`);
    }
    const content = responses[documented].content as Json | undefined;
    const type = baseType(res.contentType);
    if (!content) {
      if (res.body !== '') problems.push(`status ${status} is documented without a body, yet one came (${type})`);
      return problems;
    }
    const match = content[type] ? type : content['*/*'] ? '*/*' : undefined;
    if (!match) return [...problems, `content type ${type || '(none)'} is not documented for ${status} (${Object.keys(content).join(', ')})`];
    if (res.bodyUnread || !content[match].schema || !/json$/.test(type)) return problems;
    let parsed: unknown;
    try {
      parsed = JSON.parse(res.body);
    } catch {
      return [...problems, 'the answer is not JSON'];
    }
    const wrong = this.validate(pointer('paths', o.path, o.key, 'responses', documented, 'content', match, 'schema'), parsed);
    if (wrong) problems.push(`answer ${status}: ${wrong}`);
    return problems;
  }
}
