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

/**
 * The named input schema of a Cog-shaped OpenAPI document, ready to compile. Cog writes enum
 * inputs as `allOf: [{$ref: "#/components/schemas/<name>"}]`, so the document's `components`
 * travel with it for those references to resolve.
 */
export function inputSchemaOf(openapi: Record<string, unknown>, name: 'Input' | 'TrainingInput' = 'Input'): Record<string, unknown> {
  const components = (openapi.components ?? {}) as { schemas?: Record<string, Record<string, unknown>> };
  const schema = components.schemas?.[name];
  return schema ? { ...schema, components } : { type: 'object' };
}

/** Why a schema cannot be used to validate input (it does not compile), or undefined when it can. */
export function schemaProblem(schema: Record<string, unknown>): string | undefined {
  try {
    ajv.compile(schema);
    ajv.removeSchema(schema); // a check only: validators are compiled (and cached) per version
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
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
