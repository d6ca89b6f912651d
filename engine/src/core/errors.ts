/**
 * The API's error catalogue. Routes throw `ApiError`; one handler turns it into an
 * `application/problem+json` body `{ type, title, status, detail, errors? }`.
 */
export interface FieldError {
  /** JSON pointer into the request, e.g. `/input/text`. */
  pointer: string;
  detail: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors?: FieldError[],
    /** RFC 9457 extension members added to the body (e.g. `retry_after`), and response headers. */
    readonly extensions?: Record<string, unknown>,
    readonly headers?: Record<string, string>,
  ) {
    super(detail);
  }
}

export const badRequest = (detail: string, errors?: FieldError[]) => new ApiError(400, 'Bad request', detail, errors);
export const unauthorized = (detail = 'A valid API token is required: send `Authorization: Bearer <token>`.') =>
  new ApiError(401, 'Unauthenticated', detail);
export const notFound = (what: string) => new ApiError(404, 'Not found', `${what} was not found.`);
export const conflict = (detail: string) => new ApiError(409, 'Conflict', detail);
export const invalid = (errors: FieldError[], detail?: string) =>
  new ApiError(422, 'Input validation failed', detail ?? errors.map((e) => `${e.pointer}: ${e.detail}`).join('; '), errors);
export const tooLarge = (detail: string) => new ApiError(413, 'Payload too large', detail);
export const forbidden = (detail: string, errors?: FieldError[]) => new ApiError(403, 'Forbidden', detail, errors);
/** 429 with `Retry-After` in the header and in the body (seconds). */
export const tooManyRequests = (title: string, detail: string, retryAfterSeconds: number, extensions: Record<string, unknown> = {}) =>
  new ApiError(429, title, detail, undefined, { retry_after: retryAfterSeconds, ...extensions }, { 'retry-after': String(retryAfterSeconds) });
export const paymentRequired = (detail: string, errors: FieldError[], extensions: Record<string, unknown>) =>
  new ApiError(402, 'Spend limit reached', detail, errors, extensions);
