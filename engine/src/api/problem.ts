/**
 * The one shape of every error answer, `application/problem+json`
 * `{ type, title, status, detail, errors?: [{ pointer, detail }] }`, and the one mapping from a
 * thrown error (ours, Fastify's, the router's, the HTTP parser's) to it. The app's error handler,
 * its not-found handler, the router's framework errors and the HTTP server's client errors all
 * answer through here, so a client sees one shape whatever went wrong.
 */
import { maxHeaderSize, STATUS_CODES } from 'node:http';
import type { FastifyReply } from 'fastify';
import { ApiError, type FieldError } from '../core/errors';

export const PROBLEM_TYPE = 'application/problem+json';

// A type, not an interface: a problem may carry extension members (see ProblemAnswer).
export type Problem = {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
};

export function problem(status: number, title: string, detail: string, errors?: FieldError[]): Problem {
  return { type: 'about:blank', title, status, detail, ...(errors && errors.length ? { errors } : {}) };
}

const titleOf = (status: number) => (status === 400 ? 'Bad request' : (STATUS_CODES[status] ?? 'Error'));

interface CodedError {
  code?: string;
  statusCode?: number;
  message?: string;
  syscall?: string;
}

/** Postgres answers (SQLSTATE) and socket errors that mean "the database is not there right now". */
const DATABASE_UNAVAILABLE = new Set(['57P01', '57P02', '57P03', '53300', '08000', '08003', '08006']);

/**
 * The problem for any error thrown while answering a request. Errors the engine did not mean to
 * throw (no 4xx status) are a 500 whose detail says nothing about internals; `internal` tells
 * the caller to log them.
 */
/** What an error answer is made of: its body, whether to log it, and headers it sets (Retry-After). */
export type ProblemAnswer = Problem & { internal?: true; headers?: Record<string, string>; [extension: string]: unknown };

export function problemOf(err: unknown, limits: { bodyLimitBytes: number; maxParamLength: number }): ProblemAnswer {
  if (err instanceof ApiError) {
    // Extension members (RFC 9457: `retry_after`, a limit and the spend so far) join the body.
    const base = { ...(err.extensions ?? {}), ...problem(err.status, err.title, err.detail, err.errors) };
    return err.headers ? { ...base, headers: err.headers } : base;
  }
  const e = (err ?? {}) as CodedError;
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return problem(413, 'Payload too large', `The request body exceeds the limit of ${limits.bodyLimitBytes} bytes.`);
    case 'FST_ERR_BAD_URL':
      return problem(400, 'Bad request', 'The path is not valid percent-encoded UTF-8.');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return problem(414, 'URI too long', `A path segment is longer than ${limits.maxParamLength} characters.`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return problem(415, 'Unsupported media type', 'This endpoint does not take a body of this Content-Type.', [
        { pointer: '/headers/content-type', detail: 'is not a media type this endpoint accepts' },
      ]);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return problem(400, 'Bad request', 'The body is not as long as its Content-Length says.', [
        { pointer: '/headers/content-length', detail: 'does not match the body' },
      ]);
  }
  const status = e.statusCode ?? 500;
  if (status >= 400 && status < 500) return problem(status, titleOf(status), e.message || titleOf(status));
  // Not the request's fault and not a bug: a client may retry.
  if (e.syscall === 'connect' || (e.code && DATABASE_UNAVAILABLE.has(e.code))) {
    return { ...problem(503, 'Service unavailable', 'The database is not reachable right now; retry shortly.'), internal: true };
  }
  return { ...problem(500, 'Internal error', 'An unexpected error occurred.'), internal: true };
}

/** Answers with `p` (without the `internal` mark, which is for the log, and with its headers set). */
export function sendProblem(reply: FastifyReply, p: ProblemAnswer | Problem): FastifyReply {
  const { internal: _internal, headers, ...body } = p as ProblemAnswer;
  if (headers) reply.headers(headers);
  return reply.code(p.status).type(PROBLEM_TYPE).send(body);
}

/**
 * A complete HTTP/1.1 response carrying `p`, for writing straight to a socket when there is no
 * request object to answer through (the HTTP parser rejected the bytes). The connection closes.
 * An answer to HEAD has no body: the client would read one as the start of the next response.
 */
export function rawProblemResponse(p: Problem, head = false): string {
  const body = JSON.stringify(p);
  return [
    `HTTP/1.1 ${p.status} ${STATUS_CODES[p.status] ?? 'Error'}`,
    `Content-Type: ${PROBLEM_TYPE}; charset=utf-8`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    '',
    head ? '' : body,
  ].join('\r\n');
}

/** The problem for an error of Node's HTTP parser (the `clientError` event). */
export function clientErrorProblem(err: CodedError): Problem {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return problem(431, 'Request header fields too large', `The request headers exceed the server's limit of ${maxHeaderSize} bytes in all.`);
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'ERR_HTTP_REQUEST_HEADERS_TIMEOUT':
      return problem(408, 'Request timeout', 'The request did not arrive in time.');
    default:
      return problem(400, 'Bad request', `The request is not valid HTTP/1.1 (${err.code ?? 'parse error'}).`);
  }
}
