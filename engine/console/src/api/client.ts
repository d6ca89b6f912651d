/**
 * The console's only way to the engine: its public HTTP API on the same origin, with the tab's
 * token. Every non-2xx answer becomes an `ApiProblem` carrying the problem+json body, so pages
 * can show each field error next to the field its pointer names.
 */
import type { FieldProblem, ProblemBody } from './types';

export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors: FieldProblem[] = [],
  ) {
    super(detail || title);
  }
}

type Listener = () => void;

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Resolve with the body as text (a Markdown page) instead of parsing JSON. */
  text?: boolean;
}

export class ApiClient {
  private onUnauthorized: Listener[] = [];

  constructor(private token: () => string | null) {}

  /** Called when the engine refuses the token (401): the session is over. */
  whenUnauthorized(fn: Listener): () => void {
    this.onUnauthorized.push(fn);
    return () => (this.onUnauthorized = this.onUnauthorized.filter((f) => f !== fn));
  }

  async request<T>(method: string, path: string, opts: RequestOptions = {}, token = this.token()): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    if (token) headers.authorization = `Bearer ${token}`;
    let body: BodyInit | undefined;
    if (opts.body instanceof FormData) body = opts.body;
    else if (opts.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }
    let res: Response;
    try {
      res = await fetch(path, { method, headers, body, signal: opts.signal });
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      throw new ApiProblem(0, 'Engine unreachable', `The engine did not answer: ${(err as Error).message}`);
    }
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    if (res.ok && opts.text) return text as T;
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const p = (json ?? {}) as Partial<ProblemBody>;
      const problem = new ApiProblem(res.status, p.title ?? res.statusText, p.detail ?? text.slice(0, 300), p.errors ?? []);
      // Only a refusal of the session's own token ends the session (sign-in tries a token first).
      if (res.status === 401 && token === this.token()) for (const fn of this.onUnauthorized) fn();
      throw problem;
    }
    return json as T;
  }

  get<T>(path: string, opts?: RequestOptions) {
    return this.request<T>('GET', path, opts);
  }
  post<T>(path: string, body?: unknown, opts: RequestOptions = {}) {
    return this.request<T>('POST', path, { ...opts, body });
  }
  patch<T>(path: string, body?: unknown) {
    return this.request<T>('PATCH', path, { body });
  }
  delete<T>(path: string) {
    return this.request<T>('DELETE', path);
  }

  /** Uploads a file through the Files API; its `urls.get` can then be a prediction input. */
  upload<T>(file: File) {
    const form = new FormData();
    form.append('content', file, file.name);
    return this.request<T>('POST', '/v1/files', { body: form });
  }
}

/** Builds `path?query` from the defined, non-empty entries (arrays repeat the key). */
export function withQuery(path: string, query: Record<string, string | string[] | undefined | null>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    for (const item of Array.isArray(v) ? v : [v]) if (item !== undefined && item !== null && item !== '') params.append(k, item);
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}
