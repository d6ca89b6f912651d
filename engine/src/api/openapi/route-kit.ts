/**
 * The shape of a route's description (routes.ts and the per-area files it joins) and the small
 * builders they share. The document builder (document.ts) turns these into OpenAPI operations.
 */
import type { Schema } from './schema-kit';

export interface ResponseDoc {
  description: string;
  schema?: Schema;
  /** Default application/json (with a schema) or none. */
  contentType?: string;
  /** Further representations of the same answer (content negotiation): type → schema, or null for none. */
  alternatives?: Record<string, Schema | null>;
  /** Answer headers: a description, or one with `required` when every such answer carries it. */
  headers?: Record<string, string | { description: string; required: boolean }>;
}

export interface QueryDoc {
  description: string;
  schema?: Schema;
  required?: boolean;
}

export interface RouteDoc {
  summary: string;
  description?: string;
  tag: string;
  /** Gantry's own: not part of Replicate's API. */
  extension?: boolean;
  /** Needs no bearer token (public, or carries its own capability). */
  public?: boolean;
  params?: Record<string, string>;
  query?: Record<string, QueryDoc>;
  headers?: Record<string, { description: string; schema?: Schema }>;
  body?: { schema: Schema; contentType?: string; required?: boolean };
  responses: Record<string, ResponseDoc>;
}

export const json = (schema: Schema, description: string): ResponseDoc => ({ description, schema });
export const empty = (description: string): ResponseDoc => ({ description });
export const cursor: Record<string, QueryDoc> = { cursor: { description: 'The `cursor` of a `next` URL.' } };
export const limitQuery = (max: number, fallback: number): QueryDoc => ({
  description: `How many results (1–${max}, default ${fallback}).`,
  schema: { type: 'integer', minimum: 1, maximum: max, default: fallback },
});
/** A Location header every such answer carries. */
export const location = (description: string) => ({ location: { description, required: true } });
export const NOT_MODIFIED: ResponseDoc = empty('Not modified: If-None-Match named the current ETag.');
