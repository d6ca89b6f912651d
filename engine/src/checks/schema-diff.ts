/** Differences between two versions' input schemas, field by field (what a pinned caller would meet on upgrade). */

export interface SchemaChange {
  field: string;
  change: 'added' | 'removed' | 'changed' | 'now required' | 'no longer required';
  detail: string;
}

type Schema = Record<string, unknown>;

/** The attributes of a field that change what a caller may send. */
const COMPARED = ['type', 'format', 'default', 'enum', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minLength', 'maxLength', 'maxItems', 'allOf', 'anyOf'];

export function inputSchemaChanges(from: Schema, to: Schema): SchemaChange[] {
  const a = (from.properties ?? {}) as Record<string, Schema>;
  const b = (to.properties ?? {}) as Record<string, Schema>;
  const reqA = new Set((from.required as string[] | undefined) ?? []);
  const reqB = new Set((to.required as string[] | undefined) ?? []);
  const changes: SchemaChange[] = [];
  for (const field of Object.keys(a)) {
    if (!(field in b)) changes.push({ field, change: 'removed', detail: 'sending it is now an error' });
  }
  for (const [field, prop] of Object.entries(b)) {
    if (!(field in a)) {
      changes.push({ field, change: 'added', detail: reqB.has(field) ? 'required' : `optional${prop.default !== undefined ? `, default ${JSON.stringify(prop.default)}` : ''}` });
      continue;
    }
    const differs = COMPARED.filter((k) => JSON.stringify(a[field][k]) !== JSON.stringify(prop[k]));
    if (differs.length) {
      changes.push({ field, change: 'changed', detail: differs.map((k) => `${k}: ${JSON.stringify(a[field][k] ?? null)} → ${JSON.stringify(prop[k] ?? null)}`).join('; ') });
    }
    if (!reqA.has(field) && reqB.has(field)) changes.push({ field, change: 'now required', detail: 'callers that omit it get 422' });
    if (reqA.has(field) && !reqB.has(field)) changes.push({ field, change: 'no longer required', detail: 'harmless' });
  }
  return changes;
}
