/**
 * Input validation against a version's OpenAPI `Input` schema, with defaults applied. Compiled
 * validators are cached per version id (versions are immutable).
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FieldError } from './errors';

const ajv = new Ajv({ useDefaults: true, allErrors: true, strict: false, coerceTypes: false });
addFormats(ajv);
const cache = new Map<string, ValidateFunction>();

export function inputSchemaOf(openapi: Record<string, unknown>): Record<string, unknown> {
  const components = (openapi.components ?? {}) as { schemas?: Record<string, Record<string, unknown>> };
  return components.schemas?.Input ?? { type: 'object' };
}

function toFieldError(e: ErrorObject, prefix: string): FieldError {
  let pointer = `${prefix}${e.instancePath}`;
  if (e.keyword === 'required') pointer += `/${(e.params as { missingProperty: string }).missingProperty}`;
  if (e.keyword === 'additionalProperties') pointer += `/${(e.params as { additionalProperty: string }).additionalProperty}`;
  const detail =
    e.keyword === 'required'
      ? 'is required'
      : e.keyword === 'additionalProperties'
        ? 'is not an input of this model'
        : e.keyword === 'enum'
          ? `must be one of ${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)}`
          : (e.message ?? 'is invalid');
  return { pointer, detail };
}

/** Validates (and fills defaults into) `input` in place. Returns field errors, empty when valid. */
export function validateInput(
  cacheKey: string,
  schema: Record<string, unknown>,
  input: Record<string, unknown>,
  pointerPrefix = '/input',
): FieldError[] {
  let validate = cache.get(cacheKey);
  if (!validate) {
    validate = ajv.compile(schema);
    cache.set(cacheKey, validate);
  }
  if (validate(input)) return [];
  return (validate.errors ?? []).map((e) => toFieldError(e, pointerPrefix));
}
