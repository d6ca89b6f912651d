/**
 * Worst-case inputs: the typical input pushed to the limits the version's input schema declares
 * (longest allowed strings, largest numbers, most list items), plus any inputs the user marks.
 * Fields without a declared limit keep their typical value: the check cannot guess a limit the
 * model does not state, and says so in the report.
 */
import type { WorstCaseInput } from './types';

/** Longest string or list built, whatever the schema allows (the body limit is far below). */
const MAX_BUILT_LENGTH = 1_000_000;
/** Inputs whose size is not a load: a bigger seed is no worse than a smaller one. */
const NOT_A_LOAD = new Set(['seed']);

type Schema = Record<string, unknown>;

function describe(value: unknown): string {
  if (typeof value === 'string') return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
  if (Array.isArray(value)) return `a list of ${value.length} items`;
  return JSON.stringify(value);
}

function longest(typical: unknown, maxLength: number): string {
  const seed = typeof typical === 'string' && typical.length > 0 ? `${typical} ` : 'lorem ipsum ';
  const length = Math.min(maxLength, MAX_BUILT_LENGTH);
  return seed.repeat(Math.ceil(length / seed.length)).slice(0, length);
}

function largest(prop: Schema): number | undefined {
  const integer = prop.type === 'integer';
  if (typeof prop.maximum === 'number') return prop.maximum;
  if (typeof prop.exclusiveMaximum === 'number') return integer ? Math.ceil(prop.exclusiveMaximum) - 1 : prop.exclusiveMaximum * (1 - 1e-9);
  return undefined;
}

/** The value at the field's declared limit, or undefined when it declares none (with why). */
function atLimit(name: string, prop: Schema, typical: unknown): { value?: unknown; why: string } {
  if (NOT_A_LOAD.has(name)) return { why: 'not a load' };
  if (Array.isArray(prop.enum) || prop.allOf || prop.anyOf) return { why: 'a choice, not a size' };
  if (prop.type === 'number' || prop.type === 'integer') {
    const max = largest(prop);
    return max === undefined ? { why: 'no maximum declared' } : { value: max, why: 'the declared maximum' };
  }
  if (prop.type === 'string') {
    if (prop.format === 'uri') return { why: 'a file: the schema declares no size limit' };
    if (typeof prop.maxLength !== 'number') return { why: 'no maxLength declared' };
    return { value: longest(typical, prop.maxLength), why: `the declared maxLength (${prop.maxLength})` };
  }
  if (prop.type === 'array' && typeof prop.maxItems === 'number') {
    const items = Array.isArray(typical) && typical.length > 0 ? typical : [(prop.items as Schema | undefined)?.default ?? ''];
    const count = Math.min(prop.maxItems, MAX_BUILT_LENGTH);
    return { value: Array.from({ length: count }, (_, i) => items[i % items.length]), why: `the declared maxItems (${prop.maxItems})` };
  }
  return { why: 'no limit declared' };
}

function changesBetween(typical: Record<string, unknown>, input: Record<string, unknown>, why: (field: string) => string) {
  return Object.keys(input)
    .filter((k) => JSON.stringify(input[k]) !== JSON.stringify(typical[k]))
    .map((field) => ({ field, from: describe(typical[field]), to: describe(input[field]), why: why(field) }));
}

/** The typical input with every field that declares a limit set to it; undefined when none does. */
export function schemaLimitInput(schema: Schema, typical: Record<string, unknown>): { input?: WorstCaseInput; unlimited: string[] } {
  const props = (schema.properties ?? {}) as Record<string, Schema>;
  const input = { ...typical };
  const reasons = new Map<string, string>();
  const unlimited: string[] = [];
  for (const [name, prop] of Object.entries(props)) {
    const limit = atLimit(name, prop, typical[name]);
    if (limit.value === undefined) unlimited.push(`${name} (${limit.why})`);
    else {
      input[name] = limit.value;
      reasons.set(name, limit.why);
    }
  }
  const changes = changesBetween(typical, input, (f) => reasons.get(f) ?? '');
  if (changes.length === 0) return { unlimited };
  return { input: { label: 'schema limits', input, changes }, unlimited };
}

/** A user-marked worst case: their fields over the typical input. */
export function markedInput(typical: Record<string, unknown>, marked: Record<string, unknown>, index: number): WorstCaseInput {
  const input = { ...typical, ...marked };
  return { label: `marked input ${index + 1}`, input, changes: changesBetween(typical, input, () => 'marked by the request') };
}
