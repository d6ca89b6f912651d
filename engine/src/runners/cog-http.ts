/**
 * JSON requests to a Cog server. Built on node:http rather than fetch because fetch gives up on
 * a response whose headers take more than 300 s, and a synchronous prediction legitimately holds
 * its request open for as long as the model runs. Aborting a request drops its connection, which
 * is how Cog cancels a synchronous prediction.
 */
import http from 'node:http';
import https from 'node:https';

/** A prediction (or training) as Cog reports it: the response of a PUT and every webhook body. */
export interface CogState {
  id?: string;
  status?: string;
  output?: unknown;
  logs?: string;
  error?: string | null;
  metrics?: Record<string, unknown>;
  /** Pydantic-style validation errors (422). */
  detail?: unknown;
  [field: string]: unknown;
}

export interface CogResponse {
  status: number;
  body: CogState;
}

export interface CogRequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /** Gives up (rejects) when no response has completed by then; none by default. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export function cogRequest(url: string, method: string, opts: CogRequestOptions = {}): Promise<CogResponse> {
  const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
  const client = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(url, {
      method,
      signal: opts.signal,
      headers: {
        accept: 'application/json',
        ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
        ...opts.headers,
      },
    });
    const timer = opts.timeoutMs ? setTimeout(() => req.destroy(new Error(`no answer in ${opts.timeoutMs} ms`)), opts.timeoutMs) : undefined;
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      res.on('end', () => {
        clearTimeout(timer);
        let body: CogResponse['body'] = {};
        try {
          const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
          if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as CogResponse['body'];
        } catch {
          // Not JSON (a proxy's error page, say): the status code alone tells the story.
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.end(payload);
  });
}

/** Cog's `GET /health-check` body (always HTTP 200; the state is in `status`). */
export interface CogHealth {
  status?: string;
  setup?: { started_at?: string; completed_at?: string; status?: string; logs?: string };
}

/** The server's health, or undefined while it does not answer. */
export async function cogHealth(base: string): Promise<CogHealth | undefined> {
  try {
    const res = await cogRequest(`${base}/health-check`, 'GET', { timeoutMs: 2000 });
    return res.status === 200 ? (res.body as CogHealth) : undefined;
  } catch {
    return undefined;
  }
}

export const TERMINAL_STATUSES = new Set(['succeeded', 'failed', 'canceled']);
