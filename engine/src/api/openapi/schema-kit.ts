/**
 * Small builders for the JSON Schemas (2020-12) of /openapi.json, shared by schemas.ts and
 * check-schemas.ts. `obj` makes a closed object: a field the engine sends without it being
 * described fails the suites' validation of the answers.
 */
export type Schema = Record<string, unknown>;

export const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const described = (schema: Schema, description?: string): Schema => (description ? { ...schema, description } : schema);
export const str = (description?: string): Schema => described({ type: 'string' }, description);
export const int = (description?: string): Schema => described({ type: 'integer' }, description);
export const num = (description?: string): Schema => described({ type: 'number' }, description);
export const bool = (description?: string): Schema => described({ type: 'boolean' }, description);
export const arr = (items: Schema, description?: string): Schema => described({ type: 'array', items }, description);
export const dateTime = (description?: string): Schema => described({ type: 'string', format: 'date-time' }, description);
export const uri = (description?: string): Schema => described({ type: 'string', format: 'uri' }, description);
export const open = (description?: string): Schema => described({ type: 'object' }, description);
export const any = (description: string): Schema => ({ description });
/** `{ key: value }` with any keys. */
export const map = (values: Schema, description?: string): Schema => described({ type: 'object', additionalProperties: values }, description);
export const oneOf = (values: readonly string[], description?: string): Schema => described({ enum: [...values] }, description);

/** The schema, or null. */
export function nullable(s: Schema): Schema {
  if (s.$ref || s.enum || !s.type) return { anyOf: [s, { type: 'null' }] };
  return { ...s, type: [...[s.type].flat(), 'null'] };
}

/** A closed object: `required` lists the properties always present. */
export function obj(properties: Record<string, Schema>, required: string[] = Object.keys(properties), description?: string): Schema {
  return described({ type: 'object', properties, required, additionalProperties: false }, description);
}

/** Replicate's page: `{ previous, next, results }` with absolute (or null) URLs. */
export const page = (item: string): Schema =>
  obj({ previous: nullable(uri()), next: nullable(uri('The next page, absolute; null on the last page.')), results: arr(ref(item)) });
