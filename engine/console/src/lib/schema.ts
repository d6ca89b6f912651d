/**
 * Reads a version's OpenAPI `Input` schema (Cog-shaped) into the fields a form shows, in the
 * model's order (`x-order`). Cog writes enums as `allOf: [{$ref}]` and optional inputs as
 * `anyOf: [T, null]`; both are resolved here so the form sees one plain schema per input. Pure.
 */
import type { JsonSchema, OpenApiDocument } from '../api/types';

export type FieldKind = 'string' | 'text' | 'number' | 'integer' | 'boolean' | 'enum' | 'file' | 'array' | 'json';

export interface FieldSpec {
  name: string;
  title: string;
  kind: FieldKind;
  required: boolean;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  /** The bound itself is not allowed. */
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  minLength?: number;
  maxLength?: number;
  /** For arrays: what one item is. */
  item?: FieldSpec;
}

/** Names that hold prose: shown as a multi-line box. */
const PROSE = /prompt|text|message|caption|system|instruction|query|content|transcript/i;

/** The named schema of an OpenAPI document (`Input`, `Output`, `TrainingInput`). */
export function namedSchema(doc: OpenApiDocument | undefined, name: string): JsonSchema | undefined {
  return doc?.components?.schemas?.[name];
}

function resolve(doc: OpenApiDocument | undefined, s: JsonSchema, depth = 0): JsonSchema {
  if (depth > 8) return s;
  let out: JsonSchema = { ...s };
  if (typeof s.$ref === 'string') {
    const target = namedSchema(doc, s.$ref.replace(/^#\/components\/schemas\//, ''));
    const { $ref: _ref, ...own } = out;
    out = { ...(target ? resolve(doc, target, depth + 1) : {}), ...own };
  }
  if (Array.isArray(s.allOf) && s.allOf.length === 1) {
    const { allOf: _all, ...own } = out;
    out = { ...resolve(doc, s.allOf[0], depth + 1), ...own };
  }
  const union = s.anyOf ?? s.oneOf;
  if (Array.isArray(union)) {
    const notNull = union.filter((u) => u.type !== 'null');
    if (notNull.length === 1) {
      const { anyOf: _any, oneOf: _one, ...own } = out;
      out = { ...resolve(doc, notNull[0], depth + 1), ...own };
    }
  }
  return out;
}

function typeOf(s: JsonSchema): string | undefined {
  if (Array.isArray(s.type)) return s.type.find((t) => t !== 'null');
  return s.type;
}

function bound(value: number | boolean | undefined, plain: number | undefined): { at?: number; exclusive: boolean } {
  // Draft 7 writes the exclusive bound as the number; OpenAPI 3.0 as a flag beside minimum/maximum.
  if (typeof value === 'number') return { at: value, exclusive: true };
  return { at: plain, exclusive: value === true };
}

/** One input's field, from its (resolved) schema. */
export function fieldOf(doc: OpenApiDocument | undefined, name: string, raw: JsonSchema, required: boolean): FieldSpec {
  const s = resolve(doc, raw);
  const type = typeOf(s);
  const base: FieldSpec = { name, title: s.title && s.title.toLowerCase() !== name.toLowerCase() ? s.title : name, kind: 'json', required };
  if (s.description) base.description = s.description;
  if (s.default !== undefined) base.default = s.default;
  if (Array.isArray(s.enum) && s.enum.length > 0) return { ...base, kind: 'enum', enum: s.enum };
  if (type === 'string') {
    if (s.format === 'uri' || s.format === 'binary' || s.format === 'data-url') return { ...base, kind: 'file' };
    const kind = PROSE.test(name) || (s.maxLength ?? 0) > 200 ? 'text' : 'string';
    return { ...base, kind, minLength: s.minLength, maxLength: s.maxLength };
  }
  if (type === 'number' || type === 'integer') {
    const min = bound(s.exclusiveMinimum, s.minimum);
    const max = bound(s.exclusiveMaximum, s.maximum);
    return {
      ...base,
      kind: type,
      minimum: min.at,
      maximum: max.at,
      exclusiveMinimum: min.exclusive || undefined,
      exclusiveMaximum: max.exclusive || undefined,
    };
  }
  if (type === 'boolean') return { ...base, kind: 'boolean' };
  if (type === 'array' && s.items) {
    const item = fieldOf(doc, name, s.items, true);
    // Arrays of plain values and of files get their own rows; anything deeper is JSON.
    if (['string', 'text', 'number', 'integer', 'file', 'enum'].includes(item.kind)) return { ...base, kind: 'array', item };
  }
  return base;
}

/** The form fields of a version's input, in the model's order. */
export function inputFields(doc: OpenApiDocument | undefined, name = 'Input'): FieldSpec[] {
  const schema = namedSchema(doc, name);
  if (!schema) return [];
  const s = resolve(doc, schema);
  const required = new Set(s.required ?? []);
  const entries = Object.entries(s.properties ?? {});
  const order = (e: [string, JsonSchema]) => (typeof e[1]['x-order'] === 'number' ? (e[1]['x-order'] as number) : Number.MAX_SAFE_INTEGER);
  return entries
    .map((e, i) => ({ e, i }))
    .sort((a, b) => order(a.e) - order(b.e) || a.i - b.i)
    .map(({ e: [key, prop] }) => fieldOf(doc, key, prop, required.has(key)));
}

/** A field's bounds as people read them: `0 – 600`, `> 0`, `≤ 1`. */
export function boundsText(f: Pick<FieldSpec, 'minimum' | 'maximum' | 'exclusiveMinimum' | 'exclusiveMaximum'>): string {
  const lo = f.minimum;
  const hi = f.maximum;
  if (lo !== undefined && hi !== undefined && !f.exclusiveMinimum && !f.exclusiveMaximum) return `${lo} – ${hi}`;
  const parts: string[] = [];
  if (lo !== undefined) parts.push(`${f.exclusiveMinimum ? '>' : '≥'} ${lo}`);
  if (hi !== undefined) parts.push(`${f.exclusiveMaximum ? '<' : '≤'} ${hi}`);
  return parts.join(', ');
}

/** What kind of value a field takes, for the API tab's table. */
export function typeText(f: FieldSpec): string {
  if (f.kind === 'array') return `array of ${f.item ? typeText(f.item) : 'values'}`;
  if (f.kind === 'file') return 'file (URL)';
  if (f.kind === 'text') return 'string';
  if (f.kind === 'enum') return `one of ${(f.enum ?? []).map((v) => JSON.stringify(v)).join(', ')}`;
  return f.kind;
}
